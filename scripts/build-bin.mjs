#!/usr/bin/env node
// pnpm build's last step: a CNI_PATH-ready directory at dist/cni/bin (DESIGN §10), one
// launcher per plugin type over one bundle per type with V8's code cache, with koffi for this machine
// and cni_sys.node (the libc calls, built here with cc).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle, writeCodeCache, writeLaunchers } from './lib/bundle.mjs';
import { stageKoffi } from './lib/koffi.mjs';
import { buildSysNative } from './lib/native.mjs';
import { listPlugins, repoRoot } from './lib/plugins.mjs';

const out = join(repoRoot, 'dist', 'cni', 'bin');
const plugins = listPlugins().filter((p) => p.platforms.includes('linux'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const t0 = performance.now();
const lib = await buildBundle({ out, plugins });
const arch = { x64: 'x64', arm64: 'arm64', arm: 'arm', ia32: 'ia32', riscv64: 'riscv64', loong64: 'loong64' }[
  process.arch
];
stageKoffi(lib, `linux-${arch}`, `linux_${arch}`);
// The libc calls without koffi's start-up cost (koffi stays the fallback).
buildSysNative(lib);
writeLaunchers(out, plugins);
// V8's code cache for this machine's Node (the launchers run `node` from PATH: the same one).
await writeCodeCache(
  lib,
  plugins.map((p) => p.type),
);
console.log(
  `dist/cni/bin: ${plugins.length} plugins (${plugins.map((p) => p.type).join(' ')}) in ${Math.round(performance.now() - t0)} ms`,
);
