#!/usr/bin/env node
// ADD+DEL of the chain bridge+host-local → portmap → firewall, ours (dist/cni/bin) next to the Go
// plugins (Debian's containernetworking-plugins, installed if missing), measured in one run, in
// throwaway namespaces. Prints medians per plugin and for the whole chain, and the ratios.
//
// Two more rows bound what any change to our plugins' work can reach, measured in the same runs:
// - "six starts, no work": the same six processes answering VERSION (launcher, Node, bundle);
// - "ours, netfilter tools stubbed": our chain again with iptables-save/-restore replaced by
//   stubs that do nothing (built with cc into the bench's temp dir; their rules never reach the
//   kernel). It is what our chain would cost if netfilter were free, e.g. written in process.
//   pnpm build && node bench/chain.mjs [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 15);
const repo = new URL('..', import.meta.url).pathname;
const { NetNS, createNamedNetNS, removeNamedNetNS } = await import(join(repo, 'packages/ns/dist/index.js'));
if (!existsSync('/usr/lib/cni/bridge')) {
  execFileSync('apt-get', ['install', '-y', '-qq', 'containernetworking-plugins'], { stdio: 'inherit' });
}
const impls = { go: '/usr/lib/cni', ts: join(repo, 'dist', 'cni', 'bin') };
const work = mkdtempSync(join(tmpdir(), 'cni-bench-chain-'));
// stub netfilter tools: -save prints an empty table, -restore swallows its input
const stubDir = join(work, 'stub-tools');
let stubs = true;
try {
  mkdirSync(stubDir);
  const save = `#include <stdio.h>
#include <string.h>
int main(int c, char **v) {
  const char *t = "filter";
  for (int i = 1; i + 1 < c; i++) if (!strcmp(v[i], "-t")) t = v[i + 1];
  if (!strcmp(t, "nat"))
    fputs("*nat\\n:PREROUTING ACCEPT [0:0]\\n:INPUT ACCEPT [0:0]\\n:OUTPUT ACCEPT [0:0]\\n:POSTROUTING ACCEPT [0:0]\\nCOMMIT\\n", stdout);
  else
    fputs("*filter\\n:INPUT ACCEPT [0:0]\\n:FORWARD ACCEPT [0:0]\\n:OUTPUT ACCEPT [0:0]\\nCOMMIT\\n", stdout);
  return 0;
}
`;
  const restore =
    '#include <unistd.h>\nint main(void) { char b[65536]; while (read(0, b, sizeof b) > 0); return 0; }\n';
  for (const [name, src] of [
    ['save', save],
    ['restore', restore],
  ]) {
    writeFileSync(join(stubDir, `${name}.c`), src);
    for (const fam of ['iptables', 'ip6tables'])
      execFileSync('cc', ['-O2', '-o', join(stubDir, `${fam}-${name}`), join(stubDir, `${name}.c`)]);
  }
} catch (e) {
  stubs = false;
  console.error(`no stubbed row (cannot build the stub tools: ${e.message.split('\n')[0]})`);
}
const tag = Math.random().toString(16).slice(2, 8);
const hostPath = createNamedNetNS(`cnibench-h-${tag}`);
const contPath = createNamedNetNS(`cnibench-c-${tag}`);
const host = NetNS.open(hostPath);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function chain(impl) {
  const name = `bench${impl}`;
  return [
    {
      type: 'bridge',
      conf: {
        cniVersion: '1.0.0',
        name,
        type: 'bridge',
        bridge: `cnib${impl}0`,
        isGateway: true,
        ipMasq: true,
        ipam: {
          type: 'host-local',
          subnet: impl === 'go' ? '10.201.0.0/24' : '10.202.0.0/24',
          dataDir: join(work, impl),
        },
      },
    },
    {
      type: 'portmap',
      conf: {
        cniVersion: '1.0.0',
        name,
        type: 'portmap',
        runtimeConfig: {
          portMappings: [
            { hostPort: 18080, containerPort: 80, protocol: 'tcp' },
            { hostPort: 18081, containerPort: 81, protocol: 'udp' },
          ],
        },
      },
    },
    {
      type: 'firewall',
      // our firewall records attachments for GC; keep them in the bench's work dir
      conf: { cniVersion: '1.0.0', name, type: 'firewall', dataDir: join(work, `${impl}-firewall`) },
    },
  ];
}

function exec(dir, type, command, conf, cid, path = process.env.PATH) {
  const t0 = process.hrtime.bigint();
  const r = host.run(() =>
    spawnSync(join(dir, type), [], {
      input: JSON.stringify(conf),
      encoding: 'utf8',
      env: {
        PATH: path,
        CNI_COMMAND: command,
        CNI_CONTAINERID: cid,
        CNI_NETNS: contPath,
        CNI_IFNAME: 'eth0',
        CNI_PATH: dir,
      },
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${dir}/${type} ${command}: ${r.stdout}${r.stderr}`);
  return { ms, out: r.stdout ? JSON.parse(r.stdout) : undefined };
}

const times = { go: {}, ts: {}, stub: {} };
const starts = { go: [], ts: [] };
try {
  for (let i = 0; i < runs; i++) {
    const variants = ['go', 'ts', ...(stubs ? ['stub'] : [])].sort(() => Math.random() - 0.5);
    for (const impl of variants) {
      const dir = impls[impl === 'go' ? 'go' : 'ts'];
      const path = impl === 'stub' ? `${stubDir}:${process.env.PATH}` : process.env.PATH;
      const plugins = chain(impl === 'go' ? 'go' : 'ts');
      const cid = `bench-${impl}-${i}`;
      const t = (times[impl][i] = {});
      let prev;
      for (const p of plugins) {
        const r = exec(dir, p.type, 'ADD', prev ? { ...p.conf, prevResult: prev } : p.conf, cid, path);
        t[`${p.type} ADD`] = r.ms;
        prev = r.out;
      }
      for (const p of [...plugins].reverse()) {
        t[`${p.type} DEL`] = exec(dir, p.type, 'DEL', { ...p.conf, prevResult: prev }, cid, path).ms;
      }
      if (impl !== 'stub') {
        // the same six processes, answering VERSION: what the chain costs before any work
        let ms = 0;
        for (const p of [...plugins, ...plugins]) ms += exec(dir, p.type, 'VERSION', p.conf, cid).ms;
        starts[impl].push(ms);
      }
    }
  }
  const keys = Object.keys(times.ts[0]);
  const med = (impl, k) => median(Object.values(times[impl]).map((t) => t[k]));
  const total = (impl, ks) => median(Object.values(times[impl]).map((t) => ks.reduce((s, k) => s + t[k], 0)));
  console.log(`chain ADD+DEL, median of ${runs} runs (ms)        Go      ours   ratio`);
  for (const k of keys) {
    console.log(
      `  ${k.padEnd(38)} ${med('go', k).toFixed(1).padStart(7)} ${med('ts', k).toFixed(1).padStart(8)} ${(med('ts', k) / med('go', k)).toFixed(2).padStart(6)}×`,
    );
  }
  const nf = keys.filter((k) => k.startsWith('portmap') || k.startsWith('firewall'));
  const nfGo = total('go', nf);
  const nfTs = total('ts', nf);
  console.log(
    `  ${'portmap + firewall (netfilter plugins)'.padEnd(38)} ${nfGo.toFixed(1).padStart(7)} ${nfTs.toFixed(1).padStart(8)} ${(nfTs / nfGo).toFixed(2).padStart(6)}×`,
  );
  const all = total('go', keys);
  const allTs = total('ts', keys);
  const row = (label, go, ts) =>
    console.log(
      `  ${label.padEnd(38)} ${go.toFixed(1).padStart(7)} ${ts.toFixed(1).padStart(8)} ${(ts / all).toFixed(2).padStart(6)}×`,
    );
  console.log(
    `  ${'whole chain'.padEnd(38)} ${all.toFixed(1).padStart(7)} ${allTs.toFixed(1).padStart(8)} ${(allTs / all).toFixed(2).padStart(6)}×`,
  );
  console.log('bounds, as a ratio to the Go chain above');
  row('six starts, no work (VERSION)', median(starts.go), median(starts.ts));
  if (stubs) row('ours, netfilter tools stubbed', all, total('stub', keys));
} finally {
  host.close();
  removeNamedNetNS(contPath);
  removeNamedNetNS(hostPath);
  rmSync(work, { recursive: true, force: true });
}
