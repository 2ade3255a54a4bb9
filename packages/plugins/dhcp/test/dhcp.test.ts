// The dhcp plugin and daemon against a real dnsmasq: leases, routes, renewal, release,
// concurrency, restart, errors. The daemon runs as a separate process (dist/cni/bin/dhcp).
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ALL_VERSIONS, ip, ipJson, linkInfo, ourBin, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DhcpEnv } from './env.js';

let env: DhcpEnv;

beforeEach(() => {
  env = new DhcpEnv();
});

afterEach(async () => {
  await env.cleanup();
});

/** What a main plugin would do with the result: put the address on the interface. */
function configure(c: TestNetNS, address: string, ifName = 'eth0'): void {
  ip(c, 'addr', 'add', address, 'dev', ifName);
}

function packetSockets(c: TestNetNS): string {
  // packet sockets of the namespace (ss asks the namespace's sock_diag)
  return execFileSync('ip', ['netns', 'exec', c.name, 'ss', '-A', 'packet', '-a', '-n', '-H'], {
    encoding: 'utf8',
  }).trim();
}

const stateFiles = (): string[] =>
  existsSync(env.stateDir) ? readdirSync(env.stateDir).filter((f) => f.endsWith('.json')) : [];

describe('lease lifecycle', () => {
  it('ADD leases an address with gateway and default route; DEL sends DHCPRELEASE', async () => {
    await env.startDnsmasq([`--dhcp-option=3,${env.subnet}.1`]);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const lease = env.leaseOf('ctr1/dhnet/eth0');
    expect(lease).toBeDefined();
    expect(add.json).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: `${lease?.ip}/24`, gateway: `${env.subnet}.1` }],
      routes: [{ dst: '0.0.0.0/0', gw: `${env.subnet}.1` }],
    });
    // the lease is persisted; no socket stays in the container namespace between exchanges
    expect(stateFiles()).toHaveLength(1);
    expect(packetSockets(c)).toBe('');
    // without -broadcast the server answers by unicast
    expect(env.dnsmasqLog).not.toMatch(/broadcast response/);

    const del = await env.run('DEL', c, env.conf('1.0.0'));
    expect(del.code).toBe(0);
    await env.until(() => env.leaseOf('ctr1/dhnet/eth0') === undefined, 'dnsmasq to drop the released lease');
    expect(env.dnsmasqLog).toMatch(/DHCPRELEASE\(br0\)/);
    expect(stateFiles()).toEqual([]);
    expect(packetSockets(c)).toBe('');
    // DEL again: unknown lease → success
    expect((await env.run('DEL', c, env.conf('1.0.0'))).code).toBe(0);
  });

  it('brings the link up when it is down and sends client id 0x00 + containerID/network/ifname', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer('net1', false);
    const add = await env.run('ADD', c, env.conf('1.0.0', {}, 'other'), {
      containerID: 'abc',
      ifName: 'net1',
    });
    expect(add.code).toBe(0);
    const link = ipJson(c, 'link', 'show', 'net1')[0];
    expect(link.flags).toContain('UP');
    const lease = env.leaseOf('abc/other/net1');
    expect(lease?.mac).toBe(link.address);
    expect(add.json.ips[0].address).toBe(`${lease?.ip}/24`);
    // no router from the server (dnsmasq sends one by default: its own address)
    expect(add.json.ips[0].gateway).toBe(`${env.subnet}.1`);
  });

  it('-broadcast sets the BOOTP broadcast flag: the server broadcasts its answers', async () => {
    await env.startDnsmasq();
    await env.startDaemon(['-broadcast']);
    const c = env.addContainer();
    expect((await env.run('ADD', c, env.conf('1.0.0'))).code).toBe(0);
    expect(env.dnsmasqLog).toMatch(/broadcast response/);
  });

  it('the same attachment in a new namespace gets a lease of its own; the old one is released', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const old = env.addContainer();
    const fresh = env.addContainer();
    expect((await env.run('ADD', old, env.conf('1.0.0'))).code).toBe(0);
    const add = await env.run('ADD', fresh, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    expect(env.daemonLog).toMatch(/releasing the old lease/);
    expect(env.dnsmasqLog).toMatch(/DHCPRELEASE/);
    await env.until(
      () => env.leaseOf('ctr1/dhnet/eth0')?.mac === linkInfo(fresh, 'eth0')?.address,
      'the new lease',
    );
    expect(`${env.leaseOf('ctr1/dhnet/eth0')?.ip}/24`).toBe(add.json.ips[0].address);
    expect(stateFiles()).toHaveLength(1);
  });

  it('option 121 routes replace the default route; router 0.0.0.0 becomes a link-scope route', async () => {
    await env.startDnsmasq([
      `--dhcp-option=121,192.168.50.0/24,${env.subnet}.254,10.99.0.0/16,0.0.0.0`,
      `--dhcp-option=33,192.168.60.0,${env.subnet}.253`,
    ]);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.1.0', { request: [{ option: '121' }], priority: 100 }));
    expect(add.code).toBe(0);
    expect(add.json.routes).toEqual([
      { dst: '192.168.50.0/24', gw: `${env.subnet}.254`, priority: 100 },
      { dst: '10.99.0.0/16', scope: 253, priority: 100 },
    ]);
    expect(env.dnsmasqLog).toMatch(/requested options: 121:classless-static-route/);
  });

  it('option 33 routes (classful) plus the default route via the router', async () => {
    await env.startDnsmasq([`--dhcp-option=33,192.168.60.0,${env.subnet}.253`]);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0', { request: [{ option: '33' }] }));
    expect(add.code).toBe(0);
    expect(add.json.routes).toEqual([
      { dst: '192.168.60.0/24', gw: `${env.subnet}.253` },
      { dst: '0.0.0.0/0', gw: `${env.subnet}.1` },
    ]);
  });

  it('provides options from the config and CNI_ARGS (host name seen by dnsmasq)', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    const conf = env.conf('1.0.0', {
      provide: [{ option: 'host-name', value: 'cfgname', fromArg: 'K8S_POD_NAME' }],
    });
    const add = await env.run('ADD', c, conf, { args: 'IgnoreUnknown=1;K8S_POD_NAME=web-7' });
    expect(add.code).toBe(0);
    expect(env.dnsmasqLog).toMatch(/client provides name: web-7/);
  });

  it('renews at T1 (unicast, without requested-IP) and dnsmasq extends the lease', async () => {
    await env.startDnsmasq(['--dhcp-option=58,10']);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    configure(c, add.json.ips[0].address);
    const first = env.leaseOf('ctr1/dhnet/eth0');
    expect(first).toBeDefined();
    await env.until(
      () => (env.leaseOf('ctr1/dhnet/eth0')?.expiry ?? 0) > (first?.expiry ?? 0),
      'the renewal to reach dnsmasq',
    );
    await env.until(
      () => /ctr1\/dhnet\/eth0: lease renewed/.test(env.daemonLog),
      'the daemon to log the renewal',
    );
    expect(env.leaseOf('ctr1/dhnet/eth0')?.ip).toBe(first?.ip);
    // one DISCOVER only: the renewal was a REQUEST, not a new acquisition
    expect(env.dnsmasqLog.match(/DHCPDISCOVER/g)).toHaveLength(1);
  });
});

describe('lease maintenance', () => {
  it('rebinds (new DISCOVER) after T2 when renewals get no answer', async () => {
    await env.startDnsmasq(['--dhcp-option=58,10', '--dhcp-option=59,14']);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    // the address is not put on the interface: the server's unicast answers to ciaddr
    // cannot be delivered (no ARP reply), so renewing fails until T2
    await env.until(() => /ctr1\/dhnet\/eth0: lease rebound/.test(env.daemonLog), 'rebinding');
    expect(env.daemonLog).toMatch(/renewal time expired, rebinding/);
    expect(env.dnsmasqLog.match(/DHCPDISCOVER/g)).toHaveLength(2);
    expect(`${env.leaseOf('ctr1/dhnet/eth0')?.ip}/24`).toBe(add.json.ips[0].address);
  });

  it('a DHCPNAK to a renewal starts rebinding at once', async () => {
    await env.startDnsmasq(['--dhcp-option=58,10']);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    configure(c, add.json.ips[0].address);
    // the server restarts with a range that excludes the address, authoritative: it NAKs
    const p = env.dnsmasq;
    const gone = new Promise((r) => p?.once('exit', r));
    p?.kill('SIGTERM');
    await gone;
    rmSync(env.leaseFile, { force: true });
    env.dnsmasqLog = '';
    await env.startDnsmasq(
      ['--dhcp-option=58,10', '--dhcp-authoritative'],
      `${env.subnet}.201,${env.subnet}.250`,
    );
    await env.until(() => /ctr1\/dhnet\/eth0: lease rebound/.test(env.daemonLog), 'rebinding after the NAK');
    expect(env.daemonLog).toMatch(/renewal refused by the server, rebinding/);
    expect(env.dnsmasqLog).toMatch(/DHCPNAK/);
    const ipNow = Number(env.leaseOf('ctr1/dhnet/eth0')?.ip.split('.')[3]);
    expect(ipNow).toBeGreaterThanOrEqual(201);
  });

  it('stops maintenance when the interface disappears; CHECK then fails, DEL succeeds', async () => {
    await env.startDnsmasq(['--dhcp-option=58,10']);
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    ip(c, 'link', 'del', 'eth0');
    await env.until(
      () => /no longer exists, terminating lease maintenance/.test(env.daemonLog),
      'maintenance to stop',
    );
    const check = await env.run('CHECK', c, { ...env.conf('1.0.0'), prevResult: add.json });
    expect(check.code).toBe(1);
    expect(check.json.msg).toMatch(/is no longer maintained/);
    expect((await env.run('DEL', c, env.conf('1.0.0'))).code).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('a lease that cannot be acquired does not hold up another one', async () => {
    await env.startDnsmasq();
    await env.startDaemon(['-resendtimeout', '12s']);
    const good = env.addContainer();
    // a container whose link reaches no server
    const lonely = env.addContainer();
    ip(env.server, 'link', 'set', `vp${env.containers.length - 1}`, 'nomaster');
    let lonelyDone = false;
    const lonelyAdd = env.run('ADD', lonely, env.conf('1.0.0'), { containerID: 'lonely' }).then((r) => {
      lonelyDone = true;
      return r;
    });
    await env.until(
      () => /lonely\/dhnet\/eth0: acquiring lease/.test(env.daemonLog),
      'the first acquisition to start',
    );
    const add = await env.run('ADD', good, env.conf('1.0.0'), { containerID: 'good' });
    expect(add.code).toBe(0);
    expect(lonelyDone).toBe(false);
    const failed = await lonelyAdd;
    expect(failed.code).toBe(1);
    expect(failed.json.msg).toMatch(/acquire: no more tries after \d+ ms: timed out/);
    expect(packetSockets(lonely)).toBe('');
  });

  it('brings the interface down when a resumed lease expires and cannot be rebound', async () => {
    await env.startDnsmasq();
    await env.startDaemon(['-resendtimeout', '5s']);
    const c = env.addContainer();
    expect((await env.run('ADD', c, env.conf('1.0.0'))).code).toBe(0);
    await env.stopDaemon('SIGKILL');
    // the server goes away and the stored lease is past its expiry
    const p = env.dnsmasq;
    const gone = new Promise((r) => p?.once('exit', r));
    p?.kill('SIGTERM');
    await gone;
    env.dnsmasq = undefined;
    const [file] = stateFiles();
    const path = join(env.stateDir, file ?? '');
    const rec = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...rec, renewAt: 1, rebindAt: 2, expireAt: 3 }));
    await env.startDaemon(['-resendtimeout', '5s']);
    await env.until(() => /lease expired, bringing interface DOWN/.test(env.daemonLog), 'expiry');
    expect(ipJson(c, 'link', 'show', 'eth0')[0].flags).not.toContain('UP');
    expect(packetSockets(c)).toBe('');
  });

  it('-hostprefix applies to the socket and netns paths', async () => {
    await env.startDnsmasq();
    const prefix = join(env.dir.path, 'host');
    mkdirSync(prefix);
    symlinkSync('/run', join(prefix, 'run'));
    await env.startDaemon(['-hostprefix', prefix, '-socketpath', '/run/../sock-in-prefix']);
    const c = env.addContainer();
    const sock = join(prefix, 'sock-in-prefix');
    expect(existsSync(sock)).toBe(true);
    const conf = { ...env.conf('1.0.0'), ipam: { type: 'dhcp', daemonSocketPath: sock } };
    // the runtime's path as the daemon's host would see it: the daemon prefixes it
    const add = await env.run('ADD', c, conf);
    expect(add.code, add.stdout).toBe(0);
    expect(env.leaseOf('ctr1/dhnet/eth0')).toBeDefined();
  });
});

describe('plugin verbs', () => {
  it.each(ALL_VERSIONS)('ADD/CHECK/DEL for spec %s', async (v) => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf(v));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const leased = env.leaseOf('ctr1/dhnet/eth0')?.ip;
    if (v === '0.1.0' || v === '0.2.0') expect(add.json.ip4.ip).toBe(`${leased}/24`);
    else expect(add.json.ips[0].address).toBe(`${leased}/24`);
    if (v === '0.4.0' || v >= '1') {
      const check = await env.run('CHECK', c, { ...env.conf(v), prevResult: add.json });
      expect(check.stdout).toBe('');
      expect(check.code).toBe(0);
    }
    expect((await env.run('DEL', c, env.conf(v))).code).toBe(0);
    await env.until(() => env.leaseOf('ctr1/dhnet/eth0') === undefined, 'release');
  });

  it('CHECK fails when prevResult has another address than the lease', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    const prevResult = { ...add.json, ips: [{ address: '192.0.2.99/24' }] };
    const check = await env.run('CHECK', c, { ...env.conf('1.0.0'), prevResult });
    expect(check.code).toBe(1);
    expect(check.json.msg).toBe(
      `the DHCP lease holds ${add.json.ips[0].address}, but prevResult has 192.0.2.99/24`,
    );
  });

  it('CHECK verifies without acquiring a lease', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    const check = await env.run('CHECK', c, { ...env.conf('1.0.0'), prevResult: { cniVersion: '1.0.0' } });
    expect(check.code).toBe(1);
    expect(check.json.msg).toBe('no DHCP lease held for ctr1/dhnet/eth0');
    expect(env.leases()).toEqual([]);
    expect(env.dnsmasqLog).not.toMatch(/DHCPDISCOVER/);
  });

  it('STATUS: 0 when the daemon answers, 50 when it is not reachable', async () => {
    await env.startDaemon();
    expect((await env.run('STATUS', '', env.conf('1.1.0'))).code).toBe(0);
    await env.stopDaemon();
    const st = await env.run('STATUS', '', env.conf('1.1.0'));
    expect(st.code).toBe(1);
    expect(st.json.code).toBe(50);
    expect(st.json.msg).toContain(env.socket);
  });

  it('ADD without a daemon: error 50 naming the socket; DEL without a daemon succeeds with a log line', async () => {
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(1);
    expect(add.json.code).toBe(50);
    expect(add.json.msg).toContain(`error dialing DHCP daemon on ${env.socket}`);
    const del = await env.run('DEL', c, env.conf('1.0.0'));
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('');
    expect(del.stderr).toMatch(/nothing released/);
  });

  it('ADD into a namespace that does not exist fails before asking the daemon', async () => {
    await env.startDaemon();
    const add = await env.run('ADD', '/nonexistent/netns', env.conf('1.0.0'));
    expect(add.code).toBe(1);
    expect(add.json.msg).toMatch(/^failed to open netns "\/nonexistent\/netns"/);
    expect(env.daemonLog).not.toMatch(/acquiring/);
  });

  it('rejects a bad configuration before asking the daemon', async () => {
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0', { request: [{ option: 'bogus' }] }));
    expect(add.code).toBe(1);
    expect(add.json.code).toBe(7);
    expect(add.json.msg).toMatch(/ipam.request\[0\].option.*"bogus"/);
    expect(env.daemonLog).not.toMatch(/acquiring/);
  });

  it('GC releases leases of attachments not in cni.dev/valid-attachments', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c1 = env.addContainer();
    const c2 = env.addContainer();
    expect((await env.run('ADD', c1, env.conf('1.1.0'), { containerID: 'keep' })).code).toBe(0);
    expect((await env.run('ADD', c2, env.conf('1.1.0'), { containerID: 'stale' })).code).toBe(0);
    // a lease of another network is not touched
    expect((await env.run('ADD', c2, env.conf('1.1.0', {}, 'net2'), { containerID: 'stale' })).code).toBe(0);
    expect(env.leases()).toHaveLength(3);
    const gc = await env.run('GC', '', {
      ...env.conf('1.1.0'),
      'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
    });
    expect(gc.code).toBe(0);
    await env.until(() => env.leaseOf('stale/dhnet/eth0') === undefined, 'GC release');
    expect(env.leaseOf('keep/dhnet/eth0')).toBeDefined();
    expect(env.leaseOf('stale/net2/eth0')).toBeDefined();
  });
});

describe('daemon', () => {
  it('20 containers leased concurrently, all distinct, all released', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const cs = Array.from({ length: 20 }, () => env.addContainer());
    const adds = await Promise.all(
      cs.map((c, i) => env.run('ADD', c, env.conf('1.0.0'), { containerID: `ctr${i}` })),
    );
    for (const a of adds) expect(a.code, a.stdout + a.stderr).toBe(0);
    const addrs = adds.map((a) => a.json.ips[0].address);
    expect(new Set(addrs).size).toBe(20);
    expect(env.leases()).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(`${env.leaseOf(`ctr${i}/dhnet/eth0`)?.ip}/24`).toBe(addrs[i]);
    const dels = await Promise.all(
      cs.map((c, i) => env.run('DEL', c, env.conf('1.0.0'), { containerID: `ctr${i}` })),
    );
    for (const d of dels) expect(d.code).toBe(0);
    await env.until(() => env.leases().length === 0, 'all releases');
    for (const c of cs) expect(packetSockets(c)).toBe('');
  }, 180_000);

  it('leases survive a daemon restart: resumed, renewed, released by the new daemon', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    const add = await env.run('ADD', c, env.conf('1.0.0'));
    expect(add.code).toBe(0);
    configure(c, add.json.ips[0].address);
    const before = env.leaseOf('ctr1/dhnet/eth0');
    await env.stopDaemon('SIGKILL');
    env.daemonLog = '';
    await env.startDaemon();
    await env.until(
      () => /ctr1\/dhnet\/eth0: lease renewed/.test(env.daemonLog),
      'the resumed lease to be renewed',
    );
    expect(env.daemonLog).toMatch(/resuming lease/);
    expect(env.daemonLog).not.toMatch(/acquiring/);
    await env.until(
      () => (env.leaseOf('ctr1/dhnet/eth0')?.expiry ?? 0) > (before?.expiry ?? 0),
      'renewed expiry',
    );
    // ADD again returns the same lease without a new DISCOVER
    const discovers = env.dnsmasqLog.match(/DHCPDISCOVER/g)?.length;
    const again = await env.run('ADD', c, env.conf('1.0.0'));
    expect(again.json.ips).toEqual(add.json.ips);
    expect(env.dnsmasqLog.match(/DHCPDISCOVER/g)?.length).toBe(discovers);
    expect((await env.run('DEL', c, env.conf('1.0.0'))).code).toBe(0);
    await env.until(() => env.leaseOf('ctr1/dhnet/eth0') === undefined, 'release by the new daemon');
  });

  it('DEL after the netns is gone succeeds and forgets the lease', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    expect((await env.run('ADD', c, env.conf('1.0.0'))).code).toBe(0);
    const path = c.path;
    env.containers.splice(env.containers.indexOf(c), 1);
    const { destroyNetNS } = await import('@cni-internal/test-kit');
    destroyNetNS(c);
    const del = await env.run('DEL', path, env.conf('1.0.0'));
    expect(del.code).toBe(0);
    expect(stateFiles()).toEqual([]);
    // a DEL with an empty CNI_NETNS works too
    expect((await env.run('DEL', '', env.conf('1.0.0'))).code).toBe(0);
  });

  it('a restarted daemon drops stored leases whose interface is gone', async () => {
    await env.startDnsmasq();
    await env.startDaemon();
    const c = env.addContainer();
    expect((await env.run('ADD', c, env.conf('1.0.0'))).code).toBe(0);
    await env.stopDaemon('SIGKILL');
    ip(c, 'link', 'del', 'eth0');
    await env.startDaemon();
    expect(env.daemonLog).toMatch(/is gone, dropping the stored lease/);
    expect(stateFiles()).toEqual([]);
  });

  it('removes its socket and pidfile on SIGTERM and SIGINT', async () => {
    const pid = `${env.dir.path}/dhcp.pid`;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const p = await env.startDaemon(['-pidfile', pid]);
      expect(existsSync(env.socket)).toBe(true);
      expect(existsSync(pid)).toBe(true);
      const mode = execFileSync('stat', ['-c', '%a', env.socket], { encoding: 'utf8' }).trim();
      expect(mode).toBe('660');
      expect(p.pid).toBeDefined();
      expect(await env.stopDaemon(sig)).toBe(0);
      expect(existsSync(env.socket)).toBe(false);
      expect(existsSync(pid)).toBe(false);
    }
  });

  it('refuses to take over the socket of a running daemon, replaces a stale one', async () => {
    const first = await env.startDaemon();
    const second = new DhcpEnv();
    try {
      await expect(second.startDaemon(['-socketpath', env.socket])).rejects.toThrow(
        /another dhcp daemon answers on/,
      );
    } finally {
      await second.cleanup();
    }
    expect(first.exitCode).toBe(null);
    expect((await env.run('STATUS', '', env.conf('1.1.0'))).code).toBe(0);
    await env.stopDaemon('SIGKILL');
    expect(existsSync(env.socket)).toBe(true);
    await env.startDaemon();
    expect((await env.run('STATUS', '', env.conf('1.1.0'))).code).toBe(0);
  });

  it('serves a socket passed by systemd socket activation (LISTEN_FDS=1)', async () => {
    // python binds and listens, puts the socket on fd 3 and execs the launcher (same pid)
    const script = [
      'import os, socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      's.bind(sys.argv[1]); s.listen(16)',
      'os.dup2(s.fileno(), 3); os.set_inheritable(3, True)',
      "os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())",
      "os.execv(sys.argv[2], [sys.argv[2], 'daemon', '-socketpath', sys.argv[1] + '.unused', '-statedir', sys.argv[3]])",
    ].join('\n');
    const p = spawn('python3', ['-c', script, env.socket, ourBin('dhcp'), env.stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    p.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    try {
      await env.until(
        () => log.includes('listening on the socket passed by systemd') || p.exitCode !== null,
        'activation',
      );
      expect(log).toContain('listening on the socket passed by systemd');
      expect(existsSync(`${env.socket}.unused`)).toBe(false);
      expect((await env.run('STATUS', '', env.conf('1.1.0'))).code).toBe(0);
    } finally {
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await done;
    }
  });

  it('refuses more than one socket from systemd', async () => {
    const script = [
      'import os, socket, sys',
      'a = socket.socket(socket.AF_UNIX); a.bind(sys.argv[1] + ".a"); a.listen(1)',
      'b = socket.socket(socket.AF_UNIX); b.bind(sys.argv[1] + ".b"); b.listen(1)',
      'os.dup2(a.fileno(), 3); os.dup2(b.fileno(), 4)',
      "os.environ['LISTEN_FDS'] = '2'; os.environ['LISTEN_PID'] = str(os.getpid())",
      "os.execv(sys.argv[2], [sys.argv[2], 'daemon', '-socketpath', sys.argv[1], '-statedir', sys.argv[3]])",
    ].join('\n');
    const p = spawn('python3', ['-c', script, env.socket, ourBin('dhcp'), env.stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    p.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const code = await new Promise((r) => p.once('exit', r));
    expect(code).toBe(1);
    expect(log).toMatch(/socket activation: expected exactly one socket, got 2/);
    expect(existsSync(env.socket)).toBe(false);
  });

  it('rejects unknown flags', async () => {
    await expect(env.startDaemon(['-bogus'])).rejects.toThrow(/flag provided but not defined: -bogus/);
  });
});
