#!/usr/bin/env node
// Start-up of a plugin answering VERSION: the slim launcher (Node on the host), the standalone
// single executable, the Go reference (Debian's containernetworking-plugins, installed if missing)
// and a bare `node -e 0`, measured in one run. Prints medians, peak RSS and ratios.
//   node bench/startup.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 30);
const repo = new URL('..', import.meta.url).pathname;
if (!existsSync('/usr/lib/cni/host-local')) {
  execFileSync('apt-get', ['install', '-y', '-qq', 'containernetworking-plugins'], { stdio: 'inherit' });
}
const work = mkdtempSync(join(tmpdir(), 'cni-bench-'));
try {
  execFileSync(
    'node',
    [join(repo, 'scripts', 'release.mjs'), '0.0.0-bench', '--out', work, '--only', 'linux-amd64'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  for (const v of ['slim', 'standalone']) {
    execFileSync('mkdir', ['-p', join(work, v)]);
    const t = join(
      work,
      `cni-plugins-linux-amd64-v0.0.0-bench${v === 'standalone' ? '-standalone' : ''}.tgz`,
    );
    execFileSync('tar', ['-xzf', t, '-C', join(work, v)]);
  }
  const env = { PATH: process.env.PATH, CNI_COMMAND: 'VERSION' }; // no NODE_EXTRA_CA_CERTS, as a runtime
  const cases = {
    'go host-local': ['/usr/lib/cni/host-local'],
    'node -e 0': [process.execPath, '-e', '0'],
    'slim host-local': [join(work, 'slim', 'host-local')],
    'standalone host-local': [join(work, 'standalone', 'host-local')],
  };
  const results = {};
  for (const [name, [cmd, ...args]] of Object.entries(cases)) {
    const times = [];
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
        input: '{"cniVersion":"1.0.0"}',
        env,
        encoding: 'utf8',
      });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
      rss = Math.max(rss, Number(r.stderr.trim().split('\n').pop()));
    }
    times.sort((a, b) => a - b);
    results[name] = { median: times[Math.floor(times.length / 2)], rss: rss / 1024 };
  }
  const go = results['go host-local'].median;
  console.log(`VERSION start-up, median of ${runs} runs (peak RSS):`);
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(22)} ${r.median.toFixed(1).padStart(6)} ms  ${r.rss.toFixed(1).padStart(6)} MB  ${(r.median / go).toFixed(2)}× Go`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
