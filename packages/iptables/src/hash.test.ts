import { describe, expect, it } from 'vitest';
import {
  formatChainName,
  formatChainNameWithPrefix,
  formatComment,
  formatHashWithPrefix,
  trimComment,
} from './hash.js';

describe('reference naming', () => {
  it('formatChainName matches the Go value', () => {
    expect(formatChainName('mynet', 'abc123')).toBe('CNI-70a29d9dc18bc4d652ea5d59');
  });
  it('prefixed chains are 28 characters', () => {
    const dn = formatChainNameWithPrefix('mynet', 'abc123', 'DN-');
    expect(dn).toMatch(/^CNI-DN-[0-9a-f]{21}$/);
    expect(formatChainNameWithPrefix('mynet', 'abc123', 'SN-')).toMatch(/^CNI-SN-[0-9a-f]{21}$/);
  });
  it('hash with prefix', () => {
    expect(formatHashWithPrefix(16, '', 'x')).toHaveLength(16);
    expect(() => formatHashWithPrefix(200, '', 'x')).toThrow(/invalid length 200/);
  });
  it('comments', () => {
    expect(formatComment('n', 'c')).toBe('name: "n" id: "c"');
    expect(trimComment('a'.repeat(255))).toHaveLength(255);
    const long = trimComment('b'.repeat(300));
    expect(long).toHaveLength(256);
    expect(long.endsWith('b...')).toBe(true);
  });
});
