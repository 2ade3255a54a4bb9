#!/usr/bin/env node
// Kept for old instructions: the demo is `cnitool demo` now (packages/cnitool). This runs the
// built cnitool (`pnpm build` first) with the same arguments.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const cnitool = join(repo, 'packages', 'cnitool', 'dist', 'bin', 'main.js');
if (!existsSync(cnitool)) {
  console.error(`${cnitool} is missing: run pnpm build first`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [cnitool, 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
