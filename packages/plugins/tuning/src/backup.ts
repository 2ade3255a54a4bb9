// The backup of a link's original attributes, in the reference's file and format:
// `<dataDir>/<containerID>_<ifname>.json`, Go's json.MarshalIndent(v, "", " ") of
// {mac?, promisc?, mtu?, allmulti?, txQLen?} (only the attributes the config changes).
// Next to it, `<containerID>_<ifname>.network` holds the network name: GC uses it to know
// which backups belong to the network it is collecting for (the data directory is shared).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getKey } from '@cni/skel';

export interface Backup {
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
}

export const backupName = (containerID: string, ifName: string): string => `${containerID}_${ifName}`;
export const backupFile = (dataDir: string, containerID: string, ifName: string): string =>
  join(dataDir, `${backupName(containerID, ifName)}.json`);
export const networkFile = (dataDir: string, containerID: string, ifName: string): string =>
  join(dataDir, `${backupName(containerID, ifName)}.network`);

/** The file's text, byte for byte what the Go reference writes (no trailing newline). */
export function formatBackup(b: Backup): string {
  // Go's struct order and omitempty rules: mac "" and mtu 0 are left out, pointers when nil.
  const o: Record<string, unknown> = {};
  if (b.mac) o.mac = b.mac;
  if (b.promisc !== undefined) o.promisc = b.promisc;
  if (b.mtu) o.mtu = b.mtu;
  if (b.allmulti !== undefined) o.allmulti = b.allmulti;
  if (b.txQLen !== undefined) o.txQLen = b.txQLen;
  return JSON.stringify(o, null, 1);
}

/** Parse a backup (keys case-insensitive like Go); undefined when it is not a valid backup. */
export function parseBackup(text: string): Backup | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const out: Backup = {};
  const mac = getKey(o, 'mac');
  const promisc = getKey(o, 'promisc');
  const mtu = getKey(o, 'mtu');
  const allmulti = getKey(o, 'allmulti');
  const txQLen = getKey(o, 'txQLen');
  const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  if (mac !== undefined && mac !== null) {
    if (typeof mac !== 'string') return undefined;
    if (mac) out.mac = mac;
  }
  if (promisc !== undefined && promisc !== null) {
    if (typeof promisc !== 'boolean') return undefined;
    out.promisc = promisc;
  }
  if (mtu !== undefined && mtu !== null) {
    if (!isInt(mtu)) return undefined;
    if (mtu) out.mtu = mtu as number;
  }
  if (allmulti !== undefined && allmulti !== null) {
    if (typeof allmulti !== 'boolean') return undefined;
    out.allmulti = allmulti;
  }
  if (txQLen !== undefined && txQLen !== null) {
    if (!isInt(txQLen)) return undefined;
    out.txQLen = txQLen as number;
  }
  return out;
}

/** Write the backup (atomically: a temporary file renamed into place) and the network marker. */
export function writeBackup(
  dataDir: string,
  containerID: string,
  ifName: string,
  network: string,
  b: Backup,
): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = backupFile(dataDir, containerID, ifName);
  const tmp = join(dataDir, `.${backupName(containerID, ifName)}.tmp-${process.pid}`);
  writeFileSync(networkFile(dataDir, containerID, ifName), network, { mode: 0o600 });
  writeFileSync(tmp, formatBackup(b), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The backup's text; undefined when there is none. */
export function readBackupText(dataDir: string, containerID: string, ifName: string): string | undefined {
  try {
    return readFileSync(backupFile(dataDir, containerID, ifName), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Remove the backup and its network marker (missing files are fine). */
export function removeBackup(dataDir: string, containerID: string, ifName: string): void {
  for (const f of [backupFile(dataDir, containerID, ifName), networkFile(dataDir, containerID, ifName)]) {
    try {
      rmSync(f, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    }
  }
}

/**
 * GC: remove the backups this network made (per their marker) whose attachment is not in
 * `valid` (`<containerID>_<ifname>` names). Backups without a marker (written by the Go
 * reference, or by another network) are never touched. Returns the names removed.
 */
export function gcBackups(dataDir: string, network: string, valid: Set<string>): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const f of entries) {
    if (!f.endsWith('.network') || f.startsWith('.')) continue;
    const name = f.slice(0, -'.network'.length);
    if (valid.has(name)) continue;
    let owner: string;
    try {
      owner = readFileSync(join(dataDir, f), 'utf8');
    } catch {
      continue; // removed meanwhile
    }
    if (owner !== network) continue;
    rmSync(join(dataDir, `${name}.json`), { force: true });
    rmSync(join(dataDir, f), { force: true });
    removed.push(name);
  }
  return removed;
}
