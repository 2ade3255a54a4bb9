#!/usr/bin/env node
// bridge + host-local ADD and DEL, ours (dist/cni/bin, host-local in process) next to the Go
// plugins (/usr/lib/cni, host-local exec'd), measured in one run, alternating, in throwaway
// namespaces. Also `node -e 0`, to show what each of our processes costs above a bare Node, and
// each implementation's VERSION (a start that does no network work), to separate what a verb
// costs both implementations alike (the kernel's work: creating and deleting a veth pair, the
// IPAM files) from the cost of our own code.
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
  const version = (dir) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(join(dir, 'bridge'), [], {
      input: '{"cniVersion":"1.0.0"}',
      encoding: 'utf8',
      env: { ...baseEnv, CNI_COMMAND: 'VERSION' },
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`VERSION in ${dir}: exit ${r.status}: ${r.stdout}${r.stderr}`);
    return ms;
  };
  const t = { oursAdd: [], oursDel: [], goAdd: [], goDel: [], node: [], oursVersion: [], goVersion: [] };
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
      t.oursVersion.push(version(OURS));
      t.goVersion.push(version(GO));
    }
  } finally {
    execFileSync('ip', ['netns', 'del', cont]);
    rmSync(data, { recursive: true, force: true });
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, med(v)]));
  // This machine's speed drifts by 10-20 % within minutes, so the derived figures are medians of
  // per-round values (each round measures every quantity within ~0.5 s), not differences of
  // medians taken over the whole run.
  const perRound = (fn) => med(t.node.map((_, i) => fn(i)));
  const ratio = perRound((i) => (t.oursAdd[i] + t.oursDel[i]) / (t.goAdd[i] + t.goDel[i]));
  const above = {
    add: perRound((i) => t.oursAdd[i] - t.node[i]),
    del: perRound((i) => t.oursDel[i] - t.node[i]),
  };
  const goWork = {
    add: perRound((i) => t.goAdd[i] - t.goVersion[i]),
    del: perRound((i) => t.goDel[i] - t.goVersion[i]),
  };
  const own = {
    add: perRound((i) => t.oursAdd[i] - t.node[i] - (t.goAdd[i] - t.goVersion[i])),
    del: perRound((i) => t.oursDel[i] - t.node[i] - (t.goDel[i] - t.goVersion[i])),
  };
  const f = (x) => `${x.toFixed(1).padStart(7)} ms`;
  console.log(`bridge + host-local, median of ${runs} runs (Node ${process.version})`);
  console.log(`                      ours        Go     ours/Go`);
  console.log(`ADD              ${f(m.oursAdd)} ${f(m.goAdd)}   ${(m.oursAdd / m.goAdd).toFixed(2)}x`);
  console.log(`DEL              ${f(m.oursDel)} ${f(m.goDel)}   ${(m.oursDel / m.goDel).toFixed(2)}x`);
  console.log(
    `ADD+DEL          ${f(m.oursAdd + m.oursDel)} ${f(m.goAdd + m.goDel)}   ${((m.oursAdd + m.oursDel) / (m.goAdd + m.goDel)).toFixed(2)}x`,
  );
  console.log(`node -e 0        ${f(m.node)}`);
  console.log(`VERSION          ${f(m.oursVersion)} ${f(m.goVersion)}   (a start without network work)`);
  console.log(`per round (median): ADD+DEL ours/Go ${ratio.toFixed(2)}x`);
  console.log(
    `  ours above bare node: ADD ${f(above.add)}, DEL ${f(above.del)} (one process per verb: host-local runs in process)`,
  );
  // What the verb itself costs Go beyond starting: the kernel's work and Go's code. Ours above a
  // bare Node, less that, is what our code costs beyond the same kernel work.
  console.log(
    `  Go above its VERSION: ADD ${f(goWork.add)}, DEL ${f(goWork.del)} (the kernel's work and Go's code)`,
  );
  console.log(
    `  our own work (ours above bare node - Go above its VERSION): ADD ${f(own.add)}, DEL ${f(own.del)}`,
  );
}
