// Running netfilter tools inside a namespace: the child inherits the netns of the thread
// that starts it, so the spawn happens inside NetNS.run.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { type NetNS, spawnSyncLibc } from '@cni/ns';

// Programs are started with posix_spawn (@cni/ns spawnSyncLibc): no node:child_process to load,
// no fork of the whole Node process. child_process only where that is not available.
const childProcess = () => process.getBuiltinModule('node:child_process');

const FALLBACK_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = new Map<string, string | null>();
let searchDirs: readonly string[] | null = null;

/** Search only these directories for binaries (null: PATH, then the usual sbin directories). */
export function setBinaryDirs(dirs: readonly string[] | null): void {
  searchDirs = dirs;
  found.clear();
}

/** The absolute path of a binary in PATH (then the usual sbin directories), or null. */
export function findBinary(name: string): string | null {
  const cached = found.get(name);
  if (cached !== undefined) return cached;
  const dirs = searchDirs ?? [...(process.env.PATH ?? '').split(':').filter(Boolean), ...FALLBACK_PATH];
  let hit: string | null = null;
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      hit = p;
      break;
    } catch {
      // not here
    }
  }
  found.set(name, hit);
  return hit;
}

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run `bin args` (stdin = input) inside `ns` (or where the thread is now). */
export function execIn(ns: NetNS | undefined, bin: string, args: string[], input?: string): ExecResult {
  const go = (): ExecResult => {
    const env = { ...process.env, LC_ALL: 'C' };
    const fast = spawnSyncLibc(bin, args, env, input ?? '');
    if (fast) return fast;
    const r = childProcess().spawnSync(bin, args, {
      input: input ?? '',
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env,
    });
    if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
    return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  return ns ? ns.run(go) : go();
}
