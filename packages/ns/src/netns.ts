import {
  access,
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { NSPathNotExistError, NSPathNotNSError, SyscallError } from './errors.js';
import {
  CLONE_NEWNET,
  MNT_DETACH,
  MS_BIND,
  MS_REC,
  MS_SHARED,
  mount,
  setns,
  umount2,
  unshare,
} from './libc.js';

const NSFS_MAGIC = 0x6e736673;
const PROCFS_MAGIC = 0x9fa0;

// DESIGN §3 rule 5: libuv creates its thread pool on first use, and the pool threads keep
// the network namespace the main thread has at that moment. Start the pool now, while
// the main thread is still in the namespace the process started in. libuv creates all
// pool threads inside this call, before it returns.
access('/', () => {});

const SELF_NS_PATH = '/proc/thread-self/ns/net';
// The namespace this thread was in when the module loaded; held open for the process.
const originalFd = openSync(SELF_NS_PATH, 'r');
// What the main thread is in right now: a stack of entered namespaces.
const entered: number[] = [];

function fatal(msg: string): never {
  // We can no longer trust which namespace this thread is in: anything we did next could
  // act on the wrong one. Stop at once.
  process.stderr.write(`fatal: ${msg}\n`);
  process.stdout.write(`${JSON.stringify({ code: 999, msg: `fatal: ${msg}` }, null, 4)}\n`);
  // reallyExit skips exit handlers, which could run code in the wrong namespace.
  (process as unknown as { reallyExit(code: number): never }).reallyExit(70);
  throw new Error('unreachable');
}

/** Throws NSPathNotExistError / NSPathNotNSError like the reference's GetNS. */
export function validateNetNSPath(path: string): void {
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NSPathNotExistError(path);
    throw new Error(`failed to Statfs "${path}": ${(err as Error).message}`);
  }
  if (type !== NSFS_MAGIC && type !== PROCFS_MAGIC) throw new NSPathNotNSError(path, type);
}

/**
 * A handle on a network namespace. `run(fn)` switches the main thread into it for the
 * duration of a synchronous `fn`: sockets, sysctls and child processes made inside act
 * on this namespace; nothing asynchronous may happen while switched.
 */
export class NetNS {
  #fd: number;
  readonly path: string;
  #owned: boolean;

  private constructor(fd: number, path: string, owned: boolean) {
    this.#fd = fd;
    this.path = path;
    this.#owned = owned;
  }

  /** Open a namespace by path (`/run/netns/x`, `/proc/<pid>/ns/net`), validating it first. */
  static open(path: string): NetNS {
    validateNetNSPath(path);
    const fd = openSync(path, 'r');
    return new NetNS(fd, path, true);
  }

  /** The namespace the main thread is in now. */
  static current(): NetNS {
    const fd = openSync(SELF_NS_PATH, 'r');
    return new NetNS(fd, `/proc/${process.pid}/task/${process.pid}/ns/net`, true);
  }

  /** The namespace the process was in when @cni/ns loaded (the "host" side for a plugin). */
  static original(): NetNS {
    return new NetNS(originalFd, `/proc/${process.pid}/fd/${originalFd}`, false);
  }

  /**
   * A new anonymous namespace that lives as long as this handle is open (the reference's
   * TempNetNS, used by host-device to move a device through a private namespace).
   */
  static createTemp(): NetNS {
    const back = currentFd();
    unshare(CLONE_NEWNET);
    let fd: number;
    try {
      fd = openSync(SELF_NS_PATH, 'r');
    } finally {
      switchBack(back);
    }
    return new NetNS(fd, `/proc/${process.pid}/fd/${fd}`, true);
  }

  get fd(): number {
    if (this.#fd < 0) throw new Error(`netns ${this.path} is closed`);
    return this.#fd;
  }

  /** Run a synchronous function inside this namespace and switch back afterwards. */
  run<T>(fn: () => T): T {
    const back = currentFd();
    setns(this.fd, CLONE_NEWNET);
    entered.push(this.#fd);
    let result: T;
    try {
      result = fn();
    } finally {
      entered.pop();
      switchBack(back);
    }
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as { then?: unknown }).then === 'function'
    ) {
      throw new Error(
        'NetNS.run(fn): fn returned a promise; only synchronous code may run inside a namespace',
      );
    }
    return result;
  }

  /** Same namespace (device and inode of the nsfs file)? */
  sameAs(other: NetNS | string): boolean {
    const a = fstatSync(this.fd);
    const b = typeof other === 'string' ? statSync(other) : fstatSync(other.fd);
    return a.dev === b.dev && a.ino === b.ino;
  }

  close(): void {
    if (this.#owned && this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function currentFd(): number {
  return entered.length > 0 ? entered[entered.length - 1]! : originalFd;
}

function switchBack(fd: number): void {
  try {
    setns(fd, CLONE_NEWNET);
  } catch (err) {
    fatal(`failed to switch back to the original network namespace: ${(err as Error).message}`);
  }
}

/** Run `fn` inside the namespace at `path` (opened and closed around the call). */
export function withNetNSPath<T>(path: string, fn: (ns: NetNS) => T): T {
  const ns = NetNS.open(path);
  try {
    return ns.run(() => fn(ns));
  } finally {
    ns.close();
  }
}

/** Is `path` the namespace this process started in? (skel's "CNI_NETNS is our own" check) */
export function isOriginalNetNS(path: string): boolean {
  const a = fstatSync(originalFd);
  const b = statSync(path);
  return a.dev === b.dev && a.ino === b.ino;
}

const DEFAULT_NETNS_DIR = '/run/netns';

function ensureSharedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // As iproute2 does: make the directory a shared mount point so that namespace bind
  // mounts propagate to other mount namespaces (runtimes, `ip netns exec`).
  try {
    mount('', dir, 'none', MS_SHARED | MS_REC);
  } catch (err) {
    if (!(err instanceof SyscallError) || err.code !== 'EINVAL') throw err;
    mount(dir, dir, 'none', MS_BIND | MS_REC);
    mount('', dir, 'none', MS_SHARED | MS_REC);
  }
}

/**
 * Create a named, persistent namespace `<dir>/<name>` (what `ip netns add` does, without
 * running it): a new namespace made by unshare on this thread, bind-mounted onto the file.
 */
export function createNamedNetNS(name: string, dir = DEFAULT_NETNS_DIR): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.length > 200)
    throw new Error(`invalid netns name "${name}"`);
  ensureSharedDir(dir);
  const path = join(dir, name);
  writeFileSync(path, '', { flag: 'wx', mode: 0o444 });
  const back = currentFd();
  try {
    unshare(CLONE_NEWNET);
    try {
      mount(SELF_NS_PATH, path, 'none', MS_BIND);
    } finally {
      switchBack(back);
    }
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
  return path;
}

/** Remove a named namespace made by createNamedNetNS or `ip netns add`; missing is fine. */
export function removeNamedNetNS(pathOrName: string, dir = DEFAULT_NETNS_DIR): void {
  const path = pathOrName.includes('/') ? pathOrName : join(dir, pathOrName);
  try {
    umount2(path, MNT_DETACH);
  } catch (err) {
    if (!(err instanceof SyscallError) || (err.code !== 'EINVAL' && err.code !== 'ENOENT')) throw err;
  }
  rmSync(path, { force: true });
}
