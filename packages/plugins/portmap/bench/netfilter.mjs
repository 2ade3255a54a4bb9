#!/usr/bin/env node
// Benchmark (not a test): time of our netfilter work for one portmap ADD+DEL (in process, both
// backends) against the Go reference plugin doing the same ADD+DEL (/usr/lib/cni/portmap, whose
// time includes its ~10 ms process start), measured in the same run, in throwaway namespaces.
// Run as root from the repo: node packages/plugins/portmap/bench/netfilter.mjs [iterations]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..', '..');
const N = Number(process.argv[2] ?? 30);
const GO = '/usr/lib/cni/portmap';

// Our sources, bundled for plain Node.
const out = join(mkdtempSync(join(tmpdir(), 'pm-bench-')), 'pm.mjs');
buildSync({
  stdin: {
    contents: `export * from '@cni/plugin-portmap'; export { NetNS, createNamedNetNS, removeNamedNetNS } from '@cni/ns';`,
    resolveDir: here,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: out,
  external: ['koffi'],
  logLevel: 'silent',
  alias: {
    '@cni/ns': join(repo, 'packages/ns/src/index.ts'),
    '@cni/iptables': join(repo, 'packages/iptables/src/index.ts'),
    '@cni/plugin-portmap': join(repo, 'packages/plugins/portmap/src/index.ts'),
  },
  banner: {
    js: `import { createRequire as __cr } from 'node:module'; globalThis.__cniTsRequire = __cr(${JSON.stringify(join(repo, 'packages/ns/package.json'))});`,
  },
});
const pm = await import(pathToFileURL(out).href);

const name = `pmbench-${process.pid}`;
const path = pm.createNamedNetNS(name);
const hostNS = pm.NetNS.open(path);

function conf(backend) {
  return {
    cniVersion: '0.4.0',
    name: 'bench',
    type: 'portmap',
    ...(backend ? { backend } : {}),
    runtimeConfig: {
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 8443, containerPort: 443, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp' },
      ],
    },
    prevResult: {
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [
        { version: '4', address: '10.99.0.2/24', interface: 0 },
        { version: '6', address: 'fd99::2/64', interface: 0 },
      ],
    },
  };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function timeOurs(backend) {
  const stdinData = JSON.stringify(conf(backend));
  const ms = [];
  for (let i = 0; i < N + 2; i++) {
    const args = { containerID: `c${i}`, netns: '/run/netns/x', ifName: 'eth0', stdinData };
    const t0 = process.hrtime.bigint();
    pm.cmdAdd(args, { hostNS });
    pm.cmdDel(args, { hostNS });
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 2) ms.push(t); // warm-up
  }
  return median(ms);
}

function timeGo() {
  const input = JSON.stringify(conf(undefined));
  const ms = [];
  for (let i = 0; i < N + 2; i++) {
    const t0 = process.hrtime.bigint();
    for (const cmd of ['ADD', 'DEL']) {
      hostNS.run(() =>
        execFileSync(GO, {
          input,
          env: {
            PATH: process.env.PATH,
            CNI_COMMAND: cmd,
            CNI_CONTAINERID: `g${i}`,
            CNI_NETNS: path,
            CNI_IFNAME: 'eth0',
            CNI_PATH: '/usr/lib/cni',
          },
        }),
      );
    }
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 2) ms.push(t);
  }
  return median(ms);
}

try {
  const go = timeGo();
  const ipt = timeOurs('iptables');
  const nft = timeOurs('nftables');
  const f = (x) => x.toFixed(2).padStart(8);
  console.log(`portmap ADD+DEL, 3 mappings, IPv4+IPv6, median of ${N}`);
  console.log(`  Go reference (exec, iptables)      ${f(go)} ms`);
  console.log(`  ours, iptables (restore batches)   ${f(ipt)} ms   ratio ours/Go = ${(ipt / go).toFixed(2)}`);
  console.log(`  ours, nftables (libnftables)       ${f(nft)} ms   ratio ours/Go = ${(nft / go).toFixed(2)}`);
} finally {
  hostNS.close();
  pm.removeNamedNetNS(path);
}
