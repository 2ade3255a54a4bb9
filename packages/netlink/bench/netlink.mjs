#!/usr/bin/env node
// Benchmark (not a test): a netlink request round trip and a veth create/delete with
// @cni/netlink, next to running `ip` for the same, in one run. Needs root and a build
// (`pnpm --filter @cni/netlink build`, and @cni/ns built). Works in a throwaway namespace.
//   node packages/netlink/bench/netlink.mjs [iterations]
import { execFileSync } from 'node:child_process';
import { createNamedNetNS, NetNS, removeNamedNetNS } from '@cni/ns';
import { Netlink } from '../dist/index.js';

const N = Number(process.argv[2] ?? 200);
const name = `cnibench-nl-${process.pid}`;
const path = createNamedNetNS(name);
const ns = NetNS.open(path);

function time(label, n, fn, warmup = 1) {
  for (let w = 0; w < warmup; w++) fn(0); // let the JIT settle
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= n; i++) fn(i);
  const per = Number(process.hrtime.bigint() - t0) / n / 1e3;
  return { label, n, usPerOp: per };
}

const ip = (...args) => execFileSync('ip', ['-n', name, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
const rows = [];
try {
  const nl = Netlink.open(ns);
  try {
    rows.push(time('netlink: link get lo (round trip)', N * 50, () => nl.linkByIndex(1), 2000));
    rows.push(time('ip: link show lo', Math.min(N, 100), () => ip('link', 'show', 'lo')));
    rows.push(
      time('netlink: veth create', N, (i) => {
        nl.linkAdd({ kind: 'veth', name: `bv${i}`, peerName: `bp${i}` });
      }),
    );
    rows.push(time('netlink: veth delete', N, (i) => nl.linkDel(`bv${i}`)));
    const m = Math.min(N, 100);
    rows.push(
      time('ip: veth create', m, (i) =>
        ip('link', 'add', `iv${i}`, 'type', 'veth', 'peer', 'name', `ip${i}`),
      ),
    );
    rows.push(time('ip: veth delete', m, (i) => ip('link', 'del', `iv${i}`)));
  } finally {
    nl.close();
  }
} finally {
  ns.close();
  removeNamedNetNS(path);
}

const pad = Math.max(...rows.map((r) => r.label.length));
for (const r of rows)
  console.log(`${r.label.padEnd(pad)}  ${r.usPerOp.toFixed(1).padStart(10)} µs/op  (n=${r.n})`);
const by = Object.fromEntries(rows.map((r) => [r.label, r.usPerOp]));
console.log(
  `ratio round trip (ip / netlink): ${(by['ip: link show lo'] / by['netlink: link get lo (round trip)']).toFixed(0)}x`,
);
console.log(
  `ratio veth create (ip / netlink): ${(by['ip: veth create'] / by['netlink: veth create']).toFixed(1)}x`,
);
console.log(
  `ratio veth delete (ip / netlink): ${(by['ip: veth delete'] / by['netlink: veth delete']).toFixed(1)}x`,
);
