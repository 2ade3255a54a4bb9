import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { addressSource, parseConf } from './config.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'ipvlan' };
const parse = (extra: object) => parseConf(JSON.stringify({ ...base, ...extra }));

function err(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('ipvlan parseConf', () => {
  it('applies the defaults', () => {
    expect(parse({})).toMatchObject({ master: '', mode: 'l2', mtu: 0, linkInContainer: false });
  });

  it('reads every key, case-insensitively like Go', () => {
    expect(parse({ MASTER: 'eth1', Mode: 'l3s', MTU: 1400, linkincontainer: true })).toMatchObject({
      master: 'eth1',
      mode: 'l3s',
      mtu: 1400,
      linkInContainer: true,
    });
  });

  it('rejects unknown modes, negative and non-integer MTUs', () => {
    expect(err(() => parse({ mode: 'L2' })).message).toBe('unknown ipvlan mode: "L2"');
    expect(err(() => parse({ mode: 'bridge' })).code).toBe(7);
    expect(err(() => parse({ mtu: -5 })).message).toBe('invalid "mtu" -5: must not be negative');
    expect(err(() => parse({ mtu: 1.5 })).code).toBe(6);
    expect(err(() => parse({ mtu: '1500' })).code).toBe(6);
  });

  it('addresses come from IPAM, else from the prevResult IPs, else it is an error', () => {
    expect(addressSource(parse({ ipam: { type: 'host-local' } }))).toBe('ipam');
    const prevResult = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] };
    expect(addressSource(parse({ prevResult }))).toBe('prevResult');
    expect(addressSource(parse({ prevResult, ipam: { type: 'static' } }))).toBe('ipam');
    expect(err(() => addressSource(parse({ prevResult: { cniVersion: '1.0.0' } }))).code).toBe(7);
    expect(err(() => addressSource(parse({}))).code).toBe(7);
  });
});
