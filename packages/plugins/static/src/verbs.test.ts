import { describe, expect, it } from 'vitest';
import { add, check, del } from './verbs.js';

const conf = (ipam: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.1.0',
  name: 'net',
  type: 'static',
  ipam: { type: 'static', ...ipam },
  ...extra,
});
function cniErr(fn: () => unknown): { code: number; msg: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: number; msg?: string; message?: string };
    return { code: e.code ?? -1, msg: e.msg ?? e.message ?? '' };
  }
  throw new Error('expected an error');
}

describe('static ADD', () => {
  it('returns addresses, routes and dns verbatim', () => {
    const r = add(
      conf({
        addresses: [
          { address: '10.10.0.1/24', gateway: '10.10.0.254' },
          { address: '3ffe:ffff:0:01ff::1/64', gateway: '3ffe:ffff:0::1' },
        ],
        routes: [
          { dst: '0.0.0.0/0' },
          { dst: '192.168.0.0/16', gw: '10.10.5.1' },
          { dst: '3ffe:ffff:0:01ff::1/64' },
        ],
        dns: {
          nameservers: ['8.8.8.8'],
          domain: 'example.com',
          search: ['example.com'],
          options: ['ndots:2'],
        },
      }),
      '',
    );
    expect(r).toEqual({
      cniVersion: '1.1.0',
      ips: [
        { address: '10.10.0.1/24', gateway: '10.10.0.254' },
        { address: '3ffe:ffff:0:1ff::1/64', gateway: '3ffe:ffff::1' },
      ],
      routes: [
        { dst: '0.0.0.0/0' },
        { dst: '192.168.0.0/16', gw: '10.10.5.1' },
        { dst: '3ffe:ffff:0:1ff::1/64' },
      ],
      dns: { nameservers: ['8.8.8.8'], domain: 'example.com', search: ['example.com'], options: ['ndots:2'] },
    });
  });

  it('appends CNI_ARGS IP= and gives them GATEWAY= by subnet', () => {
    const r = add(
      conf({ addresses: [{ address: '10.20.0.1/24' }] }),
      'IP=10.10.0.1/24,11.11.0.1/24;GATEWAY=10.10.0.254',
    );
    expect(r.ips).toEqual([
      { address: '10.20.0.1/24' },
      { address: '10.10.0.1/24', gateway: '10.10.0.254' },
      { address: '11.11.0.1/24' },
    ]);
  });

  it('args.cni.ips replaces the list; runtimeConfig.ips replaces it again', () => {
    const base = conf(
      { addresses: [{ address: '10.20.0.1/24' }] },
      { args: { cni: { ips: ['10.30.0.1/24'] } } },
    );
    expect(add(base, 'IP=10.10.0.3/24;GATEWAY=10.10.0.254').ips).toEqual([{ address: '10.30.0.1/24' }]);
    expect(
      add({ ...base, runtimeConfig: { ips: ['10.40.0.1/24', '3ffe::1/64'] } }, 'IP=10.10.0.3/24').ips,
    ).toEqual([{ address: '10.40.0.1/24' }, { address: '3ffe::1/64' }]);
  });

  it('rejects non-CIDR addresses with the reference messages', () => {
    expect(cniErr(() => add(conf({ addresses: [{ address: '10.10.0.1' }] }), ''))).toEqual({
      code: 7,
      msg: "the 'address' field is expected to be in CIDR notation, got: '10.10.0.1'",
    });
    expect(cniErr(() => add(conf({}), 'IP=10.10.0.1')).msg).toBe(
      "the 'ip' field is expected to be in CIDR notation, got: '10.10.0.1'",
    );
    expect(cniErr(() => add(conf({}), 'IP=10.10.0.1/24;GATEWAY=nope')).msg).toBe(
      'invalid gateway address: nope',
    );
    expect(cniErr(() => add(conf({}, { runtimeConfig: { ips: ['x'] } }), '')).msg).toBe(
      "an entry in the 'ips' field is NOT in CIDR notation, got: 'x'",
    );
    expect(cniErr(() => add({ cniVersion: '1.0.0', name: 'n' }, '')).msg).toBe(
      "IPAM config missing 'ipam' key",
    );
    expect(cniErr(() => add(conf({ addresses: 'x' }), '')).msg).toBe(
      'ipam.addresses: expected an array, got "x"',
    );
    expect(cniErr(() => add(conf({ addresses: [{ address: '10.0.0.1/24', gateway: 'g' }] }), '')).msg).toBe(
      'ipam.addresses[0].gateway: invalid IP address "g"',
    );
  });

  it('needs cniVersion >= 0.3.0 for two addresses of one family', () => {
    const c = {
      ...conf({ addresses: [{ address: '10.0.0.1/24' }, { address: '10.0.1.1/24' }] }),
      cniVersion: '0.2.0',
    };
    expect(cniErr(() => add(c, ''))).toEqual({
      code: 1,
      msg: 'CNI version 0.2.0 does not support more than 1 address per family',
    });
  });
});

describe('static DEL and CHECK', () => {
  it('DEL succeeds, even for a configuration that no longer validates', () => {
    expect(del(conf({ addresses: [{ address: '10.0.0.1/24' }] }), '')).toBeUndefined();
    expect(del(conf({ addresses: [{ address: 'garbage' }] }), 'IP=nope')).toBeUndefined();
  });
  it('CHECK compares gateways of configured addresses with prevResult', () => {
    const c = conf({
      addresses: [{ address: '10.10.0.1/24', gateway: '10.10.0.254' }, { address: '3ffe::1/64' }],
    });
    const prev = {
      cniVersion: '1.1.0',
      ips: [{ address: '10.10.0.1/24', gateway: '10.10.0.254' }, { address: '3ffe::1/64' }],
    };
    check({ ...c, prevResult: prev }, '', 'eth0');
    const bad = { cniVersion: '1.1.0', ips: [{ address: '10.10.0.1/24', gateway: '10.10.0.1' }] };
    expect(cniErr(() => check({ ...c, prevResult: bad }, '', 'eth0')).msg).toBe(
      'static: Failed to match addr 10.10.0.1 on interface eth0',
    );
    expect(cniErr(() => check(c, '', 'eth0')).msg).toBe('Required prevResult missing');
  });
});
