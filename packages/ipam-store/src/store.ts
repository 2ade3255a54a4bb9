// The host-local disk store, file for file the Go reference's `backend/disk`:
//   <dataDir>/<network>/            0755
//   <dataDir>/<network>/lock        flock(LOCK_EX) around every operation (go-filemutex)
//   <dataDir>/<network>/<ip>        0600, created exclusively, "<containerID>\r\n<ifname>"
//   <dataDir>/<network>/last_reserved_ip.<rangeSetIndex>   the last address handed out
// Both implementations take the same lock, so they can share one directory.
import {
  closeSync,
  constants,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatIP, type IP, parseIP } from '@cni/ip';
import { flock, LOCK_EX, LOCK_UN } from '@cni/ns';

export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';
export const LAST_IP_FILE_PREFIX = 'last_reserved_ip.';
export const LOCK_FILE = 'lock';
export const LINE_BREAK = '\r\n';
/** Our own temporary files (content written before the exclusive link into place). */
const TMP_PREFIX = '.cni-ts-tmp.';
const RECORD_BUF = Buffer.allocUnsafe(4096);

/** A name that cannot be used as (part of) a path in the store. */
export class StoreNameError extends Error {
  constructor(
    readonly key: string,
    readonly value: string,
    why: string,
  ) {
    super(`invalid ${key} ${JSON.stringify(value)}: ${why}`);
    this.name = 'StoreNameError';
  }
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Reject a network name that would escape the data directory or is not a file name. */
export function validateNetworkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new StoreNameError('network name', String(name), 'must not be empty');
  if (name === '.' || name === '..')
    throw new StoreNameError('network name', name, 'would escape the data directory');
  if (name.includes('/') || name.includes('\\'))
    throw new StoreNameError('network name', name, 'must not contain a path separator');
  if (CONTROL.test(name))
    throw new StoreNameError('network name', name, 'must not contain control characters');
  if (Buffer.byteLength(name) > 255)
    throw new StoreNameError('network name', name, 'is longer than 255 bytes');
}

/** Reject a container ID or interface name that could forge or escape a store record. */
export function validateOwner(id: string, ifname: string): void {
  if (typeof id !== 'string' || id.trim().length === 0)
    throw new StoreNameError('container ID', String(id), 'must not be empty');
  if (CONTROL.test(id) || id.includes('/'))
    throw new StoreNameError('container ID', id, 'must not contain "/" or control characters');
  if (typeof ifname !== 'string')
    throw new StoreNameError('interface name', String(ifname), 'must be a string');
  if (ifname === '.' || ifname === '..' || ifname.includes('/') || CONTROL.test(ifname)) {
    throw new StoreNameError(
      'interface name',
      ifname,
      'must not be "." or "..", nor contain "/" or control characters',
    );
  }
}

/** One file in the network directory that names an address. */
export interface Reservation {
  /** File name as found on disk. */
  readonly name: string;
  readonly ip: IP;
  /** Trimmed content; "" for an empty or unreadable file. `parseRecord` splits it. */
  readonly content: string;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Split record content into owner fields, as the reference writes it. */
export function parseRecord(content: string): { id: string; ifname: string } {
  const trimmed = content.trim();
  const nl = trimmed.indexOf('\n');
  if (nl < 0) return { id: trimmed, ifname: '' };
  return { id: trimmed.slice(0, nl).trim(), ifname: trimmed.slice(nl + 1).trim() };
}

export class DiskStore {
  readonly dir: string;
  private lockFd: number | undefined;
  private locked = false;

  private constructor(dir: string, lockFd: number) {
    this.dir = dir;
    this.lockFd = lockFd;
  }

  /** Open (creating it if needed) the store of one network. */
  static open(network: string, dataDir: string = DEFAULT_DATA_DIR): DiskStore {
    validateNetworkName(network);
    const dir = join(dataDir || DEFAULT_DATA_DIR, network);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    // go-filemutex: open(O_CREAT|O_RDONLY, 0750) and flock on that descriptor.
    const fd = openSync(join(dir, LOCK_FILE), constants.O_CREAT | constants.O_RDONLY, 0o750);
    return new DiskStore(dir, fd);
  }

  lock(): void {
    if (this.lockFd === undefined) throw new Error('store is closed');
    flock(this.lockFd, LOCK_EX);
    this.locked = true;
  }

  unlock(): void {
    if (this.lockFd === undefined || !this.locked) return;
    flock(this.lockFd, LOCK_UN);
    this.locked = false;
  }

  close(): void {
    if (this.lockFd === undefined) return;
    this.unlock();
    closeSync(this.lockFd);
    this.lockFd = undefined;
  }

  /** Run `fn` holding the exclusive lock. */
  withLock<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  /**
   * Reserve an address for a container. False when a file of that name already exists (of
   * any kind, whatever its content). The record appears atomically with its content: it is
   * written to a temporary file and hard-linked into place (link fails if the name exists),
   * so a process killed mid-way never leaves an empty record behind.
   */
  reserve(id: string, ifname: string, ip: IP, rangeID: string | number): boolean {
    validateOwner(id, ifname);
    const name = formatIP(ip);
    const target = join(this.dir, name);
    const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}.${name}`);
    writeFileSync(tmp, `${id.trim()}${LINE_BREAK}${ifname}`, { mode: 0o600, flag: 'w' });
    let reserved: boolean;
    try {
      linkSync(tmp, target);
      reserved = true;
    } catch (err) {
      if (isErrno(err, 'EEXIST')) reserved = false;
      else if (isErrno(err, 'EPERM') || isErrno(err, 'ENOTSUP') || isErrno(err, 'EOPNOTSUPP')) {
        // No hard links on this filesystem: exclusive create, as the reference does.
        reserved = this.reserveExclusive(target, `${id.trim()}${LINE_BREAK}${ifname}`);
      } else throw err;
    } finally {
      unlinkSync(tmp);
    }
    if (!reserved) return false;
    try {
      this.writeLastReserved(rangeID, name);
    } catch (err) {
      // The cursor only steers round robin (the reference tolerates a missing one): a
      // foreign or broken last_reserved_ip file must not fail the allocation.
      process.stderr.write(
        `host-local: cannot record ${LAST_IP_FILE_PREFIX}${rangeID}: ${(err as Error).message}\n`,
      );
      try {
        unlinkSync(join(this.dir, `${TMP_PREFIX}${process.pid}.${LAST_IP_FILE_PREFIX}${rangeID}`));
      } catch {
        // not created
      }
    }
    return true;
  }

  private reserveExclusive(target: string, content: string): boolean {
    let fd: number;
    try {
      fd = openSync(target, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    }
    try {
      writeSync(fd, content);
      closeSync(fd);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {}
      unlinkSync(target);
      throw err;
    }
    return true;
  }

  private writeLastReserved(rangeID: string | number, ipText: string): void {
    const file = join(this.dir, `${LAST_IP_FILE_PREFIX}${rangeID}`);
    const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}.${LAST_IP_FILE_PREFIX}${rangeID}`);
    writeFileSync(tmp, ipText, { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** The last address reserved in a range set, or undefined (missing or unreadable file). */
  lastReservedIP(rangeID: string | number): IP | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, `${LAST_IP_FILE_PREFIX}${rangeID}`), 'utf8');
    } catch {
      return undefined;
    }
    return parseIP(text.trim());
  }

  /**
   * Names of the entries in the directory (files, and anything else a user put there).
   * Under the lock, our temporary files can only be left by a process that died holding
   * it: they are removed here.
   */
  private names(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    if (!this.locked) return names;
    return names.filter((name) => {
      if (!name.startsWith(TMP_PREFIX)) return true;
      try {
        unlinkSync(join(this.dir, name));
      } catch {
        // already gone
      }
      return false;
    });
  }

  /**
   * Every entry named by an address, with its owner. The lock file, last_reserved_ip.* and
   * foreign names are skipped; a directory or unreadable file named by an address is listed
   * with empty content (it still blocks that address).
   */
  reservations(filter?: (ip: IP) => boolean): Reservation[] {
    const out: Reservation[] = [];
    for (const name of this.names()) {
      if (name === LOCK_FILE || name.startsWith(LAST_IP_FILE_PREFIX) || name.startsWith(TMP_PREFIX)) continue;
      const ip = parseIP(name);
      if (!ip) continue;
      if (filter && !filter(ip)) continue;
      out.push({ name, ip, content: this.readRecord(name) });
    }
    return out;
  }

  /**
   * Trimmed content of one record; "" when it cannot be read (EISDIR, EACCES, vanished): no
   * owner, but the name still marks the address taken. One open/read/close into a shared
   * buffer, as records are small; a larger file is read whole.
   */
  private readRecord(name: string): string {
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return '';
    }
    try {
      const n = readSync(fd, RECORD_BUF, 0, RECORD_BUF.length, 0);
      if (n < RECORD_BUF.length) return RECORD_BUF.toString('utf8', 0, n).trim();
      return readFileSync(fd, 'utf8').trim();
    } catch {
      return '';
    } finally {
      closeSync(fd);
    }
  }

  /** Names of entries that denote an address (taken, whatever their content). */
  takenNames(): Set<string> {
    const out = new Set<string>();
    for (const name of this.names()) {
      if (name === LOCK_FILE || name.startsWith(LAST_IP_FILE_PREFIX) || name.startsWith(TMP_PREFIX)) continue;
      const ip = parseIP(name);
      // Index by canonical text: a non-canonical name (2001:DB8::5) still blocks that address.
      if (ip) out.add(formatIP(ip));
    }
    return out;
  }

  /** Addresses held by a container: `id\r\nifname` records, and legacy `id`-only ones. */
  getByID(id: string, ifname: string, filter?: (ip: IP) => boolean): IP[] {
    const match = `${id.trim()}${LINE_BREAK}${ifname}`;
    const legacy = id.trim();
    return this.reservations(filter)
      .filter((r) => r.content === match || r.content === legacy)
      .map((r) => r.ip);
  }

  /** True when the container holds at least one address (ifname match, else legacy id-only). */
  findByID(id: string, ifname: string): boolean {
    return this.getByID(id, ifname).length > 0;
  }

  /** Remove one record; a vanished file is not an error. Returns true when removed. */
  releaseName(name: string): boolean {
    try {
      unlinkSync(join(this.dir, name));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'EISDIR') || isErrno(err, 'EPERM')) return false;
      throw err;
    }
  }

  /**
   * Release what a container holds: every `id\r\nifname` record; only when there is none,
   * the legacy records holding just `id` (as the reference does). Returns the addresses.
   */
  releaseByID(id: string, ifname: string): IP[] {
    const match = `${id.trim()}${LINE_BREAK}${ifname}`;
    const legacy = id.trim();
    const all = this.reservations();
    let hits = all.filter((r) => r.content === match);
    if (hits.length === 0) hits = all.filter((r) => r.content === legacy);
    const released: IP[] = [];
    for (const r of hits) if (this.releaseName(r.name)) released.push(r.ip);
    return released;
  }

  /**
   * Release a container's records in one pass over the directory: its `id\r\nifname`
   * records, and its legacy `id`-only records when `legacy` is "always", or when it is
   * "fallback" and no `id\r\nifname` record exists. (The reference releases once per range
   * set, so with two or more sets legacy records always go: "always" gives that result in
   * one pass.)
   */
  releaseOwner(id: string, ifname: string, legacy: 'always' | 'fallback'): IP[] {
    const match = `${id.trim()}${LINE_BREAK}${ifname}`;
    const old = id.trim();
    const all = this.reservations();
    const hits = all.filter((r) => r.content === match);
    if (legacy === 'always' || hits.length === 0) hits.push(...all.filter((r) => r.content === old));
    const released: IP[] = [];
    for (const r of hits) if (this.releaseName(r.name)) released.push(r.ip);
    return released;
  }

  /**
   * Garbage collection (CNI 1.1 GC): release every record whose owner is not a valid
   * attachment. Records are `id\r\nifname` (kept when that pair is valid) or legacy `id`
   * only (kept when any attachment has that container ID). A record naming nobody (empty,
   * as left by a crashed writer of the reference) is released too. Keeps going when a record
   * cannot be removed; those are returned in `failed` with the reason.
   */
  releaseUnlisted(valid: ReadonlyArray<{ containerID: string; ifname: string }>): {
    released: Reservation[];
    failed: { name: string; error: string }[];
  } {
    const pairs = new Set<string>();
    const ids = new Set<string>();
    for (const a of valid) {
      pairs.add(`${a.containerID.trim()}${LINE_BREAK}${a.ifname}`);
      ids.add(a.containerID.trim());
    }
    const released: Reservation[] = [];
    const failed: { name: string; error: string }[] = [];
    for (const r of this.reservations()) {
      const { id, ifname } = parseRecord(r.content);
      const keep = r.content.includes('\n') ? pairs.has(`${id}${LINE_BREAK}${ifname}`) : ids.has(r.content);
      if (keep) continue;
      try {
        if (this.releaseName(r.name)) released.push(r);
      } catch (err) {
        failed.push({ name: r.name, error: (err as Error).message });
      }
    }
    return { released, failed };
  }

  /** True when the directory exists, is a directory and we can create files in it. */
  probeWritable(): void {
    const st = statSync(this.dir);
    if (!st.isDirectory()) throw new Error(`${this.dir} is not a directory`);
    const probe = join(this.dir, `${TMP_PREFIX}${process.pid}.probe`);
    const fd = openSync(probe, 'w', 0o600);
    try {
      writeSync(fd, '');
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  }
}
