// SHA-512 and SHA-256 (FIPS 180-4) of a UTF-8 string, hex digest, in plain TypeScript: the chain,
// IFB and record-chain names hash a few dozen bytes, and loading node:crypto for that costs
// several milliseconds of every plugin process. SHA-512's 64-bit words are (hi, lo) pairs of
// unsigned 32-bit numbers; low-word sums are plain numbers (exact below 2^53) whose overflow
// above 2^32 is the carry into the high word.

/** SHA-512's round constants, high and low halves; the first 64 high halves are SHA-256's. */
// biome-ignore format: eight constants a line
const K_HI = Uint32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  0xca273ece, 0xd186b8c7, 0xeada7dd6, 0xf57d4f7f, 0x06f067aa, 0x0a637dc5, 0x113f9804, 0x1b710b35,
  0x28db77f5, 0x32caab7b, 0x3c9ebe0a, 0x431d67c4, 0x4cc5d4be, 0x597f299c, 0x5fcb6fab, 0x6c44198c,
);
// biome-ignore format: eight constants a line
const K_LO = Uint32Array.of(
  0xd728ae22, 0x23ef65cd, 0xec4d3b2f, 0x8189dbbc, 0xf348b538, 0xb605d019, 0xaf194f9b, 0xda6d8118,
  0xa3030242, 0x45706fbe, 0x4ee4b28c, 0xd5ffb4e2, 0xf27b896f, 0x3b1696b1, 0x25c71235, 0xcf692694,
  0x9ef14ad2, 0x384f25e3, 0x8b8cd5b5, 0x77ac9c65, 0x592b0275, 0x6ea6e483, 0xbd41fbd4, 0x831153b5,
  0xee66dfab, 0x2db43210, 0x98fb213f, 0xbeef0ee4, 0x3da88fc2, 0x930aa725, 0xe003826f, 0x0a0e6e70,
  0x46d22ffc, 0x5c26c926, 0x5ac42aed, 0x9d95b3df, 0x8baf63de, 0x3c77b2a8, 0x47edaee6, 0x1482353b,
  0x4cf10364, 0xbc423001, 0xd0f89791, 0x0654be30, 0xd6ef5218, 0x5565a910, 0x5771202a, 0x32bbd1b8,
  0xb8d2d0c8, 0x5141ab53, 0xdf8eeb99, 0xe19b48a8, 0xc5c95a63, 0xe3418acb, 0x7763e373, 0xd6b2b8a3,
  0x5defb2fc, 0x43172f60, 0xa1f0ab72, 0x1a6439ec, 0x23631e28, 0xde82bde9, 0xb2c67915, 0xe372532b,
  0xea26619c, 0x21c0c207, 0xcde0eb1e, 0xee6ed178, 0x72176fba, 0xa2c898a6, 0xbef90dae, 0x131c471b,
  0x23047d84, 0x40c72493, 0x15c9bebc, 0x9c100d4c, 0xcb3e42b6, 0xfc657e2a, 0x3ad6faec, 0x4a475817,
);
/** SHA-512's initial hash value, high and low halves; the high halves are SHA-256's. */
// biome-ignore format: eight constants a line
const H_HI = Uint32Array.of(
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
);
// biome-ignore format: eight constants a line
const H_LO = Uint32Array.of(
  0xf3bcc908, 0x84caa73b, 0xfe94f82b, 0x5f1d36f1, 0xade682d1, 0x2b3e6c1f, 0xfb41bd6b, 0x137e2179,
);

const TWO_32 = 0x100000000;

/** The carry out of a sum of unsigned 32-bit words. */
const carry = (sum: number): number => Math.floor(sum / TWO_32);

/** s's UTF-8 bytes, 0x80, zeros and the bit length big-endian, to a multiple of blockBytes. */
function pad(s: string, blockBytes: 64 | 128): DataView {
  const msg = Buffer.from(s, 'utf8');
  const lengthBytes = blockBytes / 8; // 64 bits for SHA-256, 128 for SHA-512
  const total = Math.ceil((msg.length + 1 + lengthBytes) / blockBytes) * blockBytes;
  const out = new Uint8Array(total);
  out.set(msg);
  out[msg.length] = 0x80;
  const view = new DataView(out.buffer);
  const bits = msg.length * 8; // below 2^53: the upper words stay zero
  view.setUint32(total - 8, carry(bits));
  view.setUint32(total - 4, bits >>> 0);
  return view;
}

/** The working variables a..h, read from the state. */
type Eight = [number, number, number, number, number, number, number, number];

/** A 32-bit word as 8 hex digits. */
const hex8 = (w: number): string => (w >>> 0).toString(16).padStart(8, '0');

/**
 * `a >>> n` with the low n bits of `b` shifted in at the top (0 < n < 32). A 32-bit rotr(x, n) is
 * r(x, x, n); the high and low halves of a 64-bit rotr(hi:lo, n) are r(hi, lo, n) and r(lo, hi, n),
 * and for n >= 32 the halves swap: r(lo, hi, n - 32) and r(hi, lo, n - 32).
 */
const r = (a: number, b: number, n: number): number => (a >>> n) | (b << (32 - n));

/** hex(SHA-256(UTF-8 of s)). */
export function sha256Hex(s: string): string {
  const data = pad(s, 64);
  const state = Int32Array.from(H_HI);
  const w = new Int32Array(64);
  for (let off = 0; off < data.byteLength; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = data.getInt32(off + 4 * t);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = r(x, x, 7) ^ r(x, x, 18) ^ (x >>> 3);
      const s1 = r(y, y, 17) ^ r(y, y, 19) ^ (y >>> 10);
      w[t] = w[t - 16]! + s0 + w[t - 7]! + s1;
    }
    let [a, b, c, d, e, f, g, h] = [...state] as Eight;
    for (let t = 0; t < 64; t++) {
      const s1 = r(e, e, 6) ^ r(e, e, 11) ^ r(e, e, 25);
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K_HI[t]! + w[t]!) | 0;
      const s0 = r(a, a, 2) ^ r(a, a, 13) ^ r(a, a, 22);
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    const v = [a, b, c, d, e, f, g, h];
    for (let i = 0; i < 8; i++) state[i] = state[i]! + v[i]!;
  }
  let out = '';
  for (const x of state) out += hex8(x);
  return out;
}

/**
 * hex(SHA-512(UTF-8 of s)). A 64-bit word x is xh (high half) and xl (low half); low halves are
 * kept unsigned so that their sums carry into the high half (see `carry`, `r`).
 */
export function sha512Hex(s: string): string {
  const data = pad(s, 128);
  const stateH = Uint32Array.from(H_HI);
  const stateL = Uint32Array.from(H_LO);
  const wh = new Uint32Array(80);
  const wl = new Uint32Array(80);
  for (let off = 0; off < data.byteLength; off += 128) {
    for (let t = 0; t < 16; t++) {
      wh[t] = data.getUint32(off + 8 * t);
      wl[t] = data.getUint32(off + 8 * t + 4);
    }
    for (let t = 16; t < 80; t++) {
      // σ0(x) = rotr 1 ^ rotr 8 ^ shr 7, σ1(y) = rotr 19 ^ rotr 61 ^ shr 6
      const xh = wh[t - 15]!;
      const xl = wl[t - 15]!;
      const yh = wh[t - 2]!;
      const yl = wl[t - 2]!;
      const s0h = r(xh, xl, 1) ^ r(xh, xl, 8) ^ (xh >>> 7);
      const s0l = r(xl, xh, 1) ^ r(xl, xh, 8) ^ r(xl, xh, 7);
      const s1h = r(yh, yl, 19) ^ r(yl, yh, 29) ^ (yh >>> 6);
      const s1l = r(yl, yh, 19) ^ r(yh, yl, 29) ^ r(yl, yh, 6);
      const lo = (s0l >>> 0) + wl[t - 7]! + (s1l >>> 0) + wl[t - 16]!;
      wl[t] = lo;
      wh[t] = s0h + wh[t - 7]! + s1h + wh[t - 16]! + carry(lo);
    }
    let [ah, bh, ch, dh, eh, fh, gh, hh] = [...stateH] as Eight;
    let [al, bl, cl, dl, el, fl, gl, hl] = [...stateL] as Eight;
    for (let t = 0; t < 80; t++) {
      // t1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], Σ1 = rotr 14 ^ rotr 18 ^ rotr 41
      const s1h = r(eh, el, 14) ^ r(eh, el, 18) ^ r(el, eh, 9);
      const s1l = r(el, eh, 14) ^ r(el, eh, 18) ^ r(eh, el, 9);
      const chooseH = (eh & fh) ^ (~eh & gh);
      const chooseL = (el & fl) ^ (~el & gl);
      const t1Sum = hl + (s1l >>> 0) + (chooseL >>> 0) + K_LO[t]! + wl[t]!;
      const t1h = hh + s1h + chooseH + K_HI[t]! + wh[t]! + carry(t1Sum);
      const t1l = t1Sum >>> 0;
      // t2 = Σ0(a) + Maj(a, b, c), Σ0 = rotr 28 ^ rotr 34 ^ rotr 39
      const s0h = r(ah, al, 28) ^ r(al, ah, 2) ^ r(al, ah, 7);
      const s0l = r(al, ah, 28) ^ r(ah, al, 2) ^ r(ah, al, 7);
      const majH = (ah & bh) ^ (ah & ch) ^ (bh & ch);
      const majL = (al & bl) ^ (al & cl) ^ (bl & cl);
      const t2Sum = (s0l >>> 0) + (majL >>> 0);
      const t2h = s0h + majH + carry(t2Sum);
      hh = gh;
      hl = gl;
      gh = fh;
      gl = fl;
      fh = eh;
      fl = el;
      const eSum = dl + t1l;
      eh = (dh + t1h + carry(eSum)) >>> 0;
      el = eSum >>> 0;
      dh = ch;
      dl = cl;
      ch = bh;
      cl = bl;
      bh = ah;
      bl = al;
      const aSum = t1l + (t2Sum >>> 0);
      ah = (t1h + t2h + carry(aSum)) >>> 0;
      al = aSum >>> 0;
    }
    const vh = [ah, bh, ch, dh, eh, fh, gh, hh];
    const vl = [al, bl, cl, dl, el, fl, gl, hl];
    for (let i = 0; i < 8; i++) {
      const lo = stateL[i]! + vl[i]!;
      stateH[i] = stateH[i]! + vh[i]! + carry(lo); // the typed arrays keep the value mod 2^32
      stateL[i] = lo;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) out += hex8(stateH[i]!) + hex8(stateL[i]!);
  return out;
}
