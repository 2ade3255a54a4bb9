// UTF-16LE strings as the Windows APIs take (PCWSTR) and return (PWSTR).

/** A NUL-terminated UTF-16LE buffer. */
export function toWide(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf16le');
}

/** Decode UTF-16LE up to the first NUL (or the end of the buffer). */
export function fromWide(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 2));
  let end = buf.length;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    if (buf[i] === 0 && buf[i + 1] === 0) {
      end = i;
      break;
    }
  }
  return buf.subarray(0, end).toString('utf16le');
}
