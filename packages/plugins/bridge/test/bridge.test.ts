// bridge as a real process from dist/cni/bin (run `pnpm build` first), in a throwaway "host"
// namespace with throwaway "container" namespaces: every spec version and verb, kernel state,
// traffic, bad input, idempotent DEL.
import { existsSync, readdirSync } from 'node:fs';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_VERSIONS,
  addrsOf,
  execIn,
  ipj,
  linkInfo,
  natRules,
  tcpEcho,
  routes,
  runIn,
  sysctl,
  tempDir,
} from '@cni-internal/test-kit/net';

let host: TestNetNS;
let conts: TestNetNS[];
let store: { dir: string; cleanup(): void };

beforeEach(() => {
  host = makeNetNS('brh');
  conts = [makeNetNS('brc'), makeNetNS('brc')];
  store = tempDir('cni-bridge-ipam-');
});
afterEach(() => {
  for (const c of conts) destroyNetNS(c);
  destroyNetNS(host);
  store.cleanup();
});

const conf = (version: string, extra: object = {}, ipam: object | null = {}) => ({
  cniVersion: version,
  name: 'brnet',
  type: 'bridge',
  bridge: 'cni0',
  isGateway: true,
  ...(ipam === null
    ? {}
    : { ipam: { type: 'host-local', subnet: '10.33.0.0/24', dataDir: store.dir, ...ipam } }),
  ...extra,
});

const env = (c: TestNetNS, containerID = 'ctr1', ifName = 'eth0') => ({
  containerID,
  netns: c.path,
  ifName,
});

const storeFiles = () =>
  existsSync(`${store.dir}/brnet`)
    ? readdirSync(`${store.dir}/brnet`).filter((f) => f.startsWith('10.'))
    : [];

describe('bridge process, every spec version', () => {
  it.each(ALL_VERSIONS)('%s: ADD, CHECK, DEL, DEL again', async (version) => {
    const c = conts[0] as TestNetNS;
    const cfg = conf(version);
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const r = add.json;
    expect(r.cniVersion).toBe(version);
    if (version === '0.1.0' || version === '0.2.0') {
      expect(r.ip4).toEqual({ ip: '10.33.0.2/24', gateway: '10.33.0.1' });
      expect(r.interfaces).toBeUndefined();
    } else {
      expect(r.interfaces).toHaveLength(3);
      expect(r.interfaces[0].name).toBe('cni0');
      expect(r.interfaces[1].name).toMatch(/^veth[0-9a-f]{8}$/);
      expect(r.interfaces[2]).toEqual({
        name: 'eth0',
        mac: linkInfo(c, 'eth0').address,
        sandbox: c.path,
      });
      expect(r.interfaces[0].mac).toBe(linkInfo(host, 'cni0').address);
      expect(r.interfaces[1].mac).toBe(linkInfo(host, r.interfaces[1].name).address);
      const ip = { address: '10.33.0.2/24', gateway: '10.33.0.1', interface: 2 };
      expect(r.ips).toEqual([
        version.startsWith('0.3') || version === '0.4.0' ? { version: '4', ...ip } : ip,
      ]);
    }
    // kernel: bridge with the gateway, the port, the container side
    const br = linkInfo(host, 'cni0');
    expect(br.linkinfo.info_kind).toBe('bridge');
    expect(addrsOf(host, 'cni0')).toEqual(['10.33.0.1/24']);
    const ports = ipj(host, 'link', 'show', 'master', 'cni0');
    expect(ports).toHaveLength(1);
    expect(ports[0].operstate).toBe('UP');
    expect(linkInfo(host, ports[0].ifname).linkinfo.info_slave_data.hairpin).toBe(false);
    expect(addrsOf(c, 'eth0')).toEqual(['10.33.0.2/24']);
    expect(linkInfo(c, 'eth0').linkinfo.info_kind).toBe('veth');
    expect(routes(c).some((x) => x.dst === '10.33.0.0/24' && x.dev === 'eth0')).toBe(true);
    expect(sysctl(host, 'net/ipv4/ip_forward')).toBe('1');
    expect(sysctl(host, `net/ipv6/conf/${ports[0].ifname}/accept_ra`)).toBe('0');
    expect(sysctl(host, 'net/ipv6/conf/cni0/accept_ra')).toBe('0');
    expect(sysctl(c, 'net/ipv4/conf/eth0/arp_notify')).toBe('1');
    expect(sysctl(c, 'net/ipv6/conf/eth0/accept_dad')).toBe('0');
    expect(storeFiles()).toEqual(['10.33.0.2']);

    if (version === '0.4.0' || version >= '1') {
      const chk = await runIn(host, 'bridge', {
        command: 'CHECK',
        ...env(c),
        stdin: { ...cfg, prevResult: r },
      });
      expect(chk.stdout + chk.stderr).toBe('');
      expect(chk.code).toBe(0);
    }
    if (version === '1.1.0') {
      const st = await runIn(host, 'bridge', { command: 'STATUS', stdin: cfg });
      expect(st.code).toBe(0);
    }

    for (let i = 0; i < 2; i++) {
      const del = await runIn(host, 'bridge', { command: 'DEL', ...env(c), stdin: cfg });
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
    }
    expect(linkInfo(c, 'eth0')).toBeUndefined();
    expect(ipj(host, 'link', 'show', 'master', 'cni0')).toHaveLength(0);
    expect(addrsOf(host, 'cni0')).toEqual(['10.33.0.1/24']); // the bridge stays
    expect(storeFiles()).toEqual([]);
  });
});

describe('bridge traffic and options', () => {
  it('two containers reach each other and the gateway', async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const cfg = conf('1.0.0', { isDefaultGateway: true });
    const ra = await runIn(host, 'bridge', { command: 'ADD', ...env(a, 'ca'), stdin: cfg });
    const rb = await runIn(host, 'bridge', { command: 'ADD', ...env(b, 'cb'), stdin: cfg });
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(ra.json.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.33.0.1' }]);
    expect(routes(a).find((x) => x.dst === 'default')).toMatchObject({ gateway: '10.33.0.1', dev: 'eth0' });
    expect(await tcpEcho(a, b, '10.33.0.3')).toBe(true);
    expect(await tcpEcho(b, a, '10.33.0.2')).toBe(true);
    expect(await tcpEcho(a, host, '10.33.0.1')).toBe(true);
    expect(ipj(host, 'link', 'show', 'master', 'cni0')).toHaveLength(2);
    for (const [c, id] of [
      [a, 'ca'],
      [b, 'cb'],
    ] as const) {
      expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c, id), stdin: cfg })).code).toBe(0);
    }
    expect(ipj(host, 'link', 'show', 'master', 'cni0')).toHaveLength(0);
  });

  it('hairpin, port isolation, promiscuous bridge, MTU and the MAC from runtimeConfig', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.1.0', {
      hairpinMode: true,
      portIsolation: true,
      mtu: 1400,
      runtimeConfig: { mac: '02:11:22:33:44:55' },
    });
    const add = await runIn(host, 'bridge', {
      command: 'ADD',
      ...env(c),
      args: 'IgnoreUnknown=1;MAC=02:00:00:00:00:09',
      stdin: cfg,
    });
    expect(add.code).toBe(0);
    const port = add.json.interfaces[1].name;
    const slave = linkInfo(host, port).linkinfo.info_slave_data;
    expect(slave.hairpin).toBe(true);
    expect(slave.isolated).toBe(true);
    expect(linkInfo(c, 'eth0').address).toBe('02:11:22:33:44:55');
    expect(linkInfo(c, 'eth0').mtu).toBe(1400);
    expect(linkInfo(host, 'cni0').mtu).toBe(1400);
    const chk = await runIn(host, 'bridge', {
      command: 'CHECK',
      ...env(c),
      stdin: { ...cfg, prevResult: add.json },
    });
    expect(chk.code).toBe(0);
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c), stdin: cfg })).code).toBe(0);

    const promisc = conf('1.0.0', { bridge: 'br-p', promiscMode: true });
    const p = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 'p'), stdin: promisc });
    expect(p.code).toBe(0);
    expect(linkInfo(host, 'br-p').flags).toContain('PROMISC');
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c, 'p'), stdin: promisc })).code).toBe(0);
  });

  it('MAC from CNI_ARGS when nothing later overrides it', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0');
    const add = await runIn(host, 'bridge', {
      command: 'ADD',
      ...env(c),
      args: 'IgnoreUnknown=1;MAC=02:00:00:00:00:09',
      stdin: cfg,
    });
    expect(add.code).toBe(0);
    expect(add.json.interfaces[2].mac).toBe('02:00:00:00:00:09');
    expect(linkInfo(c, 'eth0').address).toBe('02:00:00:00:00:09');
  });

  it('ipMasq (iptables) is set up on ADD and removed on DEL; GC removes stale attachments', async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const cfg = conf('1.1.0', { ipMasq: true });
    expect((await runIn(host, 'bridge', { command: 'ADD', ...env(a, 'ma'), stdin: cfg })).code).toBe(0);
    expect((await runIn(host, 'bridge', { command: 'ADD', ...env(b, 'mb'), stdin: cfg })).code).toBe(0);
    const rules = natRules(host);
    expect(rules.filter((l) => l.includes('-j MASQUERADE'))).toHaveLength(2);
    expect(rules.some((l) => l.startsWith('-A POSTROUTING -s 10.33.0.2/32'))).toBe(true);
    const gc = await runIn(host, 'bridge', {
      command: 'GC',
      stdin: { ...cfg, 'cni.dev/valid-attachments': [{ containerID: 'mb', ifname: 'eth0' }] },
    });
    expect(gc.stdout + gc.stderr).toBe('');
    expect(gc.code).toBe(0);
    const after = natRules(host);
    expect(after.some((l) => l.includes('-s 10.33.0.2/32'))).toBe(false);
    expect(after.some((l) => l.includes('-s 10.33.0.3/32'))).toBe(true);
    expect(storeFiles()).toEqual(['10.33.0.3']); // host-local GC released ma's address too
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(b, 'mb'), stdin: cfg })).code).toBe(0);
    expect(natRules(host).filter((l) => l.includes('CNI-'))).toEqual([]);
  });

  it('ipMasqBackend nftables: inet cni_plugins_masquerade rules on ADD, gone after DEL; enabledad', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0', { ipMasq: true, ipMasqBackend: 'nftables', enabledad: true });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 'nf'), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const table = execIn(host, ['nft', 'list', 'table', 'inet', 'cni_plugins_masquerade']).out;
    expect(table).toMatch(
      /ip saddr 10\.33\.0\.2 ip daddr != 10\.33\.0\.0\/24 masquerade comment "[0-9a-f]{16}-[0-9a-f]{16}, net: brnet, if: eth0, id: nf"/,
    );
    expect(natRules(host).filter((l) => l.includes('CNI-'))).toEqual([]); // not iptables
    expect(sysctl(c, 'net/ipv6/conf/eth0/accept_dad')).toBe('1');
    expect(sysctl(c, 'net/ipv6/conf/eth0/enhanced_dad')).toBe('1');
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c, 'nf'), stdin: cfg })).code).toBe(0);
    expect(execIn(host, ['nft', 'list', 'table', 'inet', 'cni_plugins_masquerade']).out).not.toContain(
      'id: nf',
    );
  });

  it('macspoofchk installs the nftables bridge chains and DEL removes them', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0', { macspoofchk: true });
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c, 'sp'), stdin: cfg });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = execIn(host, ['nft', 'list', 'table', 'bridge', 'nat']).out;
    const port = add.json.interfaces[1].name;
    expect(list).toContain(`iifname "${port}" jump cni-br-iface-sp-eth0 comment "macspoofchk-sp-eth0"`);
    expect(list).toContain(`ether saddr ${add.json.interfaces[2].mac} return comment "macspoofchk-sp-eth0"`);
    expect(list).toContain('drop comment "macspoofchk-sp-eth0"');
    expect(await tcpEcho(c, host, '10.33.0.1')).toBe(true);
    // a spoofed source MAC is dropped
    execIn(c, ['ip', 'link', 'set', 'eth0', 'address', '02:de:ad:00:00:01']);
    execIn(c, ['ip', 'neigh', 'flush', 'all']);
    expect(await tcpEcho(c, host, '10.33.0.1')).toBe(false);
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c, 'sp'), stdin: cfg })).code).toBe(0);
    const after = execIn(host, ['nft', 'list', 'table', 'bridge', 'nat']).out;
    expect(after).not.toContain('cni-br-iface-sp-eth0');
  });

  it("GC removes the spoof check of stale attachments, keeps valid ones and other bridges' ports", async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const o = makeNetNS('brc');
    conts.push(o);
    const cfg = conf('1.1.0', { macspoofchk: true });
    for (const [c, id] of [
      [a, 'ga'],
      [b, 'gb'],
    ] as const)
      expect((await runIn(host, 'bridge', { command: 'ADD', ...env(c, id), stdin: cfg })).code).toBe(0);
    // another network on another bridge, not in this network's valid attachments
    const other = {
      ...conf('1.1.0', { macspoofchk: true, bridge: 'cni1', isGateway: false }, null),
      name: 'othernet',
    };
    expect((await runIn(host, 'bridge', { command: 'ADD', ...env(o, 'go'), stdin: other })).code).toBe(0);
    // an inert leftover chain pair of some earlier attachment
    execIn(host, ['nft', 'add', 'chain', 'bridge', 'nat', 'cni-br-iface-old-eth0']);
    execIn(host, ['nft', 'add', 'chain', 'bridge', 'nat', 'cni-br-iface-old-eth0-mac']);
    // "ga"'s container went away without a DEL: its veth pair is gone, its chains are not
    execIn(a, ['ip', 'link', 'del', 'eth0']);
    const gc = await runIn(host, 'bridge', {
      command: 'GC',
      stdin: { ...cfg, 'cni.dev/valid-attachments': [{ containerID: 'gb', ifname: 'eth0' }] },
    });
    expect(gc.stdout + gc.stderr).toBe('');
    expect(gc.code).toBe(0);
    const list = execIn(host, ['nft', 'list', 'table', 'bridge', 'nat']).out;
    expect(list).not.toContain('cni-br-iface-ga-eth0');
    expect(list).not.toContain('macspoofchk-ga-eth0');
    expect(list).not.toContain('cni-br-iface-old-eth0');
    expect(list).toContain('jump cni-br-iface-gb-eth0 comment "macspoofchk-gb-eth0"');
    expect(list).toContain('jump cni-br-iface-go-eth0 comment "macspoofchk-go-eth0"');
    // the valid attachment is still checked: traffic passes, a spoofed MAC is dropped
    expect(await tcpEcho(b, host, '10.33.0.1')).toBe(true);
    execIn(b, ['ip', 'link', 'set', 'eth0', 'address', '02:de:ad:00:00:02']);
    execIn(b, ['ip', 'neigh', 'flush', 'all']);
    expect(await tcpEcho(b, host, '10.33.0.1')).toBe(false);
    // a GC of the other network with nothing valid takes its attachment away too
    const gc2 = await runIn(host, 'bridge', {
      command: 'GC',
      stdin: { ...other, 'cni.dev/valid-attachments': [] },
    });
    expect(gc2.code).toBe(0);
    expect(execIn(host, ['nft', 'list', 'table', 'bridge', 'nat']).out).not.toContain('go-eth0');
    for (const [c, id, cf] of [
      [b, 'gb', cfg],
      [o, 'go', other],
    ] as const)
      expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c, id), stdin: cf })).code).toBe(0);
  });

  it('layer 2 only: no IPAM, the container side up; disableContainerInterface leaves it down', async () => {
    const [a, b] = conts as [TestNetNS, TestNetNS];
    const l2 = conf('1.0.0', { isGateway: false }, null);
    const r = await runIn(host, 'bridge', { command: 'ADD', ...env(a, 'l2'), stdin: l2 });
    expect(r.code).toBe(0);
    expect(r.json.ips).toBeUndefined();
    expect(linkInfo(a, 'eth0').flags).toContain('UP');
    const off = { ...l2, disableContainerInterface: true };
    const r2 = await runIn(host, 'bridge', { command: 'ADD', ...env(b, 'off'), stdin: off });
    expect(r2.code).toBe(0);
    expect(linkInfo(b, 'eth0').flags).not.toContain('UP');
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(b, 'off'), stdin: off })).code).toBe(0);
  });

  it('a different address on the bridge is an error unless forceAddress', async () => {
    const c = conts[0] as TestNetNS;
    execIn(host, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    execIn(host, ['ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'cni0']);
    const cfg = conf('1.0.0');
    const bad = await runIn(host, 'bridge', { command: 'ADD', ...env(c), stdin: cfg });
    expect(bad.code).toBe(1);
    expect(bad.json).toEqual({
      code: 999,
      msg: '"cni0" already has an IP address different from 10.33.0.1/24',
    });
    // rolled back: no link in the container, no port, the address released
    expect(linkInfo(c, 'eth0')).toBeUndefined();
    expect(ipj(host, 'link', 'show', 'master', 'cni0')).toHaveLength(0);
    expect(storeFiles()).toEqual([]);
    const forced = await runIn(host, 'bridge', {
      command: 'ADD',
      ...env(c),
      stdin: conf('1.0.0', { forceAddress: true }),
    });
    expect(forced.code).toBe(0);
    expect(addrsOf(host, 'cni0')).toEqual(['10.33.0.1/24']);
  });

  it('an existing link that is not a bridge is an error', async () => {
    execIn(host, ['ip', 'link', 'add', 'cni0', 'type', 'veth', 'peer', 'name', 'x0']);
    const r = await runIn(host, 'bridge', {
      command: 'ADD',
      ...env(conts[0] as TestNetNS),
      stdin: conf('1.0.0'),
    });
    expect(r.json).toEqual({ code: 999, msg: '"cni0" already exists but is not a bridge' });
    expect(storeFiles()).toEqual([]);
  });

  it('dual stack: IPv6 gateway on the bridge, forwarding, DAD off in the container', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = {
      ...conf('1.0.0', { isDefaultGateway: true }, null),
      ipam: {
        type: 'host-local',
        dataDir: store.dir,
        ranges: [[{ subnet: '10.33.0.0/24' }], [{ subnet: 'fd00:33::/64' }]],
      },
    };
    const r = await runIn(host, 'bridge', { command: 'ADD', ...env(c), stdin: cfg });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.ips.map((i: { address: string }) => i.address)).toEqual(['10.33.0.2/24', 'fd00:33::2/64']);
    expect(r.json.routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.33.0.1' },
      { dst: '::/0', gw: 'fd00:33::1' },
    ]);
    expect(addrsOf(host, 'cni0', 6)).toEqual(['fd00:33::1/64']);
    expect(sysctl(host, 'net/ipv6/conf/all/forwarding')).toBe('1');
    expect(addrsOf(c, 'eth0', 6)).toEqual(['fd00:33::2/64']);
    expect(routes(c, 6).find((x) => x.dst === 'default')).toMatchObject({ gateway: 'fd00:33::1' });
    // the bridge's own address does DAD (the reference does not wait for it): wait here
    for (let i = 0; i < 50 && ipj(host, '-6', 'addr', 'show', 'dev', 'cni0', 'tentative').length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await tcpEcho(c, host, 'fd00:33::1')).toBe(true);
    const chk = await runIn(host, 'bridge', {
      command: 'CHECK',
      ...env(c),
      stdin: { ...cfg, prevResult: r.json },
    });
    expect(chk.stdout).toBe('');
    expect(chk.code).toBe(0);
    expect((await runIn(host, 'bridge', { command: 'DEL', ...env(c), stdin: cfg })).code).toBe(0);
  });
});

describe('bridge bad input and DEL edge cases', () => {
  it.each([
    [{ vlan: 5000 }, 7, '"vlan" 5000'],
    [{ mtu: 'big' }, 6, '"mtu" must be an integer, got string "big"'],
    [{ hairpinMode: true, promiscMode: true }, 7, 'cannot set "hairpinMode" and "promiscMode"'],
    [{ ipMasqBackend: 'pf' }, 7, '"ipMasqBackend" "pf"'],
    [{ vlanTrunk: [{ minID: 10 }] }, 7, 'vlanTrunk[0].maxID'],
    [{ bridge: 'a/b' }, 7, '"bridge" "a/b"'],
    [{ runtimeConfig: { mac: 'nope' } }, 7, '"runtimeConfig.mac" "nope"'],
  ])('%j is rejected before anything is created', async (extra, code, text) => {
    const r = await runIn(host, 'bridge', {
      command: 'ADD',
      ...env(conts[0] as TestNetNS),
      stdin: conf('1.0.0', extra),
    });
    expect(r.code).toBe(1);
    expect(r.json.code).toBe(code);
    expect(r.json.msg).toContain(text);
    expect(r.stdout).not.toMatch(/\bat .*\.(js|mjs|ts):\d+/);
    expect(linkInfo(host, 'cni0')).toBeUndefined();
    expect(storeFiles()).toEqual([]);
  });

  it('DEL with a netns that is gone releases IPAM and succeeds; empty CNI_NETNS too', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0');
    expect((await runIn(host, 'bridge', { command: 'ADD', ...env(c), stdin: cfg })).code).toBe(0);
    const path = c.path;
    destroyNetNS(c);
    conts[0] = makeNetNS('brc');
    const del = await runIn(host, 'bridge', { command: 'DEL', containerID: 'ctr1', netns: path, stdin: cfg });
    expect(del.stdout + del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(storeFiles()).toEqual([]);
    const empty = await runIn(host, 'bridge', { command: 'DEL', containerID: 'ctr1', netns: '', stdin: cfg });
    expect(empty.code).toBe(0);
  });

  it('CHECK without prevResult, and with a wrong MAC, fails', async () => {
    const c = conts[0] as TestNetNS;
    const cfg = conf('1.0.0');
    const add = await runIn(host, 'bridge', { command: 'ADD', ...env(c), stdin: cfg });
    const none = await runIn(host, 'bridge', { command: 'CHECK', ...env(c), stdin: cfg });
    expect(none.json).toEqual({ code: 999, msg: 'Required prevResult missing' });
    const prev = structuredClone(add.json);
    prev.interfaces[2].mac = '02:00:00:00:00:42';
    const bad = await runIn(host, 'bridge', {
      command: 'CHECK',
      ...env(c),
      stdin: { ...cfg, prevResult: prev },
    });
    expect(bad.json.msg).toBe(
      `Interface eth0 Mac 02:00:00:00:00:42 doesn't match container Mac: ${add.json.interfaces[2].mac}`,
    );
  });
});
