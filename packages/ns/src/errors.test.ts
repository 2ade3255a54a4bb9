import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { commonErrnoNames, errnoName, SyscallError } from './errors.js';

describe('errnoName', () => {
  it('names the common errnos from its static table exactly as node:os would', () => {
    const fromOs = new Map<number, string>();
    for (const [name, value] of Object.entries(constants.errno)) fromOs.set(value, name);
    const entries = Object.entries(commonErrnoNames);
    expect(entries.length).toBeGreaterThan(20);
    for (const [n, name] of entries) expect([n, name]).toEqual([n, fromOs.get(Number(n))]);
  });

  it('names the others through node:os, and unknown numbers as E<n>', () => {
    expect(errnoName(constants.errno.EOPNOTSUPP)).toBe('EOPNOTSUPP');
    expect(errnoName(constants.errno.EAGAIN)).toBe(errnoName(constants.errno.EWOULDBLOCK));
    expect(errnoName(17)).toBe('EEXIST');
    expect(errnoName(4242)).toBe('E4242');
  });

  it('gives SyscallError its code', () => {
    const e = new SyscallError('setns', 1, 'fd 3');
    expect(e.code).toBe('EPERM');
    expect(e.message).toContain('setns');
  });
});
