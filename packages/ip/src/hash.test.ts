import { describe, expect, it } from 'vitest';
import {
  formatChainName,
  formatComment,
  goQuote,
  ifbDeviceName,
  mustFormatChainNameWithPrefix,
  mustFormatHashWithPrefix,
} from './hash.js';

describe('reference hash names', () => {
  it('formatChainName matches pkg/utils', () => {
    expect(formatChainName('mynet', 'abc123')).toBe('CNI-70a29d9dc18bc4d652ea5d59');
    expect(formatChainName('mynet', 'abc123')).toHaveLength(28);
  });
  it('bandwidth IFB names', () => {
    expect(ifbDeviceName('cni-plugin-bandwidth-test', 'dummy')).toBe('bwpa8eda89404b7');
    expect(mustFormatHashWithPrefix(15, 'bwp', 'cni-plugin-bandwidth-testdummy')).toBe('bwpa8eda89404b7');
  });
  it('prefixed chain names keep 28 characters', () => {
    const dn = mustFormatChainNameWithPrefix('mynet', 'abc123', 'DN-');
    expect(dn).toMatch(/^CNI-DN-[0-9a-f]{21}$/);
    expect(dn.slice(7)).toBe(formatChainName('mynet', 'abc123').slice(4, 25));
  });
  it('rejects lengths the reference panics on', () => {
    expect(() => mustFormatHashWithPrefix(3, 'bwp', 'x')).toThrow(/invalid length 3/);
    expect(() => mustFormatHashWithPrefix(129, 'a', 'x')).toThrow(/invalid length 129/);
  });
  it('formatComment quotes like Go %q', () => {
    expect(formatComment('mynet', 'abc123')).toBe('name: "mynet" id: "abc123"');
    expect(goQuote('a"b\\c\n\x01é')).toBe('"a\\"b\\\\c\\n\\x01é"');
    expect(goQuote('\u200b')).toBe('"\\u200b"');
  });
});
