#!/usr/bin/env node
// ADD latency of our host-local next to the Go reference, on the same directory contents:
// a /16 with 10 000 addresses already taken. Each sample is one ADD process (timed) followed
// by its DEL (not timed), so the directory is identical for every sample. Implementations
// alternate sample by sample; medians and the ratio come from this one run.
//
//   node packages/plugins/host-local/bench/add-latency.mjs [--samples 40] [--taken 10000]
//        [--ours <path to our plugin>] [--go /usr/lib/cni/host-local]
//
// Our plugin defaults to dist/cni/bin/host-local at the repo root when built, else this
// package's dist/bin/main.js (build it with `npx tsup` in packages/plugins/host-local).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
};
const samples = Number(arg('samples', '40'));
const taken = Number(arg('taken', '10000'));
const repoBin = resolve(here, '../../../../dist/cni/bin/host-local');
const pkgBin = resolve(here, '../dist/bin/main.js');
const ours = arg('ours', existsSync(repoBin) ? repoBin : pkgBin);
const goBin = arg('go', '/usr/lib/cni/host-local');
for (const [what, p] of [
  ['our plugin', ours],
  ['Go host-local', goBin],
]) {
  if (!existsSync(p)) {
    console.error(`${what} not found at ${p}`);
    process.exit(2);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'host-local-bench-'));
const network = 'bench';
const dir = join(dataDir, network);
mkdirSync(dir, { recursive: true, mode: 0o755 });
// 10.20.0.2 … upwards: taken by other containers (the gateway 10.20.0.1 is never a file).
let last = '';
for (let i = 0; i < taken; i++) {
  const n = i + 2;
  const ip = `10.20.${n >> 8}.${n & 255}`;
  writeFileSync(join(dir, ip), `filler${i}\r\neth0`, { mode: 0o600 });
  last = ip;
}
writeFileSync(join(dir, 'last_reserved_ip.0'), last, { mode: 0o600 });

// cniVersion 1.0.0: the newest version both Debian's Go plugin (1.1.1) and ours support.
const conf = JSON.stringify({
  cniVersion: '1.0.0',
  name: network,
  type: 'host-local',
  ipam: { type: 'host-local', subnet: '10.20.0.0/16', dataDir },
});
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  CNI_PATH: '/usr/lib/cni',
  CNI_NETNS: '/var/run/netns/bench',
  CNI_IFNAME: 'eth0',
};

function run(bin, command, id) {
  const cmd = bin.endsWith('.js') ? process.execPath : bin;
  const argv = bin.endsWith('.js') ? [bin] : [];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, {
    input: conf,
    env: { ...env, CNI_COMMAND: command, CNI_CONTAINERID: id },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${bin} ${command} ${id} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const times = { ours: [], go: [] };
try {
  // Warm the page cache and both binaries once.
  run(ours, 'ADD', 'warm-ours');
  run(ours, 'DEL', 'warm-ours');
  run(goBin, 'ADD', 'warm-go');
  run(goBin, 'DEL', 'warm-go');
  for (let i = 0; i < samples; i++) {
    for (const [key, bin] of i % 2
      ? [
          ['go', goBin],
          ['ours', ours],
        ]
      : [
          ['ours', ours],
          ['go', goBin],
        ]) {
      const id = `bench-${key}-${i}`;
      times[key].push(run(bin, 'ADD', id));
      run(bin, 'DEL', id);
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const mo = median(times.ours);
const mg = median(times.go);
console.log(
  `host-local ADD with ${taken} addresses taken in a /16, ${samples} samples each (median wall time per process)`,
);
console.log(`  ours: ${mo.toFixed(1)} ms   (${ours})`);
console.log(`  Go:   ${mg.toFixed(1)} ms   (${goBin})`);
console.log(`  ratio ours/Go: ${(mo / mg).toFixed(2)}`);
