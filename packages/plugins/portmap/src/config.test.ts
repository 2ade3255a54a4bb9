import { describe, expect, it } from 'vitest';
import { backendOfConditions, parseConfig } from './config.js';
import { dnatChainName, dnatEntryRules, dnatRules } from './iptables.js';
import { forwardCommands } from './nftables.js';

const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'vethhost' },
    { name: 'eth0', sandbox: '/run/netns/x' },
    { name: 'eth1', sandbox: '/run/netns/x' },
  ],
  ips: [
    { address: '10.1.0.9/16', interface: 2 },
    { address: '10.0.0.2/24', interface: 1 },
    { address: '10.0.0.3/24', interface: 1 },
    { address: 'fd00::2/64', interface: 1 },
  ],
};
const opts = { ifName: 'eth0', containerID: 'cid', detect: () => 'iptables' as const };
const parse = (c: Record<string, unknown>) =>
  parseConfig(JSON.stringify({ name: 'net', cniVersion: '1.0.0', prevResult, ...c }), opts);

describe('portmap config', () => {
  it('defaults and the container addresses of CNI_IFNAME', () => {
    const c = parse({
      RuntimeConfig: { PORTMAPPINGS: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }] },
    });
    expect(c.snat).toBe(true);
    expect(c.markMasqBit).toBe(13);
    expect(c.masqAll).toBe(false);
    expect(c.backend).toBe('iptables');
    expect(c.contIPv4).toBe('10.0.0.2/24');
    expect(c.contIPv6).toBe('fd00::2/64');
    expect(c.portMappings).toEqual([{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }]);
  });

  it('no mappings: no backend probe at all', () => {
    let probed = false;
    const c = parseConfig(JSON.stringify({ name: 'n', prevResult }), {
      ...opts,
      detect: () => {
        probed = true;
        return 'nftables';
      },
    });
    expect(probed).toBe(false);
    expect(c.portMappings).toEqual([]);
  });

  it('conditions select a backend family', () => {
    expect(backendOfConditions(['-m', 'x'])).toBe('iptables');
    expect(backendOfConditions(['!', '-s'])).toBe('iptables');
    expect(backendOfConditions(['ip saddr 1.2.3.4'])).toBe('nftables');
    expect(backendOfConditions([])).toBeUndefined();
  });

  it('rejects bad values naming them', () => {
    expect(() => parse({ markMasqBit: 32 })).toThrow(/between 0 and 31/);
    expect(() => parse({ masqAll: 1 })).toThrow(/masqAll: expected a boolean, got 1/);
    expect(() => parse({ conditionsV4: 'x' })).toThrow(/conditionsV4: expected an array of strings/);
    expect(() => parse({ externalSetMarkChain: 'a b' })).toThrow(/"a b"/);
    expect(() =>
      parse({
        runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 1, protocol: 'tcp', hostIP: 'nope' }] },
      }),
    ).toThrow(/Invalid host IP: "nope"/);
    expect(() =>
      parse({ runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 1, protocol: 'tcp; drop' }] } }),
    ).toThrow(/Invalid protocol/);
    expect(() => parseConfig('{', opts)).toThrow(/failed to parse network configuration/);
  });
});

describe('portmap rules', () => {
  it('groups entry rules by protocol (sorted), 15 ports each, with conditions', () => {
    const maps = Array.from({ length: 17 }, (_, i) => ({
      hostPort: 1000 + i,
      containerPort: 80,
      protocol: 'tcp',
    }));
    const c = parse({
      conditionsV4: ['-s', '1.2.3.4'],
      runtimeConfig: { portMappings: [{ hostPort: 53, containerPort: 53, protocol: 'udp' }, ...maps] },
    });
    const rules = dnatEntryRules(c, 4);
    const chain = dnatChainName('net', 'cid');
    expect(rules).toHaveLength(3);
    expect(rules[0]).toEqual([
      '-m',
      'comment',
      '--comment',
      'dnat name: "net" id: "cid"',
      '-m',
      'multiport',
      '-p',
      'tcp',
      '--destination-ports',
      maps
        .slice(0, 15)
        .map((m) => m.hostPort)
        .join(','),
      '-s',
      '1.2.3.4',
      '-j',
      chain,
    ]);
    expect(rules[1]?.[9]).toBe('1015,1016');
    expect(rules[2]?.[7]).toBe('udp');
    expect(dnatEntryRules(c, 6)[0]).not.toContain('1.2.3.4');
  });

  it('hairpin, localhost and DNAT rules; hostIP of the other family is skipped', () => {
    const c = parse({
      runtimeConfig: {
        portMappings: [
          { hostPort: 80, containerPort: 8080, protocol: 'tcp', hostIP: '192.168.1.1' },
          { hostPort: 81, containerPort: 8081, protocol: 'tcp', hostIP: 'fd00::1' },
        ],
      },
    });
    expect(dnatRules(c, '10.0.0.2/24')).toEqual([
      ['-p', 'tcp', '--dport', '80', '-d', '192.168.1.1', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '80', '-d', '192.168.1.1', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '80', '-d', '192.168.1.1', '-j', 'DNAT', '--to-destination', '10.0.0.2:8080'],
    ]);
    expect(dnatRules(c, 'fd00::2/64')).toEqual([
      ['-p', 'tcp', '--dport', '81', '-d', 'fd00::1', '-s', 'fd00::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '81', '-d', 'fd00::1', '-j', 'DNAT', '--to-destination', '[fd00::2]:8081'],
    ]);
    const all = parse({
      masqAll: true,
      externalSetMarkChain: 'KUBE-MARK-MASQ',
      runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'udp' }] },
    });
    expect(dnatRules(all, '10.0.0.2/24')[0]).toEqual([
      '-p',
      'udp',
      '--dport',
      '1',
      '-s',
      '0.0.0.0/0',
      '-j',
      'KUBE-MARK-MASQ',
    ]);
  });

  it('nftables commands', () => {
    const c = parseConfig(
      JSON.stringify({
        name: 'net',
        backend: 'nftables',
        conditionsV4: ['ip saddr 1.2.3.4'],
        prevResult,
        runtimeConfig: {
          portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp', hostIP: '192.168.1.1' }],
        },
      }),
      opts,
    );
    const cmds = forwardCommands(c, '10.0.0.2/24');
    expect(cmds).toContain(
      'add rule ip cni_hostport prerouting ip saddr 1.2.3.4 fib daddr type local jump hostports_all',
    );
    expect(cmds).toContain(
      'add rule ip cni_hostport hostports ip daddr 192.168.1.1 tcp dport 80 dnat to 10.0.0.2:8080 comment "cid"',
    );
    expect(cmds).toContain(
      'add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "cid"',
    );
  });
});
