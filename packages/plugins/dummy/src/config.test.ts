import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf } from './index.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'dummy' };

describe('dummy parseConf', () => {
  it('requires an IPAM type', () => {
    for (const extra of [{}, { ipam: {} }, { ipam: { type: '' } }]) {
      let err: unknown;
      try {
        parseConf(JSON.stringify({ ...base, ...extra }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CniError);
      expect((err as CniError).code).toBe(7);
      expect((err as CniError).message).toBe('dummy interface requires an IPAM configuration');
    }
  });

  it('accepts any IPAM type and keeps the common keys', () => {
    const c = parseConf(
      JSON.stringify({ ...base, IPAM: { type: 'static' }, dns: { nameservers: ['1.1.1.1'] } }),
    );
    expect(c.ipam?.type).toBe('static');
    expect(c.name).toBe('net');
  });
});
