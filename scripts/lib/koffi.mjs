// Stage a minimal koffi runtime (its JS loader + the native module of one platform) into
// <dest>/node_modules/koffi, as the bundle loads it with require('koffi').
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from './plugins.mjs';

const require_ = createRequire(join(repoRoot, 'packages', 'ns', 'package.json'));

export function koffiDir() {
  // koffi's exports do not expose package.json: resolve its entry and walk up to the package root.
  let dir = dirname(require_.resolve('koffi'));
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'koffi'
  ) {
    dir = dirname(dir);
  }
  return dir;
}

/** The directory of @koromix/koffi-<pkg> (e.g. linux-x64), found next to koffi in the pnpm store. */
export function koffiPlatformPackageDir(pkg) {
  const store = join(repoRoot, 'node_modules', '.pnpm');
  const version = JSON.parse(readFileSync(join(koffiDir(), 'package.json'), 'utf8')).version;
  const dir = join(store, `@koromix+koffi-${pkg}@${version}`, 'node_modules', '@koromix', `koffi-${pkg}`);
  return existsSync(dir) ? dir : undefined;
}

/**
 * @param dest        directory that gets node_modules/koffi
 * @param pkg         koffi platform package suffix: linux-x64, linux-arm64, win32-x64, …
 * @param triplet     directory of the native module inside that package: linux_x64, win32_x64, …
 * @param nativeDir   where that package was unpacked (default: found in the pnpm store)
 */
export function stageKoffi(dest, pkg, triplet, nativeDir = koffiPlatformPackageDir(pkg)) {
  if (!nativeDir) throw new Error(`koffi native package @koromix/koffi-${pkg} not found`);
  const src = koffiDir();
  const out = join(dest, 'node_modules', 'koffi');
  const files = ['package.json', 'index.cjs', 'LICENSE.txt', 'src/koffi/index.cjs'];
  for (const f of readdirSync(join(src, 'src', 'koffi', 'src'))) {
    if (f.endsWith('.cjs')) files.push(`src/koffi/src/${f}`);
  }
  for (const f of files) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    copyFileSync(join(src, f), join(out, f));
  }
  // A trimmed package.json: CommonJS entry only, no install script, no optional deps.
  const pj = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  const trimmed = {
    name: pj.name,
    version: pj.version,
    license: pj.license,
    main: './index.cjs',
    exports: { '.': { require: './index.cjs', default: './index.cjs' } },
  };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(trimmed, null, 2)}\n`);
  const native = join(nativeDir, triplet, 'koffi.node');
  if (!existsSync(native) || !statSync(native).isFile()) throw new Error(`no ${native}`);
  mkdirSync(join(out, 'build', 'koffi', triplet), { recursive: true });
  copyFileSync(native, join(out, 'build', 'koffi', triplet, 'koffi.node'));
  return out;
}
