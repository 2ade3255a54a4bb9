import { CniError } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { parseConf } from './config.js';
import { validAttachments } from './index.js';

const base = { cniVersion: '1.0.0', name: 'net', type: 'ptp', ipam: { type: 'host-local' } };
const parse = (extra: object, forDel = false) => parseConf(JSON.stringify({ ...base, ...extra }), forDel);

function err(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('ptp parseConf', () => {
  it('defaults and keys', () => {
    expect(parse({})).toMatchObject({ ipMasq: false, mtu: 0 });
    expect(parse({ IPMASQ: true, mtu: 1400, ipMasqBackend: 'iptables' })).toMatchObject({
      ipMasq: true,
      mtu: 1400,
      ipMasqBackend: 'iptables',
    });
  });
  it('rejects bad values naming key and value', () => {
    expect(err(() => parse({ mtu: 1.5 })).msg).toBe(
      'failed to load netconf: key "mtu" must be an integer, got number 1.5',
    );
    expect(err(() => parse({ ipMasqBackend: 'pf' })).code).toBe(7);
    expect(err(() => parse({ ipam: {} })).msg).toContain('"ipam.type"');
    expect(parse({ ipam: {} }, true).ipam).toEqual({});
  });
  it('reads GC valid attachments', () => {
    expect(validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] })).toEqual(
      [{ containerID: 'a', ifname: 'eth0' }],
    );
    expect(validAttachments({})).toEqual([]);
    expect(err(() => validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 1 }] })).code).toBe(6);
  });
});
