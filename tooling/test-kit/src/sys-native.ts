// cni_sys.node for tests: built once per test process into a temporary directory with the build's
// own script (scripts/lib/native.mjs), so a test of @cni/ns or @cni/netlink runs the libc calls
// through the addon without a full build. A test sets `globalThis.__cniTsSysNative` to the path
// (the plugin entry passes the loaded exports there), resets the module registry and imports the
// package anew.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './plugin.js';

let built: string | undefined;

export function buildSysNative(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'cni-sys-native-'));
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'lib', 'native.mjs'), dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building cni_sys.node failed (a C compiler is needed): ${r.stderr}`);
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  built = join(dir, 'cni_sys.node');
  return built;
}
