import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cmdAdd, cmdCheck, cmdDel, type CmdArgs } from '../src/index.js';
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
