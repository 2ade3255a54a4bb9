// Random bytes without loading node:crypto (a dozen internal modules, ~2 ms of every plugin
// process that only needs a random veth name or MAC): read the kernel's /dev/urandom, and fall
// back to node:crypto where there is none (Windows).
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const lazyRequire = createRequire(import.meta.url);

export function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    return (lazyRequire('node:crypto') as typeof import('node:crypto')).randomBytes(n);
  }
  try {
    let got = 0;
    while (got < n) {
      const r = readSync(fd, b, got, n - got, null);
      if (r <= 0) throw new Error('/dev/urandom: short read');
      got += r;
    }
  } finally {
    closeSync(fd);
  }
  return b;
}
