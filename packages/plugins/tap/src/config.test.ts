import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf } from './config.js';

const base = { cniVersion: '1.0.0', name: 'n', type: 'tap' };
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

describe('tap parseConf', () => {
  it('applies the defaults', () => {
    const c = parse({});
    expect(c).toMatchObject({ multiQueue: false, mtu: 0, selinuxContext: '', bridge: '' });
    expect(c.owner).toBeUndefined();
    expect(c.group).toBeUndefined();
    expect(c.mac).toBeUndefined();
  });

  it('reads every key case-insensitively', () => {
    const c = parse({
      multiqueue: true,
      MTU: 9000,
      mac: '02:00:00:00:00:01',
      owner: 0,
      group: 4294967294,
      selinuxContext: 'system_u:system_r:svirt_t:s0',
      bridge: 'br0',
    });
    expect(c).toMatchObject({
      multiQueue: true,
      mtu: 9000,
      mac: '02:00:00:00:00:01',
      owner: 0,
      group: 4294967294,
      selinuxContext: 'system_u:system_r:svirt_t:s0',
      bridge: 'br0',
    });
  });

  it('null owner/group are "not set" (Go *uint32)', () => {
    const c = parse({ owner: null, group: null });
    expect(c.owner).toBeUndefined();
    expect(c.group).toBeUndefined();
  });

  it('MAC precedence: config < CNI_ARGS < runtimeConfig', () => {
    expect(parse({ mac: '02:00:00:00:00:01' }, 'MAC=02:00:00:00:00:02').mac).toBe('02:00:00:00:00:02');
    expect(parse({ runtimeConfig: { mac: '02:00:00:00:00:03' } }, 'MAC=02:00:00:00:00:02').mac).toBe(
      '02:00:00:00:00:03',
    );
  });

  it('names key and value of bad input', () => {
    expect(err(() => parse({ mtu: true })).msg).toContain('key "mtu" must be an integer, got boolean true');
    expect(err(() => parse({ mtu: -5 })).msg).toBe('invalid "mtu" -5: must not be negative');
    expect(err(() => parse({ owner: 4294967295 })).msg).toBe(
      'invalid "owner" 4294967295: must be in [0, 4294967294]',
    );
    expect(err(() => parse({ group: 'wheel' })).msg).toContain(
      'key "group" must be an integer, got string "wheel"',
    );
    expect(err(() => parse({ bridge: 'a-very-long-bridge-name' })).msg).toContain('invalid "bridge"');
    expect(err(() => parse({ selinuxContext: 5 })).code).toBe(6);
    expect(err(() => parse({}, 'MAC=nope')).msg).toBe('invalid "CNI_ARGS MAC" "nope": not a MAC address');
  });
});
