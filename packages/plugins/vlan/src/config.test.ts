import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf } from './config.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'vlan', master: 'eth0', ipam: { type: 'host-local' } };
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

describe('vlan parseConf', () => {
  it('applies the defaults', () => {
    expect(parse({})).toMatchObject({ master: 'eth0', vlanId: 0, mtu: 0, linkInContainer: false });
  });

  it('reads every key, case-insensitively like Go', () => {
    expect(
      parse({ master: undefined, Master: 'eth1', VLANID: 4094, Mtu: 1400, linkInContainer: true }),
    ).toMatchObject({
      master: 'eth1',
      vlanId: 4094,
      mtu: 1400,
      linkInContainer: true,
    });
  });

  it('requires master and IPAM; bounds vlanId and mtu', () => {
    expect(err(() => parse({ master: '' })).code).toBe(7);
    expect(err(() => parse({ ipam: {} })).message).toBe('vlan interface requires an IPAM configuration');
    expect(err(() => parse({ vlanId: 4095 })).message).toBe('invalid "vlanId" 4095: must be in [0, 4094]');
    expect(err(() => parse({ vlanId: 1.5 })).code).toBe(6);
    expect(err(() => parse({ mtu: -1 })).code).toBe(7);
    expect(parse({ vlanId: 0 }).vlanId).toBe(0);
  });
});
