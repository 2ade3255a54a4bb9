// tuning as a real process from dist/cni/bin (run `pnpm build` first), chained after bridge
// and ptp (with host-local) in throwaway namespaces: every spec version, every verb, the
// backup file, precedence, bad keys rejected before anything is written, rollback, GC.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { ALL_VERSIONS, execIn, ipj, linkInfo, runIn, sysctl, tempDir } from '@cni-internal/test-kit/net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let host: TestNetNS;
let cont: TestNetNS;
let store: { dir: string; cleanup(): void };
let data: { dir: string; cleanup(): void };
const extra: TestNetNS[] = [];

beforeEach(() => {
  host = makeNetNS('tuh');
  cont = makeNetNS('tuc');
  store = tempDir('cni-tuning-ipam-');
  data = tempDir('cni-tuning-data-');
});
afterEach(() => {
  for (const n of extra.splice(0)) destroyNetNS(n);
  destroyNetNS(cont);
  destroyNetNS(host);
  store.cleanup();
  data.cleanup();
});

type Main = 'bridge' | 'ptp';
const mainConf = (kind: Main, version: string) => ({
  cniVersion: version,
  name: 'tunenet',
  type: kind,
  ...(kind === 'bridge' ? { bridge: 'tun0', isGateway: true } : {}),
  ipam: { type: 'host-local', subnet: '10.55.0.0/24', dataDir: store.dir },
});

const env = (n: TestNetNS, containerID = 'ctr1', ifName = 'eth0') => ({ containerID, netns: n.path, ifName });

/** Run the main plugin's ADD; its result is the prevResult for tuning. */
async function mainAdd(kind: Main, version: string, n = cont, containerID = 'ctr1') {
  const r = await runIn(host, kind, {
    command: 'ADD',
    ...env(n, containerID),
    stdin: mainConf(kind, version),
  });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.json;
}

const tuning = (version: string, prevResult: object | undefined, more: object = {}) => ({
  cniVersion: version,
  name: 'tunenet',
  type: 'tuning',
  dataDir: data.dir,
  ...(prevResult ? { prevResult } : {}),
  ...more,
});

const run = (command: string, stdin: object | string, n = cont, opts: object = {}) =>
  runIn(host, 'tuning', { command: command as 'ADD', ...env(n), stdin, ...opts });

const link = (n: TestNetNS, name = 'eth0') => {
  const l = linkInfo(n, name);
  return {
    mac: l.address as string,
    mtu: l.mtu as number,
    promisc: l.promiscuity > 0,
    allmulti: (l.flags as string[]).includes('ALLMULTI'),
    txqlen: l.txqlen as number,
  };
};

const backupPath = (cid = 'ctr1', ifName = 'eth0') => join(data.dir, `${cid}_${ifName}.json`);

const ATTRS = { mac: '0a:11:22:33:44:55', promisc: true, mtu: 1400, allmulti: true, txQLen: 321 };
const SYSCTLS = { 'net.ipv4.conf.IFNAME.proxy_arp': '1', 'net.ipv4.conf.all.arp_ignore': '2' };

describe.each(['bridge', 'ptp'] as const)('tuning after %s, every spec version', (kind) => {
  it.each(ALL_VERSIONS)('%s: ADD, CHECK, DEL, DEL again', async (version) => {
    const prev = await mainAdd(kind, version);
    const before = link(cont);
    const cfg = tuning(version, prev, { sysctl: SYSCTLS, ...ATTRS });
    const add = await run('ADD', cfg);
    expect(add.stderr).toBe('');
    expect(add.code, add.stdout).toBe(0);
    // the output is the prevResult, with the new MAC on the container interface
    const want = structuredClone(prev);
    for (const i of want.interfaces ?? []) if (i.name === 'eth0') i.mac = ATTRS.mac;
    expect(add.json).toEqual(want);
    expect(add.json.cniVersion).toBe(version);
    if (!version.startsWith('0.1') && !version.startsWith('0.2')) {
      expect(add.json.interfaces.find((i: { name: string }) => i.name === 'eth0').mac).toBe(ATTRS.mac);
    }
    // kernel state: in the container namespace, not in the host one
    expect(link(cont)).toEqual({ mac: ATTRS.mac, mtu: 1400, promisc: true, allmulti: true, txqlen: 321 });
    expect(sysctl(cont, 'net/ipv4/conf/eth0/proxy_arp')).toBe('1');
    expect(sysctl(cont, 'net/ipv4/conf/all/arp_ignore')).toBe('2');
    expect(sysctl(host, 'net/ipv4/conf/all/arp_ignore')).toBe('0');
    // the backup: the reference's path and bytes
    expect(readFileSync(backupPath(), 'utf8')).toBe(
      `{\n "mac": "${before.mac}",\n "promisc": false,\n "mtu": ${before.mtu},\n "allmulti": false,\n "txQLen": ${before.txqlen}\n}`,
    );

    const check = await run('CHECK', tuning(version, add.json, { sysctl: SYSCTLS, ...ATTRS }));
    if (version === '1.1.0' || version === '1.0.0' || version === '0.4.0') {
      expect(check.code, check.stdout).toBe(0);
    } else {
      expect(check.code).toBe(1);
      expect(check.json.code).toBe(1);
    }

    const del = await run('DEL', cfg);
    expect(del.code, del.stdout).toBe(0);
    expect(link(cont)).toEqual(before);
    expect(existsSync(backupPath())).toBe(false);
    expect(readdirSync(data.dir)).toEqual([]);
    // sysctls are not reverted (as the reference)
    expect(sysctl(cont, 'net/ipv4/conf/eth0/proxy_arp')).toBe('1');
    const again = await run('DEL', cfg);
    expect(again.code, again.stdout).toBe(0);

    const mdel = await runIn(host, kind, { command: 'DEL', ...env(cont), stdin: mainConf(kind, version) });
    expect(mdel.code, mdel.stdout).toBe(0);
  });
});

describe('tuning verbs', () => {
  it('only sysctls: no backup file, result passed through unchanged', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const add = await run('ADD', tuning('1.0.0', prev, { sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1' } }));
    expect(add.code, add.stdout).toBe(0);
    expect(add.json).toEqual(prev);
    expect(sysctl(cont, 'net/ipv4/conf/eth0/arp_filter')).toBe('1');
    expect(existsSync(data.dir) ? readdirSync(data.dir) : []).toEqual([]);
  });

  it('MAC precedence: mac < CNI_ARGS MAC < runtimeConfig.mac < args.cni.mac', async () => {
    const prev = await mainAdd('ptp', '1.1.0');
    const cases: [object, string, string][] = [
      [{ mac: '0a:00:00:00:00:01' }, '', '0a:00:00:00:00:01'],
      [{ mac: '0a:00:00:00:00:01' }, 'IgnoreUnknown=1;MAC=0a:00:00:00:00:02', '0a:00:00:00:00:02'],
      [
        { mac: '0a:00:00:00:00:01', runtimeConfig: { mac: '0a:00:00:00:00:03' } },
        'MAC=0a:00:00:00:00:02',
        '0a:00:00:00:00:03',
      ],
      [
        { runtimeConfig: { mac: '0a:00:00:00:00:03' }, args: { cni: { mac: '0A-00-00-00-00-04' } } },
        'MAC=0a:00:00:00:00:02',
        '0a:00:00:00:00:04',
      ],
    ];
    for (const [more, args, want] of cases) {
      const add = await run('ADD', tuning('1.1.0', prev, more), cont, { args });
      expect(add.code, add.stdout).toBe(0);
      expect(link(cont).mac).toBe(want);
      expect(add.json.interfaces.find((i: { name: string }) => i.name === 'eth0').mac).toBe(want);
    }
  });

  it('args.cni overrides mtu/promisc/allmulti/txQLen and merges sysctl (no sysctl key in the config)', async () => {
    const prev = await mainAdd('bridge', '1.1.0');
    const cfg = tuning('1.1.0', prev, {
      mtu: 1300,
      allmulti: true,
      txQLen: 100,
      args: {
        cni: {
          sysctl: { 'net.ipv4.conf.IFNAME.proxy_arp': '1' },
          mtu: 1280,
          promisc: true,
          allmulti: false,
          txQLen: 77,
        },
      },
    });
    const add = await run('ADD', cfg);
    expect(add.code, add.stdout).toBe(0);
    const l = link(cont);
    expect(l).toMatchObject({ mtu: 1280, promisc: true, allmulti: false, txqlen: 77 });
    expect(sysctl(cont, 'net/ipv4/conf/eth0/proxy_arp')).toBe('1');
    const check = await run('CHECK', { ...cfg, prevResult: add.json });
    expect(check.code, check.stdout).toBe(0);
  });

  it('sysctl keys that leave /proc/sys/net are rejected before anything is written', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const bad: [string, RegExp][] = [
      ['kernel.hostname', /only keys under \/proc\/sys\/net/],
      ['/net/ipv4/ip_forward', /absolute paths/],
      ['net/ipv4/../../kernel/hostname', /component/],
      ['net.ipv4..ip_forward', /component/],
      ['net', /only keys under/],
      ['net.ipv4.conf.IFNAME.nonexistent_knob', /no such sysctl/],
      ['net.ipv4.conf', /not a sysctl/],
      ['', /empty key/],
    ];
    for (const [key, re] of bad) {
      const cfg = tuning('1.0.0', prev, {
        sysctl: { 'net.ipv4.conf.all.arp_ignore': '1', [key]: '1' },
        mtu: 1300,
      });
      const r = await run('ADD', cfg);
      expect(r.code, key).toBe(1);
      expect(r.json.code, key).toBe(7);
      expect(r.json.msg, key).toMatch(re);
      expect(r.json.msg, key).toContain(JSON.stringify(key));
      expect(sysctl(cont, 'net/ipv4/conf/all/arp_ignore')).toBe('0');
      expect(link(cont).mtu).toBe(1500);
      expect(existsSync(backupPath())).toBe(false);
    }
    expect(sysctl(cont, 'kernel/hostname')).toBe(sysctl(host, 'kernel/hostname'));
  });

  it('duplicate sysctl keys are rejected (ADD and CHECK)', async () => {
    const prev = await mainAdd('ptp', '1.0.0');
    const text = JSON.stringify(tuning('1.0.0', prev, { sysctl: { X: '1' } })).replace(
      '"sysctl":{"X":"1"}',
      '"sysctl":{"net.ipv4.conf.all.arp_ignore":"1","net.ipv4.conf.all.arp_ignore":"2"}',
    );
    for (const cmd of ['ADD', 'CHECK']) {
      const r = await run(cmd, text);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 7 });
      expect(r.json.msg).toContain('duplicated sysctl keys are not allowed');
      expect(r.json.msg).toContain('net.ipv4.conf.all.arp_ignore');
    }
    expect(sysctl(cont, 'net/ipv4/conf/all/arp_ignore')).toBe('0');
  });

  it('the allowlist file (CNI_TUNING_ALLOWLIST) restricts sysctl keys', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const list = join(data.dir, 'allowlist.conf');
    writeFileSync(
      list,
      '\n  ^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$  \n^net\\.ipv4\\.conf\\.all\\.arp_ignore$\n',
    );
    const opts = { env: { CNI_TUNING_ALLOWLIST: list } };
    const ok = await run(
      'ADD',
      tuning('1.0.0', prev, {
        sysctl: { 'net.ipv4.conf.IFNAME.proxy_arp': '1', 'net.ipv4.conf.all.arp_ignore': '1' },
      }),
      cont,
      opts,
    );
    expect(ok.code, ok.stdout).toBe(0);
    expect(sysctl(cont, 'net/ipv4/conf/eth0/proxy_arp')).toBe('1');
    const no = await run(
      'ADD',
      tuning('1.0.0', prev, {
        sysctl: { 'net.ipv4.conf.all.arp_filter': '1', 'net.ipv4.conf.IFNAME.proxy_arp': '0' },
      }),
      cont,
      opts,
    );
    expect(no.code).toBe(1);
    expect(no.json.code).toBe(7);
    expect(no.json.msg).toContain('Sysctl net.ipv4.conf.all.arp_filter is not allowed');
    expect(sysctl(cont, 'net/ipv4/conf/eth0/proxy_arp')).toBe('1');
    // a missing allowlist file means no restriction
    const none = await run(
      'ADD',
      tuning('1.0.0', prev, { sysctl: { 'net.ipv4.conf.all.arp_filter': '1' } }),
      cont,
      { env: { CNI_TUNING_ALLOWLIST: join(data.dir, 'missing.conf') } },
    );
    expect(none.code, none.stdout).toBe(0);
  });

  it('CHECK substitutes IFNAME and finds drift (sysctl, MTU, MAC, promisc quirk, allmulti, txQLen)', async () => {
    const prev = await mainAdd('bridge', '1.1.0');
    const cfg = tuning('1.1.0', prev, { sysctl: { 'net.ipv4.conf.IFNAME.proxy_arp': '1' }, ...ATTRS });
    const add = await run('ADD', cfg);
    expect(add.code, add.stdout).toBe(0);
    const ok = { ...cfg, prevResult: add.json };
    expect((await run('CHECK', ok)).code).toBe(0);
    const drift: [string[], RegExp][] = [
      [
        ['sysctl', '-qw', 'net.ipv4.conf.eth0.proxy_arp=0'],
        /configured value of \/proc\/sys\/net\/ipv4\/conf\/eth0\/proxy_arp is 1, current value is 0/,
      ],
      [['ip', 'link', 'set', 'eth0', 'mtu', '1450'], /configured MTU of eth0 is 1400, current value is 1450/],
      [
        ['ip', 'link', 'set', 'eth0', 'address', '0a:99:99:99:99:99'],
        /configured Ethernet of eth0 is 0a:11:22:33:44:55/,
      ],
      [['ip', 'link', 'set', 'eth0', 'promisc', 'off'], /configured promisc is true, current value is 0/],
      [
        ['ip', 'link', 'set', 'eth0', 'allmulticast', 'off'],
        /all-multicast mode of eth0 is true, current value is false/,
      ],
      [
        ['ip', 'link', 'set', 'eth0', 'txqueuelen', '5'],
        /Transmit Queue Length of eth0 is 321, current value is 5/,
      ],
    ];
    for (const [cmd, re] of drift) {
      expect(execIn(cont, cmd).status).toBe(0);
      const r = await run('CHECK', ok);
      expect(r.code, cmd.join(' ')).toBe(1);
      expect(r.json.msg).toMatch(re);
      // put it back through another ADD
      expect((await run('ADD', cfg)).code).toBe(0);
      expect((await run('CHECK', ok)).code).toBe(0);
    }
    // promisc not configured → CHECK wants it off (the reference's quirk)
    const plain = tuning('1.1.0', add.json, {});
    const r = await run('CHECK', plain);
    expect(r.code).toBe(1);
    expect(r.json.msg).toMatch(/configured promisc is false, current value is 1/);
  });

  it('ADD without prevResult fails; STATUS succeeds', async () => {
    const r = await run('ADD', tuning('1.0.0', undefined, { mtu: 1400 }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toBe('Required prevResult missing');
    const c = await run('CHECK', tuning('1.0.0', undefined, {}));
    expect(c.json.msg).toBe('Required prevResult missing');
    const s = await runIn(host, 'tuning', { command: 'STATUS', stdin: tuning('1.1.0', undefined) });
    expect(s.code, s.stdout).toBe(0);
    expect(s.stdout).toBe('');
  });

  it('a failing step rolls back: sysctls and attributes restored, no backup left', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const before = link(cont);
    const r = await run(
      'ADD',
      tuning('1.0.0', prev, {
        sysctl: { 'net.ipv4.conf.all.arp_ignore': '2' },
        mac: '0a:11:22:33:44:55',
        mtu: 70000,
      }),
    );
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(999);
    expect(r.json.msg).toMatch(/failed to set MTU to 70000 of "eth0"/);
    expect(link(cont)).toEqual(before);
    expect(sysctl(cont, 'net/ipv4/conf/all/arp_ignore')).toBe('0');
    expect(readdirSync(data.dir)).toEqual([]);
  });

  it('an unusable dataDir fails the ADD before any link change, sysctls rolled back', async () => {
    const prev = await mainAdd('ptp', '1.0.0');
    const before = link(cont);
    writeFileSync(join(data.dir, 'file'), '');
    const r = await run(
      'ADD',
      tuning('1.0.0', prev, {
        dataDir: join(data.dir, 'file', 'sub'),
        sysctl: { 'net.ipv4.conf.all.arp_ignore': '2' },
        mtu: 1400,
      }),
    );
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(999);
    expect(r.json.msg).toMatch(/failed to save the original attributes of "eth0"/);
    expect(link(cont)).toEqual(before);
    expect(sysctl(cont, 'net/ipv4/conf/all/arp_ignore')).toBe('0');
    expect(readdirSync(data.dir)).toEqual(['file']);
  });

  it('bad values are CNI errors naming the key', async () => {
    const prev = await mainAdd('ptp', '1.0.0');
    const cases: [object, number, string][] = [
      [{ mtu: '1500' }, 6, '"mtu"'],
      [{ mtu: -1 }, 7, '"mtu" -1'],
      [{ txQLen: 1.5 }, 6, '"txQLen"'],
      [{ promisc: 'yes' }, 6, '"promisc"'],
      [{ mac: 'zz:zz' }, 7, '"mac" "zz:zz"'],
      [{ mac: '01:00:5e:00:00:01' }, 7, 'unicast'],
      [{ sysctl: { 'net.ipv4.conf.all.arp_ignore': 1 } }, 6, 'sysctl.net.ipv4.conf.all.arp_ignore'],
      [{ args: { cni: { mtu: -5 } } }, 7, '"args.cni.mtu" -5'],
    ];
    for (const [more, code, text] of cases) {
      const r = await run('ADD', tuning('1.0.0', prev, more));
      expect(r.code, JSON.stringify(more)).toBe(1);
      expect(r.json.code, JSON.stringify(more)).toBe(code);
      expect(r.json.msg).toContain(text);
    }
    expect(readdirSync(data.dir)).toEqual([]);
  });

  it('DEL drops the backup when the namespace or the link is gone, and succeeds', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const cfg = tuning('1.0.0', prev, { mtu: 1400 });
    expect((await run('ADD', cfg)).code).toBe(0);
    expect(existsSync(backupPath())).toBe(true);
    execIn(cont, ['ip', 'link', 'del', 'eth0']);
    const d1 = await run('DEL', cfg);
    expect(d1.code, d1.stdout).toBe(0);
    expect(readdirSync(data.dir)).toEqual([]);

    const c2 = makeNetNS('tuc');
    extra.push(c2);
    const prev2 = await mainAdd('bridge', '1.0.0', c2, 'ctr2');
    const cfg2 = tuning('1.0.0', prev2, { mtu: 1400 });
    expect((await run('ADD', cfg2, c2, { containerID: 'ctr2' })).code).toBe(0);
    expect(existsSync(backupPath('ctr2'))).toBe(true);
    const gone = `${c2.path}-gone`;
    const d2 = await run('DEL', cfg2, c2, { containerID: 'ctr2', netns: gone });
    expect(d2.code, d2.stdout).toBe(0);
    expect(readdirSync(data.dir)).toEqual([]);
    const d3 = await run('DEL', cfg2, c2, { containerID: 'ctr2', netns: '' });
    expect(d3.code, d3.stdout).toBe(0);
  });

  it('GC removes backups of this network whose attachment is no longer valid', async () => {
    const c2 = makeNetNS('tuc');
    extra.push(c2);
    const p1 = await mainAdd('bridge', '1.1.0', cont, 'ctr1');
    const p2 = await mainAdd('bridge', '1.1.0', c2, 'ctr2');
    expect((await run('ADD', tuning('1.1.0', p1, { mtu: 1400 }))).code).toBe(0);
    expect((await run('ADD', tuning('1.1.0', p2, { mtu: 1400 }), c2, { containerID: 'ctr2' })).code).toBe(0);
    // a backup of another network and one without a marker (as the Go plugin writes them)
    writeFileSync(join(data.dir, 'ctr9_net1.json'), '{\n "mtu": 1500\n}');
    writeFileSync(join(data.dir, 'ctr9_net1.network'), 'othernet');
    writeFileSync(join(data.dir, 'ctr8_eth0.json'), '{\n "mtu": 1500\n}');
    const gc = (valid: object[] | undefined) =>
      runIn(host, 'tuning', {
        command: 'GC',
        stdin: tuning('1.1.0', undefined, valid ? { 'cni.dev/valid-attachments': valid } : {}),
      });
    const none = await gc(undefined);
    expect(none.code, none.stdout).toBe(0);
    expect(readdirSync(data.dir).sort()).toHaveLength(7);
    const r = await gc([{ containerID: 'ctr1', ifname: 'eth0' }]);
    expect(r.code, r.stdout).toBe(0);
    expect(readdirSync(data.dir).sort()).toEqual([
      'ctr1_eth0.json',
      'ctr1_eth0.network',
      'ctr8_eth0.json',
      'ctr9_net1.json',
      'ctr9_net1.network',
    ]);
    const all = await gc([]);
    expect(all.code).toBe(0);
    expect(readdirSync(data.dir).sort()).toEqual(['ctr8_eth0.json', 'ctr9_net1.json', 'ctr9_net1.network']);
    // the link itself is untouched by GC (it only forgets the backup)
    expect(link(cont).mtu).toBe(1400);
  });

  it('a second ADD of the same attachment keeps the first originals; a failed one keeps the backup', async () => {
    const prev = await mainAdd('bridge', '1.0.0');
    const before = link(cont);
    expect((await run('ADD', tuning('1.0.0', prev, { mtu: 1400, mac: '0a:00:00:00:00:01' }))).code).toBe(0);
    const first = readFileSync(backupPath(), 'utf8');
    expect(first).toBe(`{\n "mac": "${before.mac}",\n "mtu": 1500\n}`);
    expect((await run('ADD', tuning('1.0.0', prev, { mtu: 1300, txQLen: 50 }))).code).toBe(0);
    expect(readFileSync(backupPath(), 'utf8')).toBe(
      `{\n "mac": "${before.mac}",\n "mtu": 1500,\n "txQLen": ${before.txqlen}\n}`,
    );
    const bad = await run('ADD', tuning('1.0.0', prev, { allmulti: true, mtu: 99999 }));
    expect(bad.code).toBe(1);
    expect(link(cont)).toMatchObject({ mtu: 1300, allmulti: false, txqlen: 50 });
    expect(readFileSync(backupPath(), 'utf8')).toBe(
      `{\n "mac": "${before.mac}",\n "mtu": 1500,\n "txQLen": ${before.txqlen}\n}`,
    );
    expect((await run('DEL', tuning('1.0.0', prev))).code).toBe(0);
    expect(link(cont)).toEqual(before);
    expect(readdirSync(data.dir)).toEqual([]);
  });

  it('after host-device: the device goes back to the host with its original MAC and MTU', async () => {
    execIn(host, ['ip', 'link', 'add', 'hd0', 'type', 'veth', 'peer', 'name', 'hd0p']);
    const orig = link(host, 'hd0');
    const hd = { cniVersion: '1.0.0', name: 'tunenet', type: 'host-device', device: 'hd0' };
    const add = await runIn(host, 'host-device', { command: 'ADD', ...env(cont), stdin: hd });
    expect(add.code, add.stdout).toBe(0);
    const cfg = tuning('1.0.0', add.json, { mac: '0a:00:00:00:00:77', mtu: 1280, promisc: true });
    const t = await run('ADD', cfg);
    expect(t.code, t.stdout).toBe(0);
    expect(link(cont)).toMatchObject({ mac: '0a:00:00:00:00:77', mtu: 1280, promisc: true });
    expect((await run('DEL', cfg)).code).toBe(0);
    const del = await runIn(host, 'host-device', { command: 'DEL', ...env(cont), stdin: hd });
    expect(del.code, del.stdout).toBe(0);
    expect(link(host, 'hd0')).toEqual(orig);
  });

  it('a dotted interface name works with IFNAME keys', async () => {
    // a veth named like a VLAN device, as prevResult of a main plugin would name it
    execIn(host, ['ip', 'link', 'add', 'eth0.100', 'type', 'veth', 'peer', 'name', 'p100']);
    execIn(host, ['ip', 'link', 'set', 'eth0.100', 'netns', cont.name]);
    const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0.100', sandbox: cont.path }], ips: [] };
    const cfg = tuning('1.0.0', prev, { sysctl: { 'net.ipv4.conf.IFNAME.proxy_arp': '1' }, mtu: 1400 });
    const r = await run('ADD', cfg, cont, { ifName: 'eth0.100' });
    expect(r.code, r.stdout).toBe(0);
    expect(sysctl(cont, 'net/ipv4/conf/eth0.100/proxy_arp')).toBe('1');
    expect(ipj(cont, 'link', 'show', 'dev', 'eth0.100')[0].mtu).toBe(1400);
    expect(existsSync(backupPath('ctr1', 'eth0.100'))).toBe(true);
    const c = await run('CHECK', { ...cfg, prevResult: r.json }, cont, { ifName: 'eth0.100' });
    expect(c.code, c.stdout).toBe(0);
    expect((await run('DEL', cfg, cont, { ifName: 'eth0.100' })).code).toBe(0);
    expect(ipj(cont, 'link', 'show', 'dev', 'eth0.100')[0].mtu).toBe(1500);
  });
});
