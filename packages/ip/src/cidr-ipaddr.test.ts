// Differential test: our IPv6 parsing and RFC 5952 printing against ipaddr.js (which cidr.ts
// used before; kept as a dev dependency for this comparison only) with Go's rules on top.
import * as ipaddrModule from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { formatIP, parseIP } from './cidr.js';
import { seededRandom } from '@cni-internal/test-kit/random';

// CommonJS with `export =`: the API is the default export under Node's ESM loader.
const ipaddr: typeof ipaddrModule =
  (ipaddrModule as unknown as { default?: typeof ipaddrModule }).default ?? ipaddrModule;

const V4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
function oldV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!V4_OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return BigInt(v);
}
function oldV6(text: string): bigint | undefined {
  if (text.includes('%') || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let src = text;
  const lastColon = src.lastIndexOf(':');
  const tail = src.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = oldV4(tail);
    if (v4 === undefined) return undefined;
    src = `${src.slice(0, lastColon + 1)}${Number(v4 >> 16n).toString(16)}:${Number(v4 & 0xffffn).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(src)) return undefined;
  let v = 0n;
  for (const b of ipaddr.IPv6.parse(src).toByteArray()) v = (v << 8n) | BigInt(b);
  return v;
}
function oldParse(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (!text.includes(':')) {
    const v = oldV4(text);
    return v === undefined ? undefined : { family: 4, value: v };
  }
  const v = oldV6(text);
  if (v === undefined) return undefined;
  if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
  return { family: 6, value: v };
}

describe('IPv6 text without ipaddr.js', () => {
  const rnd = seededRandom(99);

  it('parses exactly what the ipaddr.js-based parser accepted, to the same value', () => {
    const atoms = [
      '0',
      '1',
      'f',
      'ff',
      'ABCD',
      '12345',
      ':',
      '::',
      ':::',
      '.',
      '1.2.3.4',
      '255.0.0.1',
      '01.2.3.4',
      'g',
      '%eth0',
      'ffff',
    ];
    const inputs = [
      '::',
      '::1',
      '1::',
      '::ffff:1.2.3.4',
      '::1.2.3.4',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
      '1:2:3:4:5:6:7:8:9',
      ':1::',
      '1::2:',
    ];
    for (let i = 0; i < 30000; i++) {
      let t = '';
      for (let n = rnd(10); n >= 0; n--) t += atoms[rnd(atoms.length)];
      inputs.push(t);
    }
    for (let i = 0; i < 3000; i++) {
      const g = Array.from({ length: 8 }, () => (rnd(3) === 0 ? '0' : rnd(0x10000).toString(16)));
      const cut = rnd(8);
      inputs.push(g.join(':'), `${g.slice(0, cut).join(':')}::${g.slice(cut + 1).join(':')}`);
    }
    for (const t of inputs) expect([t, parseIP(t)]).toEqual([t, oldParse(t)]);
  });

  it('prints every value as ipaddr.js did (RFC 5952)', () => {
    const values: bigint[] = [0n, 1n, (1n << 128n) - 1n, 0xffffn << 32n];
    for (let i = 0; i < 20000; i++) {
      let v = 0n;
      for (let k = 0; k < 8; k++) v = (v << 16n) | BigInt(rnd(4) === 0 ? rnd(0x10000) : rnd(3) === 0 ? 1 : 0);
      values.push(v);
    }
    for (const v of values) {
      const bytes: number[] = [];
      for (let k = 15; k >= 0; k--) bytes.push(Number((v >> BigInt(k * 8)) & 0xffn));
      const want = ipaddr.fromByteArray(bytes).toString();
      expect([v, formatIP({ family: 6, value: v })]).toEqual([v, want]);
    }
  });
});
