import { describe, expect, it } from 'vitest';
import { hasSlashColonOrGoSpace, isCniName, isDecimal, isHex, isSignedDecimal } from './chars.js';
import { seededRandom } from '@cni-internal/test-kit/random';

describe('character-class checks', () => {
  it('agree with the regular expressions they stand for', () => {
    const rnd = seededRandom(3);
    const alphabet = '0129aAfFgGzZ_.-+/ :\n\u00e9';
    const inputs = ['', '0', '+', '-', '+1', '-0', '1a', 'a', '_a', 'a_', 'A.b-c_9', '12345'];
    for (let i = 0; i < 20000; i++) {
      let s = '';
      for (let n = rnd(7); n > 0; n--) s += alphabet[rnd(alphabet.length)];
      inputs.push(s);
    }
    for (const s of inputs) {
      expect([s, isDecimal(s, 3)]).toEqual([s, /^[0-9]{1,3}$/.test(s)]);
      expect([s, isDecimal(s)]).toEqual([s, /^[0-9]+$/.test(s)]);
      expect([s, isHex(s, 4)]).toEqual([s, /^[0-9a-fA-F]{1,4}$/.test(s)]);
      expect([s, isSignedDecimal(s)]).toEqual([s, /^[+-]?[0-9]+$/.test(s)]);
      expect([s, isCniName(s)]).toEqual([s, /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s)]);
    }
  });

  it('finds / : and Go whitespace as the regexp did, over the BMP', () => {
    const re = /[/:\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = `a${String.fromCharCode(c)}`;
      if (hasSlashColonOrGoSpace(s) !== re.test(s)) expect(c.toString(16)).toBe('the same answer');
    }
    expect(hasSlashColonOrGoSpace('eth0\u{1f600}')).toBe(false);
  });
});
