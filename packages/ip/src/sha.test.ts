import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha512Hex } from './sha.js';

const node = (alg: 'sha256' | 'sha512', s: string): string => createHash(alg).update(s, 'utf8').digest('hex');

/** Deterministic pseudo-random strings (xorshift32), ASCII and beyond, surrogate pairs included. */
function randomStrings(count: number): string[] {
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const pools = [0x80, 0x800, 0x10000, 0x110000];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = next() % 400;
    const max = pools[next() % pools.length]!;
    let s = '';
    while (s.length < length) {
      const cp = next() % max;
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // lone surrogates are not UTF-8
      s += String.fromCodePoint(cp);
    }
    out.push(s);
  }
  return out;
}

describe('sha256Hex / sha512Hex', () => {
  it('FIPS 180-4 known answers', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha512Hex('abc')).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a' +
        '2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha512Hex('')).toBe(
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce' +
        '47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    );
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(
      sha512Hex(
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      ),
    ).toBe(
      '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018' +
        '501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
    );
  });

  it('every length 0..300 (the 55/56/64 and 111/112/128 padding boundaries)', () => {
    for (let n = 0; n <= 300; n++) {
      const s = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(9).slice(0, n);
      expect(s).toHaveLength(n);
      expect(sha256Hex(s), `sha256 length ${n}`).toBe(node('sha256', s));
      expect(sha512Hex(s), `sha512 length ${n}`).toBe(node('sha512', s));
    }
  });

  it('multi-byte UTF-8', () => {
    for (let n = 0; n <= 60; n++) {
      const s = 'é€😀'.repeat(n);
      expect(sha256Hex(s), `sha256 ×${n}`).toBe(node('sha256', s));
      expect(sha512Hex(s), `sha512 ×${n}`).toBe(node('sha512', s));
    }
  });

  it('200 random strings', () => {
    for (const s of randomStrings(200)) {
      expect(sha256Hex(s)).toBe(node('sha256', s));
      expect(sha512Hex(s)).toBe(node('sha512', s));
    }
  });

  it('a long input (many blocks) and the chain-name inputs', () => {
    const long = 'x'.repeat(100_000);
    expect(sha256Hex(long)).toBe(node('sha256', long));
    expect(sha512Hex(long)).toBe(node('sha512', long));
    expect(sha512Hex('mynetabc123').slice(0, 24)).toBe('70a29d9dc18bc4d652ea5d59');
  });
});
