// Running a program to completion without node:child_process: posix_spawn through the bundle's
// addon (cni_sys.node) or koffi.
// A plugin that runs iptables would otherwise load child_process (and with it net, stream and
// friends) and fork the whole Node process for each run; posix_spawn starts the child without
// copying the parent's page tables. The child inherits the calling thread's network namespace,
// as with fork. stdin, stdout and stderr are memfds (files, not pipes): nothing can block while
// the child runs, whatever it prints, and the output is read once it has exited.
import { closeSync, fstatSync, readSync, writeSync } from 'node:fs';
import { loadKoffi, loadSysNative } from './libc.js';

type Fn = (...args: unknown[]) => number;
/** What spawnSyncLibc needs: from cni_sys.node, or declared through koffi. */
interface SpawnFns {
  memfdCreate(name: string, flags: number): number;
  /** The child's pid, or -errno. fds 0-2 from the three given; default signals, empty mask. */
  start(path: string, argv: string[], envp: string[], fin: number, fout: number, ferr: number): number;
  waitpid(pid: number, status: number[], options: number): number;
  errno(): number;
}

let fns: SpawnFns | null | undefined;

// glibc's (and musl's) flags; the opaque structs are given room to spare.
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const MFD_CLOEXEC = 1;
const EINTR = 4;
const FILE_ACTIONS_SIZE = 256; // glibc: 80
const ATTR_SIZE = 1024; // glibc: 336
const SIGSET_SIZE = 256; // glibc: 128

function load(): SpawnFns | null {
  if (fns !== undefined) return fns;
  const native = loadSysNative();
  if (native) {
    fns = {
      memfdCreate: native.memfdCreate,
      start: (path, argv, envp, fin, fout, ferr) => {
        const pid = native.spawn(path, argv, envp, fin, fout, ferr);
        return pid >= 0 ? pid : -native.errno();
      },
      waitpid: native.waitpid,
      errno: native.errno,
    };
    return fns;
  }
  try {
    fns = koffiSpawnFns();
  } catch {
    fns = null; // no koffi, another libc, or no memfd_create: the caller uses child_process
  }
  return fns;
}

function koffiSpawnFns(): SpawnFns {
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const f = {
    posixSpawn: lib.func(
      'int posix_spawn(_Out_ int *pid, const char *path, const void *fa, const void *attr, const char **argv, const char **envp)',
    ) as Fn,
    faInit: lib.func('int posix_spawn_file_actions_init(void *fa)') as Fn,
    faDup2: lib.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)') as Fn,
    faDestroy: lib.func('int posix_spawn_file_actions_destroy(void *fa)') as Fn,
    attrInit: lib.func('int posix_spawnattr_init(void *attr)') as Fn,
    attrSetFlags: lib.func('int posix_spawnattr_setflags(void *attr, short flags)') as Fn,
    attrSetSigDefault: lib.func('int posix_spawnattr_setsigdefault(void *attr, const void *set)') as Fn,
    attrSetSigMask: lib.func('int posix_spawnattr_setsigmask(void *attr, const void *set)') as Fn,
    attrDestroy: lib.func('int posix_spawnattr_destroy(void *attr)') as Fn,
    sigFillSet: lib.func('int sigfillset(void *set)') as Fn,
    sigEmptySet: lib.func('int sigemptyset(void *set)') as Fn,
    memfdCreate: lib.func('int memfd_create(const char *name, unsigned int flags)') as Fn,
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)') as Fn,
  };
  const start = (
    path: string,
    argv: string[],
    envp: string[],
    fin: number,
    fout: number,
    ferr: number,
  ): number => {
    const fa = Buffer.alloc(FILE_ACTIONS_SIZE);
    const attr = Buffer.alloc(ATTR_SIZE);
    let faReady = false;
    let attrReady = false;
    try {
      let rc = f.faInit(fa);
      if (rc !== 0) return -rc;
      faReady = true;
      for (const [fd, to] of [
        [fin, 0],
        [fout, 1],
        [ferr, 2],
      ] as const) {
        rc = f.faDup2(fa, fd, to);
        if (rc !== 0) return -rc;
      }
      rc = f.attrInit(attr);
      if (rc !== 0) return -rc;
      attrReady = true;
      // Node ignores SIGPIPE and may block signals: the child starts with default handlers and
      // an empty mask, as child_process gives it.
      const all = Buffer.alloc(SIGSET_SIZE);
      const none = Buffer.alloc(SIGSET_SIZE);
      f.sigFillSet(all);
      f.sigEmptySet(none);
      f.attrSetSigDefault(attr, all);
      f.attrSetSigMask(attr, none);
      f.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
      const pid = [0];
      rc = f.posixSpawn(pid, path, fa, attr, [...argv, null], [...envp, null]);
      return rc === 0 ? (pid[0] as number) : -rc;
    } finally {
      if (faReady) f.faDestroy(fa);
      if (attrReady) f.attrDestroy(attr);
    }
  };
  return {
    memfdCreate: f.memfdCreate,
    start,
    waitpid: f.waitpid,
    errno: () => koffi.errno(),
  };
}

export interface SpawnResult {
  /** Exit status; 128 + N when killed by signal N; 127 when it could not be started. */
  status: number;
  stdout: string;
  stderr: string;
}

function readAllFd(fd: number): string {
  const size = fstatSync(fd).size;
  if (size === 0) return '';
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.toString('utf8', 0, off);
}

/**
 * Run `path` (absolute) with `args`, `env` and `input` on stdin, wait for it, and return its
 * exit status and output. Returns undefined when this process cannot spawn this way (no
 * koffi/libc functions, or one of fds 0–2 is closed so the memfds would land there): the caller
 * then falls back to node:child_process.
 */
export function spawnSyncLibc(
  path: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  input = '',
): SpawnResult | undefined {
  const f = load();
  if (!f) return undefined;
  const fds: number[] = [];
  try {
    for (const name of ['stdin', 'stdout', 'stderr']) {
      const fd = f.memfdCreate(name, MFD_CLOEXEC);
      if (fd < 0) return undefined;
      fds.push(fd);
      // dup2(fd, fd) would keep close-on-exec: a memfd must not take the place of 0, 1 or 2.
      if (fd <= 2) return undefined;
    }
    const [fin, fout, ferr] = fds as [number, number, number];
    // pwrite at 0 leaves the offset at 0, where the child starts reading.
    if (input) {
      const buf = Buffer.from(input);
      let off = 0;
      while (off < buf.length) off += writeSync(fin, buf, off, buf.length - off, off);
    }
    const envp: string[] = [];
    for (const [k, v] of Object.entries(env)) if (v !== undefined) envp.push(`${k}=${v}`);
    const pid = f.start(path, [path, ...args], envp, fin, fout, ferr);
    if (pid < 0) return { status: 127, stdout: '', stderr: `spawn ${path}: errno ${-pid}` };
    const status = [0];
    for (;;) {
      if (f.waitpid(pid, status, 0) !== -1) break;
      if (f.errno() !== EINTR)
        return { status: 128, stdout: '', stderr: `waitpid ${path}: errno ${f.errno()}` };
    }
    const st = status[0] as number;
    const code = (st & 0x7f) === 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
    return { status: code, stdout: readAllFd(fout), stderr: readAllFd(ferr) };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
