// bridge next to the Go plugin (Debian's v1.1.1 in /usr/lib/cni), and how its IPAM delegate
// runs: in process when CNI_PATH resolves it to one of our launchers, exec'd otherwise.
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  destroyNetNS,
  makeNetNS,
  makeNoopPlugin,
  readNoopDebug,
  type TestNetNS,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addrsOf,
  execIn,
  GO_BIN,
  ipj,
  linkInfo,
  natRules,
  OUR_BIN,
  routes,
  runIn,
  tcpEcho,
  tempDir,
} from '@cni-internal/test-kit/net';

let hosts: TestNetNS[];
let conts: TestNetNS[];
let dirs: { dir: string; cleanup(): void }[];

beforeEach(() => {
  hosts = [makeNetNS('bih'), makeNetNS('bih')];
  conts = [makeNetNS('bic'), makeNetNS('bic')];
  dirs = [tempDir('cni-br-a-'), tempDir('cni-br-b-')];
});
afterEach(() => {
  for (const n of [...conts, ...hosts]) destroyNetNS(n);
  for (const d of dirs) d.cleanup();
});

const conf = (dataDir: string, extra: object = {}) => ({
  cniVersion: '1.0.0',
  name: 'brgo',
  type: 'bridge',
  bridge: 'cni-go0',
  isDefaultGateway: true,
  ipMasq: true,
  hairpinMode: true,
  mtu: 1450,
  ipam: { type: 'host-local', subnet: '10.55.0.0/24', dataDir },
  ...extra,
});
const env = (c: TestNetNS) => ({ containerID: 'gcid', netns: c.path, ifName: 'eth0' });
const ipFiles = (dir: string) => readdirSync(join(dir, 'brgo')).filter((f) => f.startsWith('10.'));

describe('bridge side by side with Go', () => {
  it('same kernel state and equivalent results', async () => {
    const [ourHost, goHost] = hosts as [TestNetNS, TestNetNS];
    const [ours, theirs] = conts as [TestNetNS, TestNetNS];
    const [da, db] = dirs as [{ dir: string }, { dir: string }, ...unknown[]];
    const a = await runIn(ourHost, 'bridge', { command: 'ADD', ...env(ours), stdin: conf(da.dir) });
    const g = await runIn(goHost, 'bridge', {
      command: 'ADD',
      ...env(theirs),
      stdin: conf(db.dir),
      dir: GO_BIN,
    });
    expect(a.stderr).toBe('');
    expect([a.code, g.code]).toEqual([0, 0]);
    const shape = (j: typeof a.json, ns: TestNetNS) => ({
      ...j,
      interfaces: j.interfaces.map((i: { name: string; sandbox?: string }) => ({
        name: i.name.startsWith('veth') ? 'veth' : i.name,
        ...(i.sandbox ? { sandbox: i.sandbox === ns.path ? 'C' : i.sandbox } : {}),
      })),
      dns: undefined,
    });
    expect(shape(a.json, ours)).toEqual(shape(g.json, theirs));
    // the bridge and its port
    const br = (h: TestNetNS) => {
      const l = linkInfo(h, 'cni-go0');
      return { mtu: l.mtu, flags: l.flags, kind: l.linkinfo.info_kind, addrs: addrsOf(h, 'cni-go0') };
    };
    expect(br(ourHost)).toEqual(br(goHost));
    const port = (h: TestNetNS, name: string) => {
      const l = linkInfo(h, name);
      const s = l.linkinfo.info_slave_data;
      return { mtu: l.mtu, master: l.master, hairpin: s.hairpin, isolated: s.isolated, state: s.state };
    };
    expect(port(ourHost, a.json.interfaces[1].name)).toEqual(port(goHost, g.json.interfaces[1].name));
    // the container side
    const cont = (c: TestNetNS) => ({
      addrs: addrsOf(c, 'eth0'),
      mtu: linkInfo(c, 'eth0').mtu,
      routes: routes(c)
        .map((r) => `${r.dst} ${r.gateway ?? ''} ${r.dev}`)
        .sort(),
    });
    expect(cont(ours)).toEqual(cont(theirs));
    expect(natRules(ourHost)).toEqual(natRules(goHost));
    expect(ipFiles(da.dir)).toEqual(ipFiles(db.dir));
    // both work
    expect(await tcpEcho(ours, ourHost, '10.55.0.1')).toBe(true);
    expect(await tcpEcho(theirs, goHost, '10.55.0.1')).toBe(true);
  });

  it('our DEL removes a Go ADD and Go DEL removes ours', async () => {
    const [ourHost, goHost] = hosts as [TestNetNS, TestNetNS];
    const [ours, theirs] = conts as [TestNetNS, TestNetNS];
    const [da, db] = dirs as [{ dir: string }, { dir: string }, ...unknown[]];
    expect((await runIn(ourHost, 'bridge', { command: 'ADD', ...env(ours), stdin: conf(da.dir) })).code).toBe(
      0,
    );
    expect(
      (await runIn(goHost, 'bridge', { command: 'ADD', ...env(theirs), stdin: conf(db.dir), dir: GO_BIN }))
        .code,
    ).toBe(0);
    const gd = await runIn(ourHost, 'bridge', {
      command: 'DEL',
      ...env(ours),
      stdin: conf(da.dir),
      dir: GO_BIN,
    });
    const od = await runIn(goHost, 'bridge', { command: 'DEL', ...env(theirs), stdin: conf(db.dir) });
    expect([gd.code, od.code, od.stdout]).toEqual([0, 0, '']);
    for (const [h, c, d] of [
      [ourHost, ours, da.dir],
      [goHost, theirs, db.dir],
    ] as const) {
      expect(linkInfo(c, 'eth0')).toBeUndefined();
      expect(ipj(h, 'link', 'show', 'master', 'cni-go0')).toEqual([]);
      expect(natRules(h).filter((l) => l.includes('CNI-'))).toEqual([]);
      expect(ipFiles(d)).toEqual([]);
    }
  });
});

describe('IPAM delegation', () => {
  /**
   * A CNI_PATH with our plugins, where host-local is our launcher (marker intact) that first
   * records every exec in a file: the file stays empty when host-local runs in process.
   */
  function tracedBin(dir: string, trace: string): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const f of readdirSync(OUR_BIN)) {
      if (f !== 'host-local') symlinkSync(join(OUR_BIN, f), join(bin, f));
    }
    const launcher = readFileSync(join(OUR_BIN, 'host-local'), 'utf8').replace(
      /\nd=\$\{0%\/\*\}\n/,
      `\necho exec >> ${JSON.stringify(trace)}\nd=${JSON.stringify(OUR_BIN)}\n`,
    );
    expect(launcher).toContain('echo exec');
    writeFileSync(join(bin, 'host-local'), launcher);
    chmodSync(join(bin, 'host-local'), 0o755);
    return bin;
  }

  it('host-local runs in process, with the same result as the exec path (CNI_TS_NO_INPROCESS=1)', async () => {
    const [h1, h2] = hosts as [TestNetNS, TestNetNS];
    const [c1, c2] = conts as [TestNetNS, TestNetNS];
    const [da, db] = dirs as [{ dir: string }, { dir: string }, ...unknown[]];
    const trace = join(da.dir, 'trace');
    writeFileSync(trace, '');
    const bin = tracedBin(da.dir, trace);
    const cfg = (d: string) => conf(join(d, 'ipam'), { ipMasq: false });
    const inProc = await runIn(h1, 'bridge', { command: 'ADD', ...env(c1), stdin: cfg(da.dir), dir: bin });
    expect(inProc.stderr).toBe('');
    expect(inProc.code).toBe(0);
    expect(readFileSync(trace, 'utf8')).toBe(''); // never exec'd
    const exec = await runIn(h2, 'bridge', {
      command: 'ADD',
      ...env(c2),
      stdin: cfg(db.dir),
      dir: bin,
      env: { CNI_TS_NO_INPROCESS: '1' },
    });
    expect(exec.code).toBe(0);
    expect(readFileSync(trace, 'utf8')).toBe('exec\n'); // exec'd once
    const strip = (j: typeof inProc.json) => ({
      ...j,
      interfaces: j.interfaces.map((i: { name: string }) => i.name.replace(/^veth.*/, 'veth')),
    });
    expect(strip(inProc.json).ips).toEqual(strip(exec.json).ips);
    expect(strip(inProc.json).routes).toEqual(strip(exec.json).routes);
    expect(strip(inProc.json).interfaces).toEqual(strip(exec.json).interfaces);
    const del = await runIn(h1, 'bridge', { command: 'DEL', ...env(c1), stdin: cfg(da.dir), dir: bin });
    expect(del.code).toBe(0);
    expect(readFileSync(trace, 'utf8')).toBe('exec\n');
  });

  it("a foreign delegate (the noop plugin) is exec'd", async () => {
    const [h1] = hosts as [TestNetNS];
    const [c1] = conts as [TestNetNS];
    const [da] = dirs as [{ dir: string }, ...unknown[]];
    const bin = join(da.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const f of readdirSync(OUR_BIN)) symlinkSync(join(OUR_BIN, f), join(bin, f));
    const noop = await makeNoopPlugin(bin, 'noop');
    const trace = join(da.dir, 'trace');
    writeFileSync(trace, '');
    const script = readFileSync(noop, 'utf8').replace(
      '\nexec ',
      `\necho exec >> ${JSON.stringify(trace)}\nexec `,
    );
    expect(script).toContain('echo exec');
    writeFileSync(noop, script);
    const debug = join(da.dir, 'noop.json');
    writeFileSync(
      debug,
      JSON.stringify({
        ReportResult: JSON.stringify({
          cniVersion: '1.0.0',
          ips: [{ address: '10.66.0.7/24', gateway: '10.66.0.1' }],
        }),
      }),
    );
    const cfg = {
      ...conf(da.dir, { ipMasq: false, isDefaultGateway: false }),
      ipam: { type: 'noop' },
      debugFile: debug,
    };
    const r = await runIn(h1, 'bridge', { command: 'ADD', ...env(c1), stdin: cfg, dir: bin });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.ips).toEqual([{ address: '10.66.0.7/24', gateway: '10.66.0.1', interface: 2 }]);
    expect(addrsOf(c1, 'eth0')).toEqual(['10.66.0.7/24']);
    const seen = readNoopDebug(debug);
    expect(seen.Command).toBe('ADD');
    expect(seen.Env?.CNI_COMMAND).toBe('ADD');
    expect(readFileSync(trace, 'utf8')).toBe('exec\n'); // run as its own process
    // STATUS goes to the IPAM delegate, and its error comes back as ours
    writeFileSync(debug, JSON.stringify({ ReportError: 'no more addresses', ReportErrorCode: 50 }));
    const st = await runIn(h1, 'bridge', {
      command: 'STATUS',
      stdin: { ...cfg, cniVersion: '1.1.0' },
      dir: bin,
    });
    expect(st.code).toBe(1);
    expect(st.json).toEqual({ code: 50, msg: 'no more addresses' });
    expect(readNoopDebug(debug).Command).toBe('STATUS');
  });
});

describe('macspoofchk side by side with Go', () => {
  /** `nft list table bridge nat` with handles, veth names and MACs neutralised. */
  const spoofTable = (h: TestNetNS, veth: string, mac: string) =>
    execIn(h, ['nft', 'list', 'table', 'bridge', 'nat'])
      .out.replaceAll(veth, 'VETH')
      .replaceAll(mac, 'MAC')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);

  it('same nftables rules; each DEL removes the other ADD', async () => {
    const [ourHost, goHost] = hosts as [TestNetNS, TestNetNS];
    const [ours, theirs] = conts as [TestNetNS, TestNetNS];
    const [da, db] = dirs as [{ dir: string }, { dir: string }, ...unknown[]];
    const cfg = (d: string) => conf(d, { macspoofchk: true, ipMasq: false });
    const a = await runIn(ourHost, 'bridge', { command: 'ADD', ...env(ours), stdin: cfg(da.dir) });
    const g = await runIn(goHost, 'bridge', {
      command: 'ADD',
      ...env(theirs),
      stdin: cfg(db.dir),
      dir: GO_BIN,
    });
    expect([a.code, g.code]).toEqual([0, 0]);
    const mine = spoofTable(ourHost, a.json.interfaces[1].name, a.json.interfaces[2].mac);
    const go = spoofTable(goHost, g.json.interfaces[1].name, g.json.interfaces[2].mac);
    expect(mine).toEqual(go);
    expect(mine.join('\n')).toContain('macspoofchk-gcid-eth0');
    // cross DEL: Go removes ours, ours removes Go's
    const gd = await runIn(ourHost, 'bridge', {
      command: 'DEL',
      ...env(ours),
      stdin: cfg(da.dir),
      dir: GO_BIN,
    });
    const od = await runIn(goHost, 'bridge', { command: 'DEL', ...env(theirs), stdin: cfg(db.dir) });
    expect([gd.code, od.code]).toEqual([0, 0]);
    for (const h of [ourHost, goHost]) {
      expect(execIn(h, ['nft', 'list', 'table', 'bridge', 'nat']).out).not.toContain('macspoofchk-gcid-eth0');
    }
  });
});
