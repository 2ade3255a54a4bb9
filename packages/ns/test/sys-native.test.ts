// @cni/ns with the plugin bundle's addon (cni_sys.node) in place of koffi, as the plugin entry in
// dist/cni/bin runs it: the same calls, the same errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSysNative } from '@cni-internal/test-kit/sys-native';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnCases } from './spawn-cases.js';

type NS = typeof import('../src/index.js');
let ns: NS;
const g = globalThis as { __cniTsSysNative?: string };

beforeAll(async () => {
  g.__cniTsSysNative = buildSysNative();
  vi.resetModules();
  ns = await import('../src/index.js');
});
afterAll(() => {
  delete g.__cniTsSysNative;
});

describe('cni_sys.node', () => {
  it('is what @cni/ns loads when the entry staged it, and koffi is not loaded', () => {
    const native = ns.loadSysNative();
    expect(native).toBeDefined();
    expect(typeof native?.setns).toBe('function');
    // flock goes through it: koffi's module never enters this process's module list
    const dir = mkdtempSync(join(tmpdir(), 'cni-sys-'));
    try {
      const fd = openSync(join(dir, 'lock'), 'w');
      expect(ns.flock(fd, ns.LOCK_EX)).toBe(true);
      closeSync(fd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readFileSync('/proc/self/maps', 'utf8')).not.toContain('koffi');
  });

  it('returns -1 and sets errno as libc does', () => {
    const native = ns.loadSysNative();
    if (!native) throw new Error('cni_sys.node did not load');
    expect(native.close(-1)).toBe(-1);
    expect(native.errno()).toBe(9); // EBADF
    expect(native.open('/nonexistent/x', 0, 0)).toBe(-1);
    expect(native.errno()).toBe(2); // ENOENT
    expect(() => native.socket('x' as unknown as number, 0, 0)).toThrow(TypeError);
    expect(() => native.send(0, Buffer.alloc(4), 8, 0)).toThrow(/send\(fd, buf, len, flags\)/);
  });

  it('exit is _exit(2): the code stands, what was written synchronously is out', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(g.__cniTsSysNative)});
         require('fs').writeSync(1, 'x'.repeat(100000)); process.on('exit', () => console.log('exit event'));
         m.exports.exit(7);`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('x'.repeat(100000)); // no 'exit' event: nothing of Node's teardown ran
  });

  it('mapFile maps a file as a Latin-1 string or a Buffer; null and errno when it cannot', () => {
    const native = ns.loadSysNative();
    if (!native) throw new Error('cni_sys.node did not load');
    const dir = mkdtempSync(join(tmpdir(), 'cni-sys-'));
    try {
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
      writeFileSync(join(dir, 'f'), bytes);
      writeFileSync(join(dir, 'empty'), '');
      const text = native.mapFile(join(dir, 'f'), 1);
      expect(text).toBe(bytes.toString('latin1'));
      const buf = native.mapFile(join(dir, 'f'), 0);
      expect(Buffer.isBuffer(buf) && buf.equals(bytes)).toBe(true);
      expect(native.mapFile(join(dir, 'absent'), 1)).toBeNull();
      expect(native.errno()).toBe(2); // ENOENT
      expect(native.mapFile(join(dir, 'empty'), 0)).toBeNull();
      expect(native.mapFile(dir, 0)).toBeNull(); // a directory
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('getsockname writes the length back through its array', () => {
    const native = ns.loadSysNative();
    if (!native) throw new Error('cni_sys.node did not load');
    const fd = native.socket(16, 3 | 0o2000000, 0); // AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE
    expect(fd).toBeGreaterThan(2);
    try {
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(16, 0);
      expect(native.bind(fd, sa, 12)).toBe(0);
      const len = [64];
      const name = Buffer.alloc(64);
      expect(native.getsockname(fd, name, len)).toBe(0);
      expect(len[0]).toBe(12);
      expect(name.readUInt32LE(4)).toBeGreaterThan(0); // the port id the kernel assigned
    } finally {
      native.close(fd);
    }
  });

  it('flock: a second open file description cannot take a held lock with LOCK_NB', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cni-sys-'));
    const a = openSync(join(dir, 'lock'), 'w');
    const b = openSync(join(dir, 'lock'), 'r');
    try {
      expect(ns.flock(a, ns.LOCK_EX)).toBe(true);
      expect(ns.flock(b, ns.LOCK_EX | ns.LOCK_NB)).toBe(false);
      expect(ns.flock(a, ns.LOCK_UN)).toBe(true);
      expect(ns.flock(b, ns.LOCK_EX | ns.LOCK_NB)).toBe(true);
    } finally {
      closeSync(a);
      closeSync(b);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates, enters and removes a named namespace (unshare, mount, setns, umount2)', () => {
    const name = `cnitest-sysn-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    const path = ns.createNamedNetNS(name);
    try {
      const h = ns.NetNS.open(path);
      try {
        const inode = execFileSync('stat', ['-L', '-c', '%i', path], { encoding: 'utf8' }).trim();
        const seen = h.run(() =>
          ns.spawnSyncLibc('/usr/bin/stat', ['-L', '-c', '%i', '/proc/thread-self/ns/net'], {
            PATH: '/usr/bin:/bin',
          }),
        );
        expect(seen?.stdout.trim()).toBe(inode);
        expect(ns.isOriginalNetNS('/proc/self/ns/net')).toBe(true);
      } finally {
        h.close();
      }
    } finally {
      ns.removeNamedNetNS(path);
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(name);
  });
});

spawnCases('cni_sys.node', () => ns.spawnSyncLibc);
