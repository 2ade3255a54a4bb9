// Fetch a package tarball from the npm registry with `npm pack` (which checks the registry's
// integrity hash) into a cache, and unpack it. Nothing is downloaded from anywhere else.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './plugins.mjs';

export const cacheDir = join(repoRoot, 'node_modules', '.cache', 'cni-ts-release');

/** Returns the directory the package was unpacked into (its `package/` folder). */
export function fetchPackage(spec) {
  const safe = spec.replace(/[@/]/g, '_');
  const dir = join(cacheDir, safe);
  const pkgDir = join(dir, 'package');
  if (existsSync(join(pkgDir, 'package.json'))) return pkgDir;
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${spec} produced no tarball`);
  execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir]);
  return pkgDir;
}
