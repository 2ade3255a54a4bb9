// A second container that takes over a UDP host port receives the traffic: portmap's ADD flushes
// the conntrack entries of the mapped UDP port through netlink (not the `conntrack` binary).
import { conntrackDeleteByDstPort } from '@cni/netlink';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CmdArgs, cmdAdd, cmdDel } from '../src/index.js';
import { addrUp, makeTopology, nsExec, startEcho, type Topology, talk, veth } from './env.js';

function args(backend: string, cid: string, ip: string, gw: string, netns: string): CmdArgs {
  return {
    containerID: cid,
    netns,
    ifName: 'eth0',
    stdinData: JSON.stringify({
      cniVersion: '1.0.0',
      name: 'pmct',
      type: 'portmap',
      backend,
      prevResult: {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'eth0', mac: '00:11:22:33:44:66', sandbox: netns }],
        ips: [{ address: ip, gateway: gw, interface: 0 }],
      },
      runtimeConfig: { portMappings: [{ hostPort: 5353, containerPort: 53, protocol: 'udp' }] },
    }),
  };
}

describe.each(['iptables', 'nftables'])('portmap UDP conntrack flush, %s backend', (backend) => {
  let t: Topology;
  let ctr2: TestNetNS;
  beforeEach(() => {
    t = makeTopology(`ct${backend.slice(0, 2)}`);
    ctr2 = makeNetNS(`ct${backend.slice(0, 2)}c2`);
    nsExec(ctr2, 'link', 'set', 'lo', 'up');
    veth(t.host, 'vh1', ctr2, 'eth0');
    addrUp(t.host, 'vh1', '10.97.0.1/24', 'fd97::1/64');
    addrUp(ctr2, 'eth0', '10.97.0.2/24', 'fd97::2/64');
    nsExec(ctr2, 'route', 'add', 'default', 'via', '10.97.0.1');
  });
  afterEach(() => {
    t.destroy();
    destroyNetNS(ctr2);
  });

  it('the new owner of the host port gets the flow; without the flush the stale entry wins', async () => {
    await startEcho(t, t.ctr, 53, 'c1');
    await startEcho(t, ctr2, 53, 'c2');
    const flush = (port: number, family: 4 | 6) => {
      conntrackDeleteByDstPort(t.host.ns, family, 'udp', port);
    };
    const one = args(backend, 'ct-one', '10.99.0.2/24', '10.99.0.1', t.ctr.path);
    const two = args(backend, 'ct-two', '10.97.0.2/24', '10.97.0.1', ctr2.path);

    cmdAdd(one, { hostNS: t.host.ns, deleteConntrack: flush });
    // The same 5-tuple every time: a fixed client source port.
    expect(talk(t.client, 'udp', '10.98.0.1', 5353, 'a', 40053)).toBe('c1:a');
    cmdDel(one, { hostNS: t.host.ns });

    // Control: an ADD that does not flush leaves the old flow going to the old container.
    cmdAdd(two, { hostNS: t.host.ns });
    expect(talk(t.client, 'udp', '10.98.0.1', 5353, 'b', 40053)).toBe('c1:b');
    cmdDel(two, { hostNS: t.host.ns });

    // The plugin's ADD flushes through netlink: the flow now reaches the second container.
    cmdAdd(two, { hostNS: t.host.ns, deleteConntrack: flush });
    expect(talk(t.client, 'udp', '10.98.0.1', 5353, 'c', 40053)).toBe('c2:c');
    cmdDel(two, { hostNS: t.host.ns });
  });
});
