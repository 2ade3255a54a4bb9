import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachmentsChain, cmdAdd, cmdCheck, cmdDel, cmdGC, type CmdArgs } from '../src/index.js';
import { makeTopology, sh, startEcho, talk, type Topology } from './env.js';

const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'vh0', mac: '00:11:22:33:44:55' },
    { name: 'eth0', mac: '00:11:22:33:44:66', sandbox: '/run/netns/x' },
  ],
  ips: [
    { address: '10.99.0.2/24', gateway: '10.99.0.1', interface: 1 },
    { address: 'fd99::2/64', gateway: 'fd99::1', interface: 1 },
  ],
};

function args(backend: string, cid: string, extra: Record<string, unknown> = {}): CmdArgs {
  return {
    containerID: cid,
    netns: '/run/netns/x',
    ifName: 'eth0',
    stdinData: JSON.stringify({
      cniVersion: '1.0.0',
      name: 'pmtest',
      type: 'portmap',
      backend,
      prevResult,
      runtimeConfig: {
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 8080, containerPort: 80, protocol: 'udp' },
          { hostPort: 9090, containerPort: 80, protocol: 'tcp', hostIP: '10.98.0.1' },
        ],
      },
      ...extra,
    }),
  };
}

describe.each(['iptables', 'nftables'])('portmap traffic, %s backend', (backend) => {
  let t: Topology;
  beforeEach(() => {
    t = makeTopology(backend.slice(0, 3));
  });
  afterEach(() => t.destroy());

  it('forwards TCP and UDP (v4, v6), hairpin, localhost and hostIP; DEL removes it', async () => {
    await startEcho(t, t.ctr, 80, 'c1');
    const a = args(backend, 'ctr-one');
    const out = cmdAdd(a, { hostNS: t.host.ns });
    expect(out).toEqual(prevResult);
    cmdCheck(a, { hostNS: t.host.ns });

    expect(talk(t.client, 'tcp', '10.98.0.1', 8080, 'a')).toBe('c1:a');
    expect(talk(t.client, 'udp', '10.98.0.1', 8080, 'b')).toBe('c1:b');
    expect(talk(t.client, 'tcp', 'fd98::1', 8080, 'c')).toBe('c1:c');
    expect(talk(t.client, 'udp', 'fd98::1', 8080, 'd')).toBe('c1:d');
    // hostIP mapping: only on that address
    expect(talk(t.client, 'tcp', '10.98.0.1', 9090, 'e')).toBe('c1:e');
    expect(talk(t.client, 'tcp', 'fd98::1', 9090, 'e6')).toMatch(/error/);
    // hairpin: the container reaches itself through the host port
    expect(talk(t.ctr, 'tcp', '10.99.0.1', 8080, 'f')).toBe('c1:f');
    expect(talk(t.ctr, 'tcp', 'fd99::1', 8080, 'f6')).toBe('c1:f6');
    // from the host itself, through 127.0.0.1 (route_localnet) and a local address
    expect(talk(t.host, 'tcp', '127.0.0.1', 8080, 'g')).toBe('c1:g');
    expect(sh(t.host, 'sysctl', '-n', 'net.ipv4.conf.vh0.route_localnet').trim()).toBe('1');
    expect(talk(t.host, 'tcp', '10.98.0.1', 8080, 'h')).toBe('c1:h');

    // ADD again: nothing is duplicated
    const before =
      backend === 'iptables'
        ? sh(t.host, 'iptables-save', '-t', 'nat')
        : sh(t.host, 'nft', 'list', 'ruleset');
    cmdAdd(a, { hostNS: t.host.ns });
    const again =
      backend === 'iptables'
        ? sh(t.host, 'iptables-save', '-t', 'nat')
        : sh(t.host, 'nft', 'list', 'ruleset');
    const strip = (s: string) => s.replace(/^#.*$/gm, '').replace(/handle \d+/g, '');
    expect(strip(again)).toEqual(strip(before));

    cmdDel(a, { hostNS: t.host.ns });
    cmdDel(a, { hostNS: t.host.ns });
    expect(() => cmdCheck(a, { hostNS: t.host.ns })).toThrow();
    expect(talk(t.client, 'tcp', '10.98.0.1', 8080, 'z')).toMatch(/error/);
    const after =
      backend === 'iptables'
        ? sh(t.host, 'iptables-save', '-t', 'nat')
        : sh(t.host, 'nft', 'list', 'ruleset');
    expect(after).not.toContain('ctr-one');
    expect(after).not.toContain('CNI-DN-');
  });

  it('CHECK passes for a container with only IPv4', async () => {
    const a = args(backend, 'v4only', {
      prevResult: { ...prevResult, ips: [prevResult.ips[0]] },
    });
    cmdAdd(a, { hostNS: t.host.ns });
    cmdCheck(a, { hostNS: t.host.ns });
    cmdDel(a, { hostNS: t.host.ns });
  });

  it('no mappings: passes through and touches nothing', () => {
    const a: CmdArgs = {
      containerID: 'none',
      netns: '/run/netns/x',
      ifName: 'eth0',
      stdinData: JSON.stringify({ cniVersion: '1.0.0', name: 'pm', type: 'portmap', prevResult }),
    };
    const before = sh(t.host, 'nft', 'list', 'ruleset');
    expect(cmdAdd(a, { hostNS: t.host.ns })).toEqual(prevResult);
    cmdDel(a, { hostNS: t.host.ns });
    expect(sh(t.host, 'nft', 'list', 'ruleset')).toBe(before);
  });
});

describe('portmap GC, nftables backend', () => {
  let t: TopologyHandle;
  beforeEach(() => {
    t = { topo: makeTopology('gcn') };
  });
  afterEach(() => t.topo.destroy());

  /** An attachment of `network` for container `cid` at .`host` of both subnets, one TCP port. */
  const attachment = (network: string, cid: string, host: number, hostPort: number): CmdArgs => ({
    containerID: cid,
    netns: '/run/netns/x',
    ifName: 'eth0',
    stdinData: JSON.stringify({
      cniVersion: '1.1.0',
      name: network,
      type: 'portmap',
      backend: 'nftables',
      prevResult: {
        ...prevResult,
        ips: [
          { address: `10.99.0.${host}/24`, gateway: '10.99.0.1', interface: 1 },
          { address: `fd99::${host}/64`, gateway: 'fd99::1', interface: 1 },
        ],
      },
      runtimeConfig: { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] },
    }),
  });
  const gc = (network: string, valid: string[]): CmdArgs => ({
    containerID: '',
    netns: '',
    ifName: '',
    stdinData: JSON.stringify({
      cniVersion: '1.1.0',
      name: network,
      type: 'portmap',
      backend: 'nftables',
      'cni.dev/valid-attachments': valid.map((containerID) => ({ containerID, ifname: 'eth0' })),
    }),
  });

  it('removes the rules of attachments that are not valid; the valid one still forwards', async () => {
    const { topo } = t;
    await startEcho(topo, topo.ctr, 80, 'k');
    const keep = attachment('pmgc', 'keep-me', 2, 8080);
    const stale = attachment('pmgc', 'stale-one', 3, 8081);
    const other = attachment('pmother', 'other-net', 4, 8082);
    for (const a of [keep, stale, other]) cmdAdd(a, { hostNS: topo.host.ns });
    const ruleset = () => sh(topo.host, 'nft', 'list', 'ruleset');
    const before = ruleset();
    for (const id of ['keep-me', 'stale-one', 'other-net']) expect(before).toContain(`comment "${id}"`);
    expect(before).toContain(`chain ${attachmentsChain('pmgc')} {`);
    expect(before).toContain(`chain ${attachmentsChain('pmother')} {`);

    cmdGC(gc('pmgc', ['keep-me']), { hostNS: topo.host.ns });
    const after = ruleset();
    expect(after).not.toContain('stale-one');
    expect(after).not.toContain('10.99.0.3');
    expect(after).not.toContain('fd99::3');
    expect(after).toMatch(/tcp dport 8080 dnat to 10\.99\.0\.2:80 comment "keep-me"/);
    expect(after).toMatch(/tcp dport 8080 dnat to \[fd99::2\]:80 comment "keep-me"/);
    expect(after).toMatch(/tcp dport 8082 dnat to 10\.99\.0\.4:80 comment "other-net"/); // other network
    cmdCheck(keep, { hostNS: topo.host.ns });
    expect(() => cmdCheck(stale, { hostNS: topo.host.ns })).toThrow(/missing hostport rules/);
    expect(talk(topo.client, 'tcp', '10.98.0.1', 8080, 'a')).toBe('k:a');
    expect(talk(topo.client, 'tcp', 'fd98::1', 8080, 'b')).toBe('k:b');

    // GC again changes nothing; a GC of the other network with nothing valid removes its rules
    cmdGC(gc('pmgc', ['keep-me']), { hostNS: topo.host.ns });
    expect(ruleset()).toBe(after);
    cmdGC(gc('pmother', []), { hostNS: topo.host.ns });
    expect(ruleset()).not.toContain('other-net');
    expect(ruleset()).toContain('comment "keep-me"');
    cmdDel(keep, { hostNS: topo.host.ns });
    expect(ruleset()).not.toContain('keep-me');
  });

  it('a container ID another network still records keeps its rules until that network lets go', () => {
    const { topo } = t;
    const inA = attachment('pmgc-a', 'shared-ctr', 2, 8080);
    const inB = attachment('pmgc-b', 'shared-ctr', 5, 8085);
    for (const a of [inA, inB]) cmdAdd(a, { hostNS: topo.host.ns });
    cmdGC(gc('pmgc-a', []), { hostNS: topo.host.ns });
    const after = sh(topo.host, 'nft', 'list', 'ruleset');
    expect(after).not.toMatch(new RegExp(`chain ${attachmentsChain('pmgc-a')} \\{[^}]*shared-ctr`));
    expect(after).toMatch(/tcp dport 8085 dnat to 10\.99\.0\.5:80 comment "shared-ctr"/);
    cmdGC(gc('pmgc-b', []), { hostNS: topo.host.ns });
    expect(sh(topo.host, 'nft', 'list', 'ruleset')).not.toContain('shared-ctr');
  });
});

interface TopologyHandle {
  topo: Topology;
}
