// dhcp as the IPAM of a main plugin (macvlan), the way runtimes use it: the main plugin
// delegates to dhcp, puts the leased address on the interface, and the daemon keeps renewing.
import { destroyNetNS, ip, makeNetNS, ourBin, runIn, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DhcpEnv } from './env.js';

let env: DhcpEnv;
let host: TestNetNS;
let ctr: TestNetNS;

beforeEach(() => {
  env = new DhcpEnv();
  host = makeNetNS('dhh');
  ctr = makeNetNS('dhk');
  // the host's "NIC" hm0 is cabled to the server's bridge
  ip(host, 'link', 'add', 'hm0', 'type', 'veth', 'peer', 'name', 'uplink', 'netns', env.server.name);
  ip(host, 'link', 'set', 'hm0', 'up');
  ip(env.server, 'link', 'set', 'uplink', 'master', 'br0');
  ip(env.server, 'link', 'set', 'uplink', 'up');
});

afterEach(async () => {
  destroyNetNS(ctr);
  destroyNetNS(host);
  await env.cleanup();
});

describe('macvlan + dhcp', () => {
  it('ADD configures the leased address, renewals reach the server, DEL releases', async () => {
    await env.startDnsmasq(['--dhcp-option=58,10']);
    await env.startDaemon();
    const conf = {
      cniVersion: '1.0.0',
      name: 'dhnet',
      type: 'macvlan',
      master: 'hm0',
      ipam: { type: 'dhcp', daemonSocketPath: env.socket },
    };
    const run = (command: string, extra: object = {}) =>
      runIn(host, ourBin('macvlan'), {
        command,
        containerID: 'mv1',
        netns: ctr.path,
        stdin: { ...conf, ...extra },
      });
    const add = await run('ADD');
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const lease = env.leaseOf('mv1/dhnet/eth0');
    expect(lease).toBeDefined();
    expect(add.json.ips[0].address).toBe(`${lease?.ip}/24`);
    expect(ip(ctr, '-4', 'addr', 'show', 'eth0')).toContain(`inet ${lease?.ip}/24`);
    expect(ip(ctr, 'route', 'show', 'default')).toContain(`via ${env.subnet}.1`);
    await env.until(() => (env.leaseOf('mv1/dhnet/eth0')?.expiry ?? 0) > (lease?.expiry ?? 0), 'a renewal');
    const check = await run('CHECK', { prevResult: add.json });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const del = await run('DEL');
    expect(del.code).toBe(0);
    await env.until(() => env.leaseOf('mv1/dhnet/eth0') === undefined, 'the release');
  });
});
