import { describe, expect, it } from 'vitest';
import { hostCIDR, parseConf } from './config.js';
import { privChainRules } from './iptables.js';

describe('firewall config', () => {
  it('defaults', () => {
    const c = parseConf(JSON.stringify({ name: 'n', cniVersion: '0.4.0' }));
    expect(c.iptablesAdminChainName).toBe('CNI-ADMIN');
    expect(c.firewalldZone).toBe('trusted');
    expect(c.ingressPolicy).toBe('');
    expect(c.backend).toBe('');
    expect(c.prevResult).toBeUndefined();
    expect(c.dataDir).toBe('/var/lib/cni/firewall');
    expect(c.validAttachments).toEqual([]);
  });
  it('dataDir and cni.dev/valid-attachments', () => {
    const c = parseConf(
      JSON.stringify({
        dataDir: '/tmp/x',
        'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }],
      }),
    );
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.validAttachments).toEqual([{ containerID: 'a', ifname: 'eth0' }]);
    expect(() => parseConf(JSON.stringify({ dataDir: 5 }))).toThrow(/dataDir: expected a string, got 5/);
    expect(() => parseConf(JSON.stringify({ 'cni.dev/valid-attachments': [{ ifname: 'eth0' }] }))).toThrow(
      /valid-attachments\[0\]/,
    );
  });
  it('keys are case-insensitive; addresses come from prevResult', () => {
    const c = parseConf(
      JSON.stringify({
        BACKEND: 'iptables',
        FirewalldZone: 'public',
        prevResult: { ips: [{ address: 'fd00::5/64' }] },
      }),
    );
    expect(c.backend).toBe('iptables');
    expect(c.firewalldZone).toBe('public');
    expect(c.addresses).toEqual(['fd00::5/64']);
  });
  it('host CIDRs and rules', () => {
    expect(hostCIDR('10.0.0.5/24')).toBe('10.0.0.5/32');
    expect(hostCIDR('fd00::5/64')).toBe('fd00::5/128');
    expect(privChainRules('10.0.0.5/24')).toEqual([
      ['-d', '10.0.0.5/32', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      ['-s', '10.0.0.5/32', '-j', 'ACCEPT'],
    ]);
  });
  it('bad input names the key and value', () => {
    expect(() => parseConf('[]')).toThrow(/not a JSON object/);
    expect(() => parseConf(JSON.stringify({ ingressPolicy: 'closed' }))).toThrow(
      /unknown ingress policy: "closed"/,
    );
    expect(() => parseConf(JSON.stringify({ firewalldZone: 5 }))).toThrow(
      /firewalldZone: expected a string, got 5/,
    );
    expect(() => parseConf(JSON.stringify({ prevResult: { ips: [{ address: 'x' }] } }))).toThrow(
      /prevResult.ips\[0\].address/,
    );
  });
});
