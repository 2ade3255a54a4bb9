// The plugin packages of the workspace and the platforms each one is built for.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * Every packages/plugins/<type> with a `cni-<type>` bin and a src/index.ts, as
 * { type, name, version, dir, platforms }. `cniPlugin.platforms` in package.json
 * (default ["linux"]) says which release tarballs carry it.
 */
export function listPlugins() {
  const base = join(repoRoot, 'packages', 'plugins');
  const out = [];
  for (const d of readdirSync(base, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = join(base, d.name);
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    const type = d.name;
    if (!pkg.bin?.[`cni-${type}`]) continue;
    if (!existsSync(join(dir, 'src', 'main.ts'))) continue; // not implemented yet
    out.push({
      type,
      name: pkg.name,
      version: pkg.version,
      dir,
      platforms: pkg.cniPlugin?.platforms ?? ['linux'],
    });
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
}
