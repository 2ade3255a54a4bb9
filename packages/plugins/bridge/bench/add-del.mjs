#!/usr/bin/env node
// bridge + host-local ADD and DEL, ours (dist/cni/bin, host-local in process) next to the Go
// plugins (/usr/lib/cni, host-local exec'd), measured in one run, alternating, in throwaway
// namespaces. Also `node -e 0`, to show what each of our processes costs above a bare Node.
//   pnpm build && node packages/plugins/bridge/bench/add-del.mjs [runs]   (root)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 20);
const repo = new URL('../../../..', import.meta.url).pathname;
const OURS = join(repo, 'dist', 'cni', 'bin');
const GO = '/usr/lib/cni';
const tag = `cnibench-${process.pid}`;

// Re-run inside a fresh "host" namespace, so the plugins never touch this machine's own.
if (!process.env.CNI_BENCH_INSIDE) {
  const host = `${tag}-host`;
  execFileSync('ip', ['netns', 'add', host]);
  try {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', host, process.execPath, new URL(import.meta.url).pathname, String(runs)],
      {
        stdio: 'inherit',
        env: { ...process.env, CNI_BENCH_INSIDE: '1' },
      },
    );
    process.exitCode = r.status ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', host]);
  }
} else {
  const cont = `${tag}-cont`;
  execFileSync('ip', ['netns', 'add', cont]);
  const data = mkdtempSync(join(tmpdir(), 'cni-bench-'));
  // as a runtime runs a plugin: no NODE_EXTRA_CA_CERTS (+45 ms per Node start here)
  const baseEnv = { PATH: process.env.PATH };
  const conf = (name) =>
    JSON.stringify({
      cniVersion: '1.0.0',
      name,
      type: 'bridge',
      bridge: `br-${name}`,
      isGateway: true,
      ipam: { type: 'host-local', subnet: name === 'go' ? '10.201.0.0/24' : '10.202.0.0/24', dataDir: data },
    });
  const run = (dir, command, name, ifName) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(join(dir, 'bridge'), [], {
      input: conf(name),
      encoding: 'utf8',
      env: {
        ...baseEnv,
        CNI_COMMAND: command,
        CNI_CONTAINERID: `bench-${name}`,
        CNI_NETNS: `/run/netns/${cont}`,
        CNI_IFNAME: ifName,
        CNI_PATH: dir,
      },
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${name} ${command}: exit ${r.status}: ${r.stdout}${r.stderr}`);
    return ms;
  };
  const bare = () => {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0'], { env: baseEnv });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const t = { oursAdd: [], oursDel: [], goAdd: [], goDel: [], node: [] };
  try {
    // one warm-up round each (page cache), not counted
    run(OURS, 'ADD', 'ts', 'eth0');
    run(OURS, 'DEL', 'ts', 'eth0');
    run(GO, 'ADD', 'go', 'eth1');
    run(GO, 'DEL', 'go', 'eth1');
    for (let i = 0; i < runs; i++) {
      t.oursAdd.push(run(OURS, 'ADD', 'ts', 'eth0'));
      t.goAdd.push(run(GO, 'ADD', 'go', 'eth1'));
      t.oursDel.push(run(OURS, 'DEL', 'ts', 'eth0'));
      t.goDel.push(run(GO, 'DEL', 'go', 'eth1'));
      t.node.push(bare());
    }
  } finally {
    execFileSync('ip', ['netns', 'del', cont]);
    rmSync(data, { recursive: true, force: true });
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, med(v)]));
  const f = (x) => `${x.toFixed(1).padStart(7)} ms`;
  console.log(`bridge + host-local, median of ${runs} runs (Node ${process.version})`);
  console.log(`                      ours        Go     ours/Go`);
  console.log(`ADD              ${f(m.oursAdd)} ${f(m.goAdd)}   ${(m.oursAdd / m.goAdd).toFixed(2)}x`);
  console.log(`DEL              ${f(m.oursDel)} ${f(m.goDel)}   ${(m.oursDel / m.goDel).toFixed(2)}x`);
  console.log(
    `ADD+DEL          ${f(m.oursAdd + m.oursDel)} ${f(m.goAdd + m.goDel)}   ${((m.oursAdd + m.oursDel) / (m.goAdd + m.goDel)).toFixed(2)}x`,
  );
  console.log(`node -e 0        ${f(m.node)}`);
  console.log(
    `ours above bare node: ADD ${f(m.oursAdd - m.node)}, DEL ${f(m.oursDel - m.node)} (one process per verb: host-local runs in process)`,
  );
}
