import { CniError, ErrCode } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { optObject } from './conf-fields.js';
import { internal, openNetNS, openNetNSForDel, Rollback, validAttachments } from './plugin-steps.js';

describe('plugin steps shared by the main plugins', () => {
  it('internal wraps anything as a 999 with a prefix; CniErrors pass through', () => {
    const e = internal('could not add "br0"', new Error('EEXIST'));
    expect(e).toBeInstanceOf(CniError);
    expect(e.code).toBe(999);
    expect(e.message).toBe('could not add "br0": EEXIST');
    expect(internal('', 'plain').message).toBe('plain');
    const own = new CniError(ErrCode.InvalidNetworkConfig, 'bad');
    expect(internal('x', own)).toBe(own);
  });

  it('openNetNS: 999 by default, the given code otherwise; DEL tolerates a missing path', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as CniError).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code(() => openNetNS('/nonexistent/ns'))).toEqual([
      999,
      expect.stringMatching(/^failed to open netns "\/nonexistent\/ns": /),
    ]);
    expect(code(() => openNetNS('/nonexistent/ns', ErrCode.InvalidNetNS))?.[0]).toBe(8);
    expect(openNetNSForDel('/nonexistent/ns', ErrCode.InvalidNetNS)).toBeUndefined();
  });

  it('Rollback runs newest first and reports failures without throwing', async () => {
    const done: string[] = [];
    const rb = new Rollback();
    rb.push('a', () => done.push('a'));
    rb.push('b', () => {
      throw new Error('boom');
    });
    rb.push('c', async () => done.push('c'));
    await rb.run();
    expect(done).toEqual(['c', 'a']);
    await rb.run();
    expect(done).toEqual(['c', 'a']);
  });

  it('optObject: absent → undefined, an object, else a typed error naming the key', () => {
    expect(optObject({}, 'args')).toBeUndefined();
    expect(optObject({ Args: { a: 1 } }, 'args')).toEqual({ a: 1 });
    expect(() => optObject({ cni: [1] }, 'cni', 'args.')).toThrow(
      'failed to load netconf: key "args.cni" must be an object, got array [1]',
    );
  });

  it('validAttachments: absent → [], entries, errors 6 naming the entry', () => {
    expect(validAttachments({})).toEqual([]);
    expect(validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] })).toEqual(
      [{ containerID: 'a', ifname: 'eth0' }],
    );
    expect(() => validAttachments({ 'cni.dev/valid-attachments': 'x' })).toThrow(/must be an array, got "x"/);
    expect(() => validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'a' }] })).toThrow(
      /valid-attachments\[0\]" needs string "containerID" and "ifname"/,
    );
  });
});
