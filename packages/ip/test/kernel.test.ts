// The kernel half of @cni/ip against a real kernel, in throwaway namespaces.
import { execFileSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { Netlink } from '@cni/netlink';
import { sysctlGetIn, sysctlSetIn } from '@cni/ns';
import type { Result } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  configureIface,
  delLinkByName,
  delLinkByNameAddr,
  enableForward,
  enableIP4Forward,
  getVethPeerIfindex,
  linkByNameOrUndefined,
  renameLink,
  settleAddresses,
  setupVeth,
  validateExpectedInterfaceIPs,
  validateExpectedRoute,
} from '../src/index.js';

let host: TestNetNS;
let cont: TestNetNS;
beforeEach(() => {
  host = makeNetNS('iph');
  cont = makeNetNS('ipc');
});
afterEach(() => {
  destroyNetNS(cont);
  destroyNetNS(host);
});

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
const ipj = (ns: TestNetNS, ...args: string[]): any =>
  JSON.parse(execFileSync('ip', ['-n', ns.name, '-j', ...args], { encoding: 'utf8' }) || '[]');

function withNl<T>(ns: TestNetNS, fn: (nl: Netlink) => T): T {
  const nl = Netlink.open(ns.ns);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

describe('setupVeth', () => {
  it('creates the container side in the container, the peer in the host under veth%08x, host side up', () => {
    const pair = setupVeth({
      containerNs: cont.ns,
      hostNs: host.ns,
      contVethName: 'eth0',
      mtu: 1400,
      contVethMac: '02:aa:bb:cc:dd:ee',
    });
    expect(pair.hostVeth.name).toMatch(/^veth[0-9a-f]{8}$/);
    const c = ipj(cont, 'link', 'show', 'eth0')[0];
    const h = ipj(host, 'link', 'show', pair.hostVeth.name)[0];
    expect(c.address).toBe('02:aa:bb:cc:dd:ee');
    expect([c.mtu, h.mtu]).toEqual([1400, 1400]);
    expect(h.flags).toContain('UP');
    expect(c.flags).not.toContain('UP'); // the reference leaves the container side down
    expect(pair.contVeth).toMatchObject({ name: 'eth0', mac: '02:aa:bb:cc:dd:ee', index: c.ifindex });
    expect(pair.hostVeth.index).toBe(h.ifindex);
    const peer = withNl(cont, (nl) => getVethPeerIfindex(nl, 'eth0'));
    expect(peer.peerIndex).toBe(h.ifindex);
  });

  it('contUp also brings the container side up; a given host name is used', () => {
    const pair = setupVeth({
      containerNs: cont.ns,
      hostNs: host.ns,
      contVethName: 'eth1',
      hostVethName: 'hv1',
      contUp: true,
    });
    expect(pair.hostVeth.name).toBe('hv1');
    expect(ipj(cont, 'link', 'show', 'eth1')[0].flags).toContain('UP');
  });

  it('a clash on the container name is an error naming both names', () => {
    setupVeth({ containerNs: cont.ns, hostNs: host.ns, contVethName: 'eth0' });
    expect(() =>
      setupVeth({ containerNs: cont.ns, hostNs: host.ns, contVethName: 'eth0', hostVethName: 'hx' }),
    ).toThrow(/container veth name \("eth0"\) peer provided \("hx"\) already exists/);
  });

  it('getVethPeerIfindex rejects a non-veth', () => {
    expect(() => withNl(cont, (nl) => getVethPeerIfindex(nl, 'lo'))).toThrow(/not a veth/);
  });
});

describe('link helpers', () => {
  it('delete/lookup succeed when the link is gone, return addresses, rename', () => {
    setupVeth({ containerNs: cont.ns, hostNs: host.ns, contVethName: 'eth0' });
    withNl(cont, (nl) => {
      nl.addrAdd(nl.linkByName('eth0').index, '10.7.0.2/24');
      renameLink(nl, 'eth0', 'net1');
      expect(linkByNameOrUndefined(nl, 'eth0')).toBeUndefined();
      expect(delLinkByNameAddr(nl, 'net1')).toEqual(['10.7.0.2/24']);
      expect(delLinkByNameAddr(nl, 'net1')).toEqual([]);
      expect(delLinkByName(nl, 'net1')).toBe(false);
    });
    expect(ipj(host, 'link', 'show', 'type', 'veth')).toEqual([]); // the peer went with it
  });
});

describe('configureIface and the CHECK validators', () => {
  const result = (): Result => ({
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', sandbox: cont.path }],
    ips: [
      { interface: 0, address: '10.8.0.5/24', gateway: '10.8.0.1' },
      { interface: 0, address: 'fd00:8::5/64', gateway: 'fd00:8::1' },
    ],
    routes: [
      { dst: '0.0.0.0/0' },
      { dst: '192.168.50.0/24', gw: '10.8.0.254', priority: 77 },
      { dst: '::/0' },
    ],
  });

  it('adds addresses, sets up, waits for DAD, adds routes with the family gateway', () => {
    setupVeth({ containerNs: cont.ns, hostNs: host.ns, contVethName: 'eth0' });
    sysctlSetIn(cont.ns, 'net/ipv6/conf/all/disable_ipv6', '1');
    const r = result();
    configureIface(cont.ns, 'eth0', r);
    const l = ipj(cont, 'addr', 'show', 'eth0')[0];
    expect(l.flags).toContain('UP');
    // biome-ignore lint/suspicious/noExplicitAny: ip -j output
    const addrs = l.addr_info.filter((a: any) => a.scope === 'global');
    expect(addrs.map((a: { local: string }) => a.local)).toEqual(['10.8.0.5', 'fd00:8::5']);
    // biome-ignore lint/suspicious/noExplicitAny: ip -j output
    expect(addrs.some((a: any) => a.tentative)).toBe(false);
    expect(sysctlGetIn(cont.ns, 'net/ipv6/conf/eth0/disable_ipv6')).toBe('0');
    expect(sysctlGetIn(cont.ns, 'net/ipv6/conf/eth0/keep_addr_on_down')).toBe('1');
    const v4 = ipj(cont, '-4', 'route', 'show');
    expect(v4.find((x: { dst: string }) => x.dst === 'default')).toMatchObject({ gateway: '10.8.0.1' });
    expect(v4.find((x: { dst: string }) => x.dst === '192.168.50.0/24')).toMatchObject({
      gateway: '10.8.0.254',
      metric: 77,
    });
    expect(ipj(cont, '-6', 'route', 'show').find((x: { dst: string }) => x.dst === 'default')).toMatchObject({
      gateway: 'fd00:8::1',
    });
    withNl(cont, (nl) => {
      validateExpectedInterfaceIPs(nl, 'eth0', r.ips ?? []);
      validateExpectedRoute(nl, r.routes ?? []);
      expect(() => validateExpectedInterfaceIPs(nl, 'eth0', [{ address: '10.9.9.9/24' }])).toThrow(
        'Failed to match addr 10.9.9.9/24 on interface eth0',
      );
      expect(() => validateExpectedRoute(nl, [{ dst: '172.16.0.0/16', gw: '10.8.0.1' }])).toThrow(
        /Expected Route \{Dst:172.16.0.0\/16 GW:10.8.0.1\} not found/,
      );
      settleAddresses(nl, 'eth0', 100);
    });
  });

  it('an IP pointing at another interface is an error', () => {
    setupVeth({ containerNs: cont.ns, hostNs: host.ns, contVethName: 'eth0' });
    const r = result();
    r.interfaces = [{ name: 'eth1' }];
    expect(() => configureIface(cont.ns, 'eth0', r)).toThrow(/invalid interface index/);
  });
});

describe('forwarding', () => {
  it('writes only when not already 1, per family, inside the given namespace', () => {
    sysctlSetIn(cont.ns, 'net/ipv4/ip_forward', '0');
    sysctlSetIn(cont.ns, 'net/ipv6/conf/all/forwarding', '0');
    enableForward([{ address: '10.0.0.2/24' }], cont.ns);
    expect(sysctlGetIn(cont.ns, 'net/ipv4/ip_forward')).toBe('1');
    expect(sysctlGetIn(cont.ns, 'net/ipv6/conf/all/forwarding')).toBe('0');
    enableForward([{ address: 'fd00::2/64' }], cont.ns);
    expect(sysctlGetIn(cont.ns, 'net/ipv6/conf/all/forwarding')).toBe('1');
    expect(() => enableIP4Forward(cont.ns)).not.toThrow(); // already 1: nothing written
  });
});
