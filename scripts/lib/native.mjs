// Build cni_sys.node, the plugin bundle's own Node-API addon for the libc calls of @cni/ns and
// @cni/netlink (packages/ns/native/cni_sys.c). It only saves start-up time (koffi's load and
// declarations, ~3 ms of every plugin process that enters a namespace): without a C compiler
// the bundle goes without it and uses koffi, as it does on any platform it was not built for.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './plugins.mjs';

/**
 * The C compiler for a release platform (scripts/lib/platforms.mjs): its cross compiler
 * `<gnu>-gcc` when installed, `cc` when the platform is this machine's, else undefined.
 */
function compilerFor(platform) {
  if (platform.os !== 'linux' || !platform.gnu) return undefined;
  const cross = `${platform.gnu}-gcc`;
  if (spawnSync(cross, ['--version'], { stdio: 'ignore' }).status === 0) return cross;
  return process.platform === 'linux' && process.arch === platform.nodeArch
    ? process.env.CC || 'cc'
    : undefined;
}

export const SYS_NATIVE_SOURCE = join(repoRoot, 'packages', 'ns', 'native', 'cni_sys.c');

/**
 * Compile cni_sys.c into `<lib>/cni_sys.node` with `cc` (or $CC). Returns the file, or undefined
 * (with a warning) when there is no compiler or it fails.
 */
export function buildSysNative(lib, { cc = process.env.CC || 'cc', quiet = false } = {}) {
  const out = join(lib, 'cni_sys.node');
  rmSync(out, { force: true });
  // No debug info, no build id, no paths: the same source and compiler give the same bytes.
  const args = [
    '-O2',
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    '-Wall',
    '-Wextra',
    '-s',
    '-Wl,--build-id=none',
    '-o',
    out,
    SYS_NATIVE_SOURCE,
  ];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(out, { force: true });
    if (!quiet) {
      const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(0, 5).join('\n');
      console.warn(`cni_sys.node not built (${cc}: ${why}); the plugins use koffi for libc calls`);
    }
    return undefined;
  }
  return out;
}

/**
 * Build `<lib>/cni_sys.node` for a release platform with its compiler (compilerFor). True when
 * built; false when the platform has no compiler here (its plugins use koffi).
 */
export function buildSysNativeFor(platform, lib) {
  const cc = compilerFor(platform);
  return cc ? buildSysNative(lib, { cc }) !== undefined : false;
}

// `node scripts/lib/native.mjs <dir>`: build <dir>/cni_sys.node (tests build their own copy).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/lib/native.mjs <dir>');
    process.exit(2);
  }
  process.exit(buildSysNative(dir) ? 0 : 1);
}
