import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf, parseVlanTrunk } from './config.js';
import { calcGateways } from './index.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'bridge' };
const parse = (extra: object, args = '') => parseConf(JSON.stringify({ ...base, ...extra }), args);

function err(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('bridge parseConf', () => {
  it('applies the reference defaults', () => {
    expect(parse({})).toMatchObject({
      bridge: 'cni0',
      isGateway: false,
      isDefaultGateway: false,
      forceAddress: false,
      ipMasq: false,
      mtu: 0,
      hairpinMode: false,
      promiscMode: false,
      vlan: 0,
      vlanTrunk: [],
      preserveDefaultVlan: false,
      macspoofchk: false,
      enabledad: false,
      disableContainerInterface: false,
      portIsolation: false,
    });
    expect(parse({}).ipMasqBackend).toBeUndefined();
    expect(parse({}).mac).toBeUndefined();
  });

  it('reads keys case-insensitively; isDefaultGateway implies isGateway', () => {
    const c = parse({
      BRIDGE: 'br9',
      isdefaultgateway: true,
      IPMasq: true,
      ipMasqBackend: 'nftables',
      MTU: 9000,
    });
    expect(c).toMatchObject({
      bridge: 'br9',
      isGateway: true,
      isDefaultGateway: true,
      ipMasq: true,
      mtu: 9000,
    });
    expect(c.ipMasqBackend).toBe('nftables');
  });

  it('rejects wrong types and values naming key and value', () => {
    expect(err(() => parse({ isGateway: 'yes' })).msg).toBe(
      'failed to load netconf: key "isGateway" must be a boolean, got string "yes"',
    );
    expect(err(() => parse({ mtu: -1 })).msg).toBe('invalid "mtu" -1: must not be negative');
    expect(err(() => parse({ vlan: 4095 })).msg).toBe(
      'invalid "vlan" 4095: VLAN ID must be between 0 and 4094',
    );
    expect(err(() => parse({ vlan: -1 })).code).toBe(7);
    expect(err(() => parse({ bridge: 'a-very-long-bridge-name' })).msg).toContain(
      '"bridge" "a-very-long-bridge-name"',
    );
    expect(err(() => parse({ ipMasqBackend: 'x' })).msg).toBe(
      'invalid "ipMasqBackend" "x": must be "iptables" or "nftables"',
    );
    expect(err(() => parse({ hairpinMode: true, promiscMode: true })).code).toBe(7);
    expect(err(() => parse({ disableContainerInterface: true, ipam: { type: 'host-local' } })).msg).toContain(
      '"disableContainerInterface"',
    );
  });

  it('MAC precedence: CNI_ARGS < args.cni.mac < runtimeConfig.mac', () => {
    expect(parse({}, 'IgnoreUnknown=1;MAC=02:00:00:00:00:01').mac).toBe('02:00:00:00:00:01');
    expect(parse({ args: { cni: { mac: '02:00:00:00:00:02' } } }, 'MAC=02:00:00:00:00:01').mac).toBe(
      '02:00:00:00:00:02',
    );
    expect(
      parse(
        { args: { cni: { mac: '02:00:00:00:00:02' } }, runtimeConfig: { mac: '02-00-00-00-00-0A' } },
        'MAC=02:00:00:00:00:01',
      ).mac,
    ).toBe('02:00:00:00:00:0a');
    expect(err(() => parse({ runtimeConfig: { mac: '01:00:5e:00:00:01' } })).msg).toBe(
      'invalid "runtimeConfig.mac" "01:00:5e:00:00:01": not a unicast MAC address',
    );
    expect(err(() => parse({ args: { cni: { mac: 5 } } })).code).toBe(6);
  });
});

describe('vlanTrunk', () => {
  it('unions and sorts ids and ranges', () => {
    expect(parseVlanTrunk([{ id: 42 }, { minID: 10, maxID: 12 }, { id: 11 }])).toEqual([10, 11, 12, 42]);
    expect(parseVlanTrunk(undefined)).toEqual([]);
  });
  it('rejects bad entries naming the entry', () => {
    expect(err(() => parseVlanTrunk([{ minID: 5 }])).msg).toContain('vlanTrunk[0].maxID');
    expect(err(() => parseVlanTrunk([{ id: 1 }, { maxID: 5 }])).msg).toContain('vlanTrunk[1].minID');
    expect(err(() => parseVlanTrunk([{ minID: 9, maxID: 3 }])).msg).toBe(
      'invalid "vlanTrunk[0].minID" 9: is greater than maxID 3',
    );
    expect(err(() => parseVlanTrunk([{ id: 0 }])).msg).toContain('"vlanTrunk[0].id" 0');
    expect(err(() => parseVlanTrunk([{ id: 4095 }])).code).toBe(7);
    expect(err(() => parseVlanTrunk({ id: 1 })).code).toBe(6);
  });
});

describe('calcGateways', () => {
  it('fills network+1 gateways and adds default routes per family for isDefaultGateway', () => {
    const conf = parse({ isDefaultGateway: true });
    const result = {
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.2.9/24' }, { address: 'fd00::9/64' }],
      routes: [],
    };
    const gws = calcGateways(result, conf);
    expect(result.ips).toEqual([
      { address: '10.1.2.9/24', gateway: '10.1.2.1' },
      { address: 'fd00::9/64', gateway: 'fd00::1' },
    ]);
    expect(result.routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.1.2.1' },
      { dst: '::/0', gw: 'fd00::1' },
    ]);
    expect(gws.map((g) => [g.family, g.net.prefix])).toEqual([
      [4, 24],
      [6, 64],
    ]);
  });
  it('keeps an IPAM default route with a gateway and adds none; no gateway without isGateway', () => {
    const conf = parse({ isDefaultGateway: true });
    const result = {
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.2.9/24', gateway: '10.1.2.254' }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.2.254' }],
    };
    calcGateways(result, conf);
    expect(result.routes).toHaveLength(1);
    const plain = { cniVersion: '1.0.0', ips: [{ address: '10.1.2.9/24' }] };
    expect(calcGateways(plain, parse({}))).toEqual([]);
    expect(plain.ips[0]).toEqual({ address: '10.1.2.9/24' });
  });
});
