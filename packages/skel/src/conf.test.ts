import { describe, expect, it } from 'vitest';
import {
  parseCniArgs,
  parseNetConf,
  validateContainerID,
  validateInterfaceName,
  validateNetworkName,
} from './conf.js';
import { CniError } from './errors.js';
import { getKey } from './json.js';

function errOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('getKey (Go-style case-insensitive lookup)', () => {
  it('prefers the exact key, else the last case-insensitive match', () => {
    expect(getKey({ name: 'a', NAME: 'b' }, 'name')).toBe('a');
    expect(getKey({ Name: 'a', NAME: 'b' }, 'name')).toBe('b');
    expect(getKey({ IpMasq: true }, 'ipMasq')).toBe(true);
    expect(getKey({}, 'x')).toBeUndefined();
    expect(getKey(undefined, 'x')).toBeUndefined();
  });
});

describe('parseNetConf', () => {
  it('parses the common keys and keeps the raw object', () => {
    const raw = {
      cniVersion: '1.0.0',
      name: 'net',
      type: 'bridge',
      capabilities: { portMappings: true },
      ipam: { type: 'host-local', subnet: '10.0.0.0/24' },
      dns: { nameservers: ['1.1.1.1'], domain: 'd', search: ['s'], options: ['o'] },
      runtimeConfig: { portMappings: [] },
      args: { cni: { ips: ['10.0.0.5'] } },
      bridge: 'cni0',
    };
    const c = parseNetConf(JSON.stringify(raw));
    expect(c).toMatchObject({
      cniVersion: '1.0.0',
      name: 'net',
      type: 'bridge',
      capabilities: { portMappings: true },
      ipam: { type: 'host-local', subnet: '10.0.0.0/24' },
      dns: { nameservers: ['1.1.1.1'], domain: 'd', search: ['s'], options: ['o'] },
      runtimeConfig: { portMappings: [] },
      args: { cni: { ips: ['10.0.0.5'] } },
    });
    expect(c.raw).toEqual(raw);
    expect(c.prevResult).toBeUndefined();
  });

  it('reads keys case-insensitively and accepts a Buffer', () => {
    const c = parseNetConf(
      Buffer.from('{"CNIVersion":"0.4.0","Name":"n","TYPE":"t","IPAM":{"type":"static"}}'),
    );
    expect([c.cniVersion, c.name, c.type, c.ipam?.type]).toEqual(['0.4.0', 'n', 't', 'static']);
  });

  it('parses prevResult; a version-less one takes the config version', () => {
    const c = parseNetConf(
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'n',
        type: 't',
        prevResult: { ips: [{ version: '4', address: '10.0.0.2/24' }] },
      }),
    );
    expect(c.prevResult).toEqual({ cniVersion: '0.4.0', ips: [{ address: '10.0.0.2/24' }] });
    expect(c.rawPrevResult).toEqual({ ips: [{ version: '4', address: '10.0.0.2/24' }] });
    const d = parseNetConf(
      '{"name":"n","type":"t","prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"e","mtu":9000}]}}',
    );
    expect(d.prevResult).toEqual({ cniVersion: '1.1.0', interfaces: [{ name: 'e', mtu: 9000 }] });
  });

  const bad: [string, string, number, string][] = [
    ['invalid JSON', '{"name":', 6, 'error unmarshall network config:'],
    ['empty stdin', '', 6, 'error unmarshall network config: unexpected end of JSON input'],
    ['an array', '[]', 6, 'the configuration must be a JSON object, got array'],
    ['a numeric name', '{"name":5}', 6, 'key "name" must be a string, got number 5'],
    ['a numeric cniVersion', '{"cniVersion":1.1}', 6, 'key "cniVersion" must be a string, got number 1.1'],
    [
      'a capabilities list',
      '{"capabilities":["a"]}',
      6,
      'key "capabilities" must be an object, got array ["a"]',
    ],
    [
      'a non-boolean capability',
      '{"capabilities":{"mac":"yes"}}',
      6,
      'key "capabilities.mac" must be a boolean, got string "yes"',
    ],
    ['a string ipam', '{"ipam":"host-local"}', 6, 'key "ipam" must be an object, got string "host-local"'],
    ['a numeric ipam type', '{"ipam":{"type":1}}', 6, 'key "ipam.type" must be a string, got number 1'],
    [
      'a string nameservers',
      '{"dns":{"nameservers":"1.1.1.1"}}',
      6,
      'key "dns.nameservers" must be an array of strings',
    ],
    [
      'a bad prevResult',
      '{"cniVersion":"1.0.0","prevResult":{"ips":[{"address":"nope"}]}}',
      6,
      'could not parse prevResult: failed to decode result: "ips[0].address": invalid CIDR address: nope',
    ],
    [
      'a prevResult of an unknown version',
      '{"cniVersion":"1.0.0","prevResult":{"cniVersion":"7"}}',
      1,
      'could not parse prevResult: unsupported CNI result version "7"',
    ],
  ];
  for (const [what, input, code, msg] of bad) {
    it(`rejects ${what}: CniError ${code} naming the key and value`, () => {
      const e = errOf(() => parseNetConf(input));
      expect(e.code).toBe(code);
      expect(e.msg).toContain(msg);
    });
  }
});

describe('name validation (Go utils)', () => {
  it('container IDs', () => {
    expect(() => validateContainerID('abc-1_2.3')).not.toThrow();
    expect(errOf(() => validateContainerID('')).toJSON()).toEqual({ code: 3, msg: 'missing containerID' });
    expect(errOf(() => validateContainerID('a/b')).toJSON()).toEqual({
      code: 4,
      msg: 'invalid characters in containerID',
      details: 'a/b',
    });
    expect(errOf(() => validateContainerID('-a')).code).toBe(4);
    expect(errOf(() => validateContainerID('../x')).code).toBe(4);
  });

  it('network names', () => {
    expect(() => validateNetworkName('my.net-1_x')).not.toThrow();
    expect(errOf(() => validateNetworkName('')).toJSON()).toEqual({ code: 7, msg: 'missing network name:' });
    expect(errOf(() => validateNetworkName('a b')).toJSON()).toEqual({
      code: 7,
      msg: 'invalid characters found in network name',
      details: 'a b',
    });
    expect(errOf(() => validateNetworkName('../etc')).code).toBe(7);
  });

  it('interface names', () => {
    for (const ok of ['eth0', 'a', '123456789012345', 'net1.100', 'é'])
      expect(() => validateInterfaceName(ok)).not.toThrow();
    expect(errOf(() => validateInterfaceName('')).msg).toBe('interface name is empty');
    expect(errOf(() => validateInterfaceName('1234567890123456')).toJSON()).toEqual({
      code: 4,
      msg: 'interface name is too long',
      details: 'interface name should be less than 16 characters',
    });
    // the length limit is in bytes
    expect(errOf(() => validateInterfaceName('éééééééé')).msg).toBe('interface name is too long');
    expect(errOf(() => validateInterfaceName('.')).msg).toBe('interface name is . or ..');
    expect(errOf(() => validateInterfaceName('..')).msg).toBe('interface name is . or ..');
    for (const bad of ['a/b', 'a:b', 'a b', 'a\tb', 'a\u00a0b', 'a\nb']) {
      expect(errOf(() => validateInterfaceName(bad)).toJSON()).toEqual({
        code: 4,
        msg: 'interface name contains / or : or whitespace characters',
      });
    }
  });
});

describe('parseCniArgs (Go types.LoadArgs)', () => {
  const known = ['IP', 'MAC', 'K8S_POD_NAME'];

  it('returns the known keys; empty input is nothing', () => {
    expect(parseCniArgs('', known)).toEqual({});
    expect(parseCniArgs('IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff', known)).toEqual({
      IP: '10.0.0.5',
      MAC: 'aa:bb:cc:dd:ee:ff',
    });
  });

  it('allows an empty value; the last duplicate wins', () => {
    expect(parseCniArgs('IP=', known)).toEqual({ IP: '' });
    expect(parseCniArgs('IP=1.1.1.1;IP=2.2.2.2', known)).toEqual({ IP: '2.2.2.2' });
  });

  it('matches keys case-sensitively', () => {
    expect(errOf(() => parseCniArgs('ip=10.0.0.5', known)).msg).toBe('ARGS: unknown args ["ip=10.0.0.5"]');
  });

  it('lists every unknown pair, Go-quoted', () => {
    expect(errOf(() => parseCniArgs('A=1;IP=2;B=3', known)).toJSON()).toEqual({
      code: 4,
      msg: 'ARGS: unknown args ["A=1" "B=3"]',
    });
  });

  it('IgnoreUnknown=1|true (any case) accepts unknown keys, wherever it appears', () => {
    expect(parseCniArgs('A=1;IgnoreUnknown=1;IP=2', known)).toEqual({ IgnoreUnknown: '1', IP: '2' });
    expect(parseCniArgs('IgnoreUnknown=TRUE;K8S_POD_NAMESPACE=x', known)).toEqual({ IgnoreUnknown: 'TRUE' });
    expect(parseCniArgs('IgnoreUnknown=True;x=y', known)).toEqual({ IgnoreUnknown: 'True' });
    expect(errOf(() => parseCniArgs('IgnoreUnknown=0;x=y', known)).msg).toBe('ARGS: unknown args ["x=y"]');
    expect(errOf(() => parseCniArgs('IgnoreUnknown=false;x=y', known)).code).toBe(4);
  });

  it('rejects a bad IgnoreUnknown value', () => {
    expect(errOf(() => parseCniArgs('IgnoreUnknown=yes', known)).msg).toBe(
      'ARGS: error parsing value of pair "IgnoreUnknown=yes": boolean unmarshal error: invalid input yes',
    );
  });

  it('rejects pairs that do not split into exactly two parts', () => {
    expect(errOf(() => parseCniArgs('IP=a=b', known)).msg).toBe('ARGS: invalid pair "IP=a=b"');
    expect(errOf(() => parseCniArgs('IP', known)).msg).toBe('ARGS: invalid pair "IP"');
    expect(errOf(() => parseCniArgs('IP=1;', known)).msg).toBe('ARGS: invalid pair ""');
    expect(errOf(() => parseCniArgs(';IP=1', known)).msg).toBe('ARGS: invalid pair ""');
    // the pair error wins even when IgnoreUnknown is set
    expect(errOf(() => parseCniArgs('IgnoreUnknown=1;x', known)).msg).toBe('ARGS: invalid pair "x"');
  });

  it('an empty key is unknown', () => {
    expect(errOf(() => parseCniArgs('=x', known)).msg).toBe('ARGS: unknown args ["=x"]');
    expect(parseCniArgs('=x;IgnoreUnknown=1', known)).toEqual({ IgnoreUnknown: '1' });
  });
});
