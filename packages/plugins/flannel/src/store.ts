// The saved delegate configs: `<dataDir>/<name>`, one per attachment, written before the
// delegate's ADD so DEL can replay exactly what ADD built (flannel.md §4 step 13, §5).
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { validateContainerID } from '@cni/skel';
import { errnoCode, fsErrorText } from './fs-errors.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** True for a name that can be a saved config's file name (skel's container ID rule). */
export const isScratchName = (name: string): boolean => NAME_RE.test(name);

/**
 * The file name of an attachment's saved config. Linux: the container ID. Windows: the part of
 * CNI_NETNS after its first `:` (unless CNI_NETNS is empty or `none`), else the container ID
 * (hns.GetSandboxContainerID). Either must be a safe file name (CNI error 4 otherwise).
 */
export function scratchName(containerID: string, netns: string, windows: boolean): string {
  let name = containerID;
  if (windows && netns !== '' && netns !== 'none') {
    const colon = netns.indexOf(':');
    if (colon !== -1) name = netns.slice(colon + 1);
  }
  validateContainerID(name);
  return name;
}

/** mkdir -p dataDir (0700), then write `dataDir/name` (0600): truncate, write, fsync. */
export function saveScratch(dataDir: string, name: string, bytes: Buffer): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new Error(fsErrorText('mkdir', dataDir, e));
  }
  const path = join(dataDir, name);
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (e) {
    throw new Error(fsErrorText('open', path, e));
  }
  try {
    fchmodSync(fd, 0o600);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    throw new Error(fsErrorText('write', path, e));
  } finally {
    closeSync(fd);
  }
}

/** The saved bytes, or undefined when the file does not exist. */
export function readScratch(dataDir: string, name: string): Buffer | undefined {
  const path = join(dataDir, name);
  try {
    return readFileSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw new Error(fsErrorText('open', path, e));
  }
}

/** Remove a saved config; errors are ignored (DEL must not fail on cleanup). */
export function removeScratch(dataDir: string, name: string): void {
  try {
    rmSync(join(dataDir, name), { force: true });
  } catch {
    // per spec DEL continues: a stale file is replayed (idempotently) by the next DEL
  }
}

/** The saved configs in dataDir (regular files with a container-ID-shaped name). */
export function listScratch(dataDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw new Error(fsErrorText('open', dataDir, e));
  }
  return names
    .filter((n) => {
      if (!isScratchName(n)) return false;
      try {
        return statSync(join(dataDir, n)).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}
