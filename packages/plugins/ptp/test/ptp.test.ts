// ptp as a real process from dist/cni/bin (run `pnpm build` first) in throwaway namespaces,
// every spec version, kernel state, traffic, and side by side with the Go plugin.
import { existsSync, readdirSync } from 'node:fs';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_VERSIONS,
  addrsOf,
  execIn,
  GO_BIN,
  ipj,
  linkInfo,
  natRules,
  routes,
  runIn,
  sysctl,
  tcpEcho,
  tempDir,
} from '@cni-internal/test-kit/net';

let host: TestNetNS;
let conts: TestNetNS[];
let store: { dir: string; cleanup(): void };

beforeEach(() => {
  host = makeNetNS('pth');
  conts = [makeNetNS('ptc'), makeNetNS('ptc')];
  store = tempDir('cni-ptp-ipam-');
});
afterEach(() => {
  for (const c of conts) destroyNetNS(c);
  destroyNetNS(host);
  store.cleanup();
});

const conf = (version: string, extra: object = {}) => ({
  cniVersion: version,
  name: 'ptpnet',
  type: 'ptp',
  ipam: { type: 'host-local', subnet: '10.44.0.0/24', dataDir: store.dir },
  ...extra,
});
const env = (c: TestNetNS, containerID = 'p1') => ({ containerID, netns: c.path, ifName: 'eth0' });
const storeFiles = () =>
  existsSync(`${store.dir}/ptpnet`)
    ? readdirSync(`${store.dir}/ptpnet`).filter((f) => f.startsWith('10.'))
    : [];

/** The container's IPv4 routes reduced to what ptp decides. */
const contRoutes = (c: TestNetNS) =>
  routes(c)
    .map((r) => ({ dst: r.dst, gateway: r.gateway, scope: r.scope, prefsrc: r.prefsrc }))
    .sort((a, b) => String(a.dst).localeCompare(String(b.dst)));

describe('ptp process, every spec version', () => {
  it.each(ALL_VERSIONS)('%s: ADD, CHECK, DEL, DEL again', async (version) => {
    const c = conts[0] as TestNetNS;
    const cfg = conf(version, { mtu: 1400 });
    const add = await runIn(host, 'ptp', { command: 'ADD', ...env(c), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const r = add.json;
    expect(r.cniVersion).toBe(version);
    let hostVeth: string;
    if (version === '0.1.0' || version === '0.2.0') {
      expect(r.ip4).toEqual({ ip: '10.44.0.2/24', gateway: '10.44.0.1' });
      hostVeth = ipj(host, 'link', 'show', 'type', 'veth')[0].ifname;
    } else {
      expect(r.interfaces).toHaveLength(2);
      hostVeth = r.interfaces[0].name;
      expect(hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
      expect(r.interfaces[1]).toEqual({ name: 'eth0', mac: linkInfo(c, 'eth0').address, sandbox: c.path });
      const ip = { address: '10.44.0.2/24', gateway: '10.44.0.1', interface: 1 };
      expect(r.ips).toEqual([
        version.startsWith('0.3') || version === '0.4.0' ? { version: '4', ...ip } : ip,
      ]);
    }
    // host: the gateway as /32 on the veth, a host route to the container, forwarding
    expect(addrsOf(host, hostVeth)).toEqual(['10.44.0.1/32']);
    expect(routes(host).find((x) => x.dst === '10.44.0.2')).toMatchObject({ dev: hostVeth, scope: 'host' });
    expect(sysctl(host, 'net/ipv4/ip_forward')).toBe('1');
    expect(linkInfo(host, hostVeth).mtu).toBe(1400);
    // container: the address, and every route through the gateway
    expect(addrsOf(c, 'eth0')).toEqual(['10.44.0.2/24']);
    expect(linkInfo(c, 'eth0').mtu).toBe(1400);
    expect(contRoutes(c)).toEqual([
      { dst: '10.44.0.0/24', gateway: '10.44.0.1', scope: undefined, prefsrc: '10.44.0.2' },
      { dst: '10.44.0.1', gateway: undefined, scope: 'link', prefsrc: '10.44.0.2' },
    ]);
    if (version === '0.4.0' || version >= '1') {
      const chk = await runIn(host, 'ptp', { command: 'CHECK', ...env(c), stdin: { ...cfg, prevResult: r } });
      expect(chk.stdout + chk.stderr).toBe('');
      expect(chk.code).toBe(0);
    }
    if (version === '1.1.0') {
      expect((await runIn(host, 'ptp', { command: 'STATUS', stdin: cfg })).code).toBe(0);
      const valid = { 'cni.dev/valid-attachments': [{ containerID: 'p1', ifname: 'eth0' }] };
      expect((await runIn(host, 'ptp', { command: 'GC', stdin: { ...cfg, ...valid } })).code).toBe(0);
      expect(storeFiles()).toEqual(['10.44.0.2']); // still valid: kept
    }
    for (let i = 0; i < 2; i++) {
      const del = await runIn(host, 'ptp', { command: 'DEL', ...env(c), stdin: cfg });
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
    }
    expect(linkInfo(c, 'eth0')).toBeUndefined();
    expect(linkInfo(host, hostVeth)).toBeUndefined();
    expect(storeFiles()).toEqual([]);
  });
});

describe('ptp traffic, masquerade, bad input', () => {
  it('containers reach the host namespace and each other through it', async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const cfg = conf('1.0.0');
    expect((await runIn(host, 'ptp', { command: 'ADD', ...env(a, 'pa'), stdin: cfg })).code).toBe(0);
    expect((await runIn(host, 'ptp', { command: 'ADD', ...env(b, 'pb'), stdin: cfg })).code).toBe(0);
    // the same gateway address on both host veths
    expect(ipj(host, '-4', 'addr', 'show', 'to', '10.44.0.1/32')).toHaveLength(2);
    expect(await tcpEcho(a, host, '10.44.0.1')).toBe(true);
    expect(await tcpEcho(a, b, '10.44.0.3')).toBe(true);
    expect(await tcpEcho(b, a, '10.44.0.2')).toBe(true);
  });

  it('ipMasq and dns: rules on ADD, gone after DEL; the config DNS in the result', async () => {
    const c = conts[0] as TestNetNS;
    const dns = { nameservers: ['10.44.0.53'], search: ['svc.local'] };
    const cfg = conf('1.0.0', { ipMasq: true, dns });
    const add = await runIn(host, 'ptp', { command: 'ADD', ...env(c), stdin: cfg });
    expect(add.code).toBe(0);
    expect(add.json.dns).toEqual(dns); // the config's DNS wins over IPAM's
    const rules = natRules(host);
    expect(rules.some((l) => l.startsWith('-A POSTROUTING -s 10.44.0.2/32'))).toBe(true);
    expect(rules.some((l) => l.includes('-d 10.44.0.0/24') && l.includes('-j ACCEPT'))).toBe(true);
    expect((await runIn(host, 'ptp', { command: 'DEL', ...env(c), stdin: cfg })).code).toBe(0);
    expect(natRules(host).filter((l) => l.includes('CNI-'))).toEqual([]);
  });

  it('dual stack: /128 gateway on the host veth and routes through it', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = {
      ...conf('1.0.0'),
      ipam: {
        type: 'host-local',
        dataDir: store.dir,
        ranges: [[{ subnet: '10.44.0.0/24' }], [{ subnet: 'fd00:44::/64' }]],
      },
    };
    const add = await runIn(host, 'ptp', { command: 'ADD', ...env(c), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const hostVeth = add.json.interfaces[0].name;
    expect(addrsOf(host, hostVeth, 6)).toEqual(['fd00:44::1/128']);
    expect(sysctl(host, 'net/ipv6/conf/all/forwarding')).toBe('1');
    const r6 = routes(c, 6).map((r) => `${r.dst} ${r.gateway ?? ''}`);
    expect(r6).toContain('fd00:44::1 ');
    expect(r6).toContain('fd00:44::/64 fd00:44::1');
    const chk = await runIn(host, 'ptp', {
      command: 'CHECK',
      ...env(c),
      stdin: { ...cfg, prevResult: add.json },
    });
    expect(chk.code).toBe(0);
    expect((await runIn(host, 'ptp', { command: 'DEL', ...env(c), stdin: cfg })).code).toBe(0);
  });

  it.each([
    [{ mtu: 'x' }, 6, '"mtu" must be an integer, got string "x"'],
    [{ mtu: -5 }, 7, '"mtu" -5'],
    [{ ipMasqBackend: 'ipfw' }, 7, '"ipMasqBackend" "ipfw"'],
    [{ ipam: {} }, 7, '"ipam.type"'],
    [{ ipMasq: 'yes' }, 6, '"ipMasq" must be a boolean'],
  ])('%j is rejected before anything is created', async (extra, code, text) => {
    const r = await runIn(host, 'ptp', {
      command: 'ADD',
      ...env(conts[0] as TestNetNS),
      stdin: conf('1.0.0', extra),
    });
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(code);
    expect(r.json.msg).toContain(text);
    expect(ipj(host, 'link', 'show', 'type', 'veth')).toEqual([]);
    expect(storeFiles()).toEqual([]);
  });

  it('a failure after IPAM rolls back: the address is released, nothing is left on the host', async () => {
    const c = conts[0] as TestNetNS;
    execIn(c, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0']);
    const r = await runIn(host, 'ptp', { command: 'ADD', ...env(c), stdin: conf('1.0.0') });
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(999);
    expect(r.json.msg).toContain('"eth0"');
    expect(storeFiles()).toEqual([]);
    expect(ipj(host, 'link', 'show', 'type', 'veth')).toEqual([]);
  });

  it('DEL with a vanished netns succeeds and releases the address', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0');
    expect((await runIn(host, 'ptp', { command: 'ADD', ...env(c), stdin: cfg })).code).toBe(0);
    const path = c.path;
    destroyNetNS(c);
    conts[0] = makeNetNS('ptc');
    const del = await runIn(host, 'ptp', { command: 'DEL', containerID: 'p1', netns: path, stdin: cfg });
    expect(del.code).toBe(0);
    expect(storeFiles()).toEqual([]);
  });
});

describe('ptp side by side with Go (v1.1.1)', () => {
  it('same kernel state and equivalent results; each DEL removes the other ADD', async () => {
    const [ours, theirs] = conts as [TestNetNS, TestNetNS];
    const goHost = makeNetNS('pgh');
    try {
      const cfg = (dataDir: string) => ({
        ...conf('1.0.0', { ipMasq: true, mtu: 1450 }),
        ipam: { type: 'host-local', subnet: '10.44.0.0/24', dataDir },
      });
      const goStore = tempDir('cni-ptp-go-');
      try {
        const a = await runIn(host, 'ptp', { command: 'ADD', ...env(ours), stdin: cfg(store.dir) });
        const g = await runIn(goHost, 'ptp', {
          command: 'ADD',
          ...env(theirs),
          stdin: cfg(goStore.dir),
          dir: GO_BIN,
        });
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
        expect(contRoutes(ours)).toEqual(contRoutes(theirs));
        expect(addrsOf(ours, 'eth0')).toEqual(addrsOf(theirs, 'eth0'));
        expect(addrsOf(host, a.json.interfaces[0].name)).toEqual(addrsOf(goHost, g.json.interfaces[0].name));
        const hr = (ns: TestNetNS) =>
          routes(ns)
            .map((r) => `${r.dst} ${r.scope}`)
            .sort();
        expect(hr(host)).toEqual(hr(goHost));
        expect(natRules(host)).toEqual(natRules(goHost));

        // our DEL removes Go's ADD, Go's DEL removes ours (swap the host namespaces' roles)
        const od = await runIn(goHost, 'ptp', { command: 'DEL', ...env(theirs), stdin: cfg(goStore.dir) });
        const gd = await runIn(host, 'ptp', {
          command: 'DEL',
          ...env(ours),
          stdin: cfg(store.dir),
          dir: GO_BIN,
        });
        expect([od.code, gd.code]).toEqual([0, 0]);
        for (const [h, c] of [
          [host, ours],
          [goHost, theirs],
        ] as const) {
          expect(linkInfo(c, 'eth0')).toBeUndefined();
          expect(ipj(h, 'link', 'show', 'type', 'veth')).toEqual([]);
          expect(natRules(h).filter((l) => l.includes('CNI-'))).toEqual([]);
        }
        expect(storeFiles()).toEqual([]);
        expect(readdirSync(`${goStore.dir}/ptpnet`).filter((f) => f.startsWith('10.'))).toEqual([]);
      } finally {
        goStore.cleanup();
      }
    } finally {
      destroyNetNS(goHost);
    }
  });
});
