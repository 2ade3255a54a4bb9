import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedCIDR, parseCIDR, parseIP } from './cidr.js';
import { loadSubnetEnv, parseSubnetEnv } from './subnet-env.js';

const P = '/run/flannel/subnet.env';
const V4 =
  'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';

describe('Go CIDR semantics', () => {
  it('masks to the network and prints like Go', () => {
    expect(maskedCIDR('10.1.17.1/24')).toBe('10.1.17.0/24');
    expect(maskedCIDR('fc00::1/64')).toBe('fc00::/64');
    expect(maskedCIDR('FC00:0:0:0:1:0:0:1/128')).toBe('fc00::1:0:0:1/128');
    expect(maskedCIDR('2001:db8:0:1:0:0:0:1/64')).toBe('2001:db8:0:1::/64');
    expect(maskedCIDR('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(maskedCIDR('::/0')).toBe('::/0');
    expect(maskedCIDR('1:0:0:2:0:0:0:3/128')).toBe('1:0:0:2::3/128');
    expect(maskedCIDR('1:0:0:2:0:0:3:4/128')).toBe('1::2:0:0:3:4/128');
    // v4-mapped prints as IPv4 with the mask's last 32 bits, as Go's IPNet.String does
    expect(maskedCIDR('::ffff:10.1.2.3/104')).toBe('10.0.0.0/8');
  });

  it('keeps host bits when asked (ip) and rejects what Go rejects', () => {
    expect(parseCIDR('10.1.17.1/24').ip.ip).toEqual(new Uint8Array([10, 1, 17, 1]));
    for (const bad of [
      '10.1.0.0',
      '10.1.0.0/33',
      '10.01.0.0/16',
      ' 10.1.0.0/16',
      '10.1.0.0/',
      'fe80::1%eth0/64',
      '1::2::3/64',
      '10.1.0.256/24',
      '::/129',
      '',
    ]) {
      expect(() => parseCIDR(bad), bad).toThrow(`invalid CIDR address: ${bad}`);
    }
    expect(parseIP('1.2.3.4')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(parseIP('::1.2.3.4')?.length).toBe(16);
    expect(parseIP('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIP('1:2:3:4:5:6:7:8::')).toBeUndefined();
    expect(parseIP('1:2:3:4:5:6:7::')?.length).toBe(16);
  });
});

describe('parseSubnetEnv', () => {
  it('reads a v4 lease, masking the subnet', () => {
    expect(parseSubnetEnv(V4, P)).toEqual({
      networks: ['10.1.0.0/16'],
      ipv6Networks: [],
      subnet: '10.1.17.0/24',
      mtu: 1472,
      ipMasq: true,
    });
  });

  it('reads v6-only and dual-stack leases', () => {
    const v6 =
      'FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n';
    expect(parseSubnetEnv(v6, P)).toEqual({
      networks: [],
      ipv6Networks: ['fc00::/48'],
      ipv6Subnet: 'fc00::/64',
      mtu: 1450,
      ipMasq: false,
    });
    const dual = parseSubnetEnv(
      `${V4}FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00:0:0:1::1/64\n`,
      P,
    );
    expect(dual.subnet).toBe('10.1.17.0/24');
    expect(dual.ipv6Subnet).toBe('fc00:0:0:1::/64');
    expect(dual.networks).toEqual(['10.1.0.0/16']);
    expect(dual.ipv6Networks).toEqual(['fc00::/48']);
  });

  it('splits comma lists, masks each network and drops exact duplicates', () => {
    const e = parseSubnetEnv(
      'FLANNEL_NETWORK=10.1.0.0/16,10.2.3.4/16,10.1.0.0/16,10.1.9.9/16\nFLANNEL_IPV6_NETWORK=fc00::/48,fd00::1/8\n' +
        'FLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
      P,
    );
    expect(e.networks).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(e.ipv6Networks).toEqual(['fc00::/48', 'fd00::/8']);
  });

  it('does not trim: a space after a comma is an invalid CIDR', () => {
    expect(() => parseSubnetEnv(V4.replace('10.1.0.0/16', '10.1.0.0/16, 10.2.0.0/16'), P)).toThrow(
      'invalid CIDR address:  10.2.0.0/16',
    );
    // `KEY = value` is not the key: it counts as missing
    expect(() => parseSubnetEnv(V4.replace('FLANNEL_MTU=1472', 'FLANNEL_MTU = 1472'), P)).toThrow(
      `${P} is missing FLANNEL_MTU`,
    );
  });

  it('accepts CRLF line ends and a last line without a newline', () => {
    const e = parseSubnetEnv(V4.replaceAll('\n', '\r\n').trimEnd(), P);
    expect(e.ipMasq).toBe(true);
    expect(e.mtu).toBe(1472);
    expect(e.subnet).toBe('10.1.17.0/24');
  });

  it('ignores unknown keys and blank lines; the last repeat wins', () => {
    const e = parseSubnetEnv(`\nFOO=bar\n# comment\n${V4}FLANNEL_MTU=1400\nFLANNEL_SUBNET=10.1.18.5/24\n`, P);
    expect(e.mtu).toBe(1400);
    expect(e.subnet).toBe('10.1.18.0/24');
  });

  it('lists every missing key in the reference order', () => {
    expect(() => parseSubnetEnv('foo=bar\n', P)).toThrow(
      `${P} is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK, FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ`,
    );
    expect(() => parseSubnetEnv('', P)).toThrow(
      `${P} is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK, FLANNEL_SUBNET`,
    );
    const drop = (key: string) =>
      V4.split('\n')
        .filter((l) => !l.startsWith(`${key}=`))
        .join('\n');
    expect(() => parseSubnetEnv(drop('FLANNEL_NETWORK'), P)).toThrow(
      new Error(`${P} is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK`),
    );
    expect(() => parseSubnetEnv(drop('FLANNEL_SUBNET'), P)).toThrow(
      new Error(`${P} is missing FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET`),
    );
    expect(() => parseSubnetEnv(drop('FLANNEL_MTU'), P)).toThrow(new Error(`${P} is missing FLANNEL_MTU`));
    expect(() => parseSubnetEnv(drop('FLANNEL_IPMASQ'), P)).toThrow(
      new Error(`${P} is missing FLANNEL_IPMASQ`),
    );
  });

  it('accepts a v4 network with only a v6 subnet (family is never checked)', () => {
    const e = parseSubnetEnv(V4.replace('FLANNEL_SUBNET=10.1.17.1/24', 'FLANNEL_IPV6_SUBNET=fc00::1/64'), P);
    expect(e.subnet).toBeUndefined();
    expect(e.ipv6Subnet).toBe('fc00::/64');
  });

  it('rejects a known key alone on a line instead of crashing', () => {
    expect(() => parseSubnetEnv(`${V4}FLANNEL_SUBNET\n`, P)).toThrow(
      `${P}: line "FLANNEL_SUBNET" has no value (expected FLANNEL_SUBNET=...)`,
    );
    // an unknown bare word is ignored
    expect(parseSubnetEnv(`${V4}export\n`, P).mtu).toBe(1472);
  });

  it('parses the MTU as an unsigned 32-bit decimal, 0 included', () => {
    const mtu = (v: string) => parseSubnetEnv(V4.replace('FLANNEL_MTU=1472', `FLANNEL_MTU=${v}`), P);
    expect(mtu('0').mtu).toBe(0);
    expect(mtu('4294967295').mtu).toBe(4294967295);
    expect(() => mtu('4294967296')).toThrow('strconv.ParseUint: parsing "4294967296": value out of range');
    expect(() => mtu('')).toThrow('strconv.ParseUint: parsing "": invalid syntax');
    expect(() => mtu('-1')).toThrow('strconv.ParseUint: parsing "-1": invalid syntax');
    expect(() => mtu('1e3')).toThrow('strconv.ParseUint: parsing "1e3": invalid syntax');
  });

  it('sets ipMasq only for exactly "true"', () => {
    const masq = (v: string) =>
      parseSubnetEnv(V4.replace('FLANNEL_IPMASQ=true', `FLANNEL_IPMASQ=${v}`), P).ipMasq;
    expect(masq('true')).toBe(true);
    expect(masq('false')).toBe(false);
    expect(masq('TRUE')).toBe(false);
    expect(masq('')).toBe(false);
    expect(masq('true ')).toBe(false);
  });

  it('rejects an empty network list and a bad subnet', () => {
    expect(() => parseSubnetEnv(V4.replace('FLANNEL_NETWORK=10.1.0.0/16', 'FLANNEL_NETWORK='), P)).toThrow(
      new Error('invalid CIDR address: '),
    );
    expect(() => parseSubnetEnv(V4.replace('10.1.17.1/24', '10.1.17.1'), P)).toThrow(
      'invalid CIDR address: 10.1.17.1',
    );
  });
});

describe('loadSubnetEnv', () => {
  it('reads the file and reports open errors like Go', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flannel-env-'));
    try {
      const f = join(dir, 'subnet.env');
      writeFileSync(f, V4);
      expect(loadSubnetEnv(f).subnet).toBe('10.1.17.0/24');
      expect(() => loadSubnetEnv(join(dir, 'nope'))).toThrow(
        new Error(`open ${join(dir, 'nope')}: no such file or directory`),
      );
      expect(() => loadSubnetEnv(dir)).toThrow(new Error(`read ${dir}: is a directory`));
      expect(() => loadSubnetEnv('')).toThrow(new Error('open : no such file or directory'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
