// Little-endian integer access on Buffers by plain byte arithmetic. Buffer's readUInt16LE and
// friends validate their offset through a rest-arguments wrapper: in a short-lived plugin
// process, which runs this code in V8's interpreter, that is an array allocated per call (70 KB
// per bridge ADD) and a call more per field. Callers keep offsets in bounds (they check lengths).

export const u16le = (b: Uint8Array, off: number): number => b[off]! | (b[off + 1]! << 8);

export const u32le = (b: Uint8Array, off: number): number =>
  (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16)) + b[off + 3]! * 0x1000000;

export const s32le = (b: Uint8Array, off: number): number =>
  b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);

export function put16le(b: Uint8Array, v: number, off: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}

export function put32le(b: Uint8Array, v: number, off: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}
