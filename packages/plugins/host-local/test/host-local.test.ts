// host-local as a real process: every spec version, concurrency, the Go reference on the
// same data directory, and a process killed in the middle of ADD.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BuiltPlugin, buildPlugin, type PluginEnv, runPlugin } from '@cni-internal/test-kit';

const startPlugin = runPlugin;

const GO = '/usr/lib/cni/host-local';
const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

let built: BuiltPlugin;
let bin: string;
let dataDir: string;
beforeAll(async () => {
  built = await buildPlugin('host-local');
  bin = built.bin;
}, 120_000);
afterAll(() => built?.cleanup());
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'host-local-proc-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const conf = (version: string, ipam: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  cniVersion: version,
  name: 'pnet',
  type: 'host-local',
  ipam: { type: 'host-local', dataDir, ...ipam },
  ...extra,
});
const env = (command: string, containerID = 'c1', ifname = 'eth0', args?: string): PluginEnv => ({
  command,
  containerID,
  ifname,
  netns: '/var/run/netns/cni-test-none',
  ...(args === undefined ? {} : { args }),
});
function firstAddress(json: Record<string, unknown> | undefined): string {
  const ips = (json?.ips ?? []) as { address: string }[];
  return ips[0]?.address ?? '';
}
const netDir = () => join(dataDir, 'pnet');
const records = () => readdirSync(netDir()).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.'));

describe('every spec version', () => {
  for (const v of VERSIONS) {
    it(`[${v}] ADD, CHECK, DEL with the result in the config's version`, async () => {
      const c = conf(v, { subnet: '10.55.0.0/24', routes: [{ dst: '0.0.0.0/0' }] });
      const add = await runPlugin(bin, env('ADD'), c);
      expect(add.code, add.stdout + add.stderr).toBe(0);
      expect(add.json?.cniVersion).toBe(v);
      if (v === '0.1.0' || v === '0.2.0') {
        expect(add.json).toEqual({
          cniVersion: v,
          ip4: { ip: '10.55.0.2/24', gateway: '10.55.0.1', routes: [{ dst: '0.0.0.0/0' }] },
          dns: {},
        });
      } else if (v.startsWith('0.')) {
        expect(add.json).toEqual({
          cniVersion: v,
          ips: [{ version: '4', address: '10.55.0.2/24', gateway: '10.55.0.1' }],
          routes: [{ dst: '0.0.0.0/0' }],
          dns: {},
        });
      } else {
        expect(add.json).toEqual({
          cniVersion: v,
          ips: [{ address: '10.55.0.2/24', gateway: '10.55.0.1' }],
          routes: [{ dst: '0.0.0.0/0' }],
        });
      }
      expect(readFileSync(join(netDir(), '10.55.0.2'), 'utf8')).toBe('c1\r\neth0');
      if (v >= '0.4.0') {
        const chk = await runPlugin(bin, env('CHECK'), { ...c, prevResult: add.json });
        expect(chk.code, chk.stdout).toBe(0);
      }
      const del = await runPlugin(bin, env('DEL'), c);
      expect(del.code, del.stdout).toBe(0);
      expect(del.stdout).toBe('');
      expect(records()).toEqual([]);
      if (v >= '0.4.0') {
        const chk = await runPlugin(bin, env('CHECK'), { ...c, prevResult: add.json });
        expect(chk.code).toBe(1);
        expect(chk.json?.msg).toBe('host-local: Failed to find address added by container c1');
      }
    });
  }

  it('[1.1.0] GC and STATUS', async () => {
    const c = conf('1.1.0', { subnet: '10.56.0.0/30' });
    expect((await runPlugin(bin, { command: 'STATUS' }, c)).code).toBe(0);
    expect((await runPlugin(bin, env('ADD', 'a'), c)).code).toBe(0);
    const st = await runPlugin(bin, { command: 'STATUS' }, c);
    expect(st.code).toBe(1);
    expect(st.json?.code).toBe(50);
    const gc = await runPlugin(
      bin,
      { command: 'GC' },
      { ...c, 'cni.dev/valid-attachments': [], 'cni.dev/attachments': [] },
    );
    expect(gc.code, gc.stdout).toBe(0);
    expect(records()).toEqual([]);
    expect((await runPlugin(bin, { command: 'STATUS' }, c)).code).toBe(0);
  });

  it('[1.1.0] GC with the older cni.dev/attachments key; STATUS 50 for an unusable dataDir', async () => {
    const c = conf('1.1.0', { subnet: '10.57.0.0/24', ranges: [[{ subnet: '2001:db8:57::/64' }]] });
    expect((await runPlugin(bin, env('ADD', 'keep'), c)).code).toBe(0);
    expect((await runPlugin(bin, env('ADD', 'drop'), c)).code).toBe(0);
    const gc = await runPlugin(
      bin,
      { command: 'GC' },
      { ...c, 'cni.dev/attachments': [{ containerID: 'keep', ifname: 'eth0' }] },
    );
    expect(gc.code, gc.stdout).toBe(0);
    expect(records().sort()).toEqual(['10.57.0.2', '2001:db8:57::2']);
    const file = join(dataDir, 'not-a-dir');
    writeFileSync(file, '');
    const st = await runPlugin(
      bin,
      { command: 'STATUS' },
      conf('1.1.0', { subnet: '10.57.0.0/24', dataDir: file }),
    );
    expect(st.code).toBe(1);
    expect(st.json?.code).toBe(50);
  });

  it('[0.4.0] requested IPv4 and IPv6 addresses from CNI_ARGS, args and runtimeConfig', async () => {
    const c = conf(
      '0.4.0',
      {
        ranges: [
          [{ subnet: '10.58.0.0/24' }],
          [{ subnet: '2001:db8:58::/64' }],
          [{ subnet: '10.59.0.0/24' }],
        ],
      },
      { args: { cni: { ips: ['2001:db8:58::abcd'] } }, runtimeConfig: { ips: ['10.59.0.9/24'] } },
    );
    const r = await runPlugin(
      bin,
      env('ADD', 'req', 'eth0', 'IgnoreUnknown=1;IP=10.58.0.200;K8S_POD_NAME=p'),
      c,
    );
    expect(r.code, r.stdout).toBe(0);
    expect(((r.json?.ips ?? []) as { address: string }[]).map((i) => i.address)).toEqual([
      '10.58.0.200/24',
      '2001:db8:58::abcd/64',
      '10.59.0.9/24',
    ]);
  });

  it('errors are CNI error JSON on stdout, never a stack trace', async () => {
    for (const [c, e] of [
      [conf('1.0.0', { subnet: '10.1.2.3/24' }), env('ADD')],
      [conf('1.0.0', { subnet: 'garbage' }), env('ADD')],
      [{ ...conf('1.0.0', { subnet: '10.1.2.0/24' }), name: '../../etc' }, env('ADD')],
      [conf('1.0.0', { subnet: '10.1.2.0/24' }), env('ADD', 'c1', 'eth0', 'IP=not-an-ip')],
      ['{not json', env('ADD')],
    ] as const) {
      const r = await runPlugin(bin, e, c);
      expect(r.code).toBe(1);
      expect(r.json, r.stdout).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
      expect(r.stdout).not.toMatch(/\bat .*\.m?js:\d+/);
    }
    expect(existsSync(join(dataDir, '..', 'etc'))).toBe(false);
  });
});

describe('concurrency', () => {
  it('64 ADD processes at once get 64 distinct addresses; 64 DELs leave only lock and cursor', async () => {
    const c = conf('1.0.0', { subnet: '10.60.0.0/24' });
    const adds = await Promise.all(
      Array.from({ length: 64 }, (_, i) => startPlugin(bin, env('ADD', `con-${i}`), c)),
    );
    const addrs = adds.map((r) => {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return firstAddress(r.json);
    });
    expect(new Set(addrs).size).toBe(64);
    expect(records()).toHaveLength(64);
    const dels = await Promise.all(
      Array.from({ length: 64 }, (_, i) => startPlugin(bin, env('DEL', `con-${i}`), c)),
    );
    for (const r of dels) expect(r.code, r.stdout).toBe(0);
    expect(readdirSync(netDir()).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });
});

describe('with the Go host-local on one data directory', () => {
  const goRun = (command: string, id: string, c: object) =>
    startGo(command, id, c).then((r) => {
      expect(r.code, `${command} ${id}: ${r.stdout}`).toBe(0);
      return r;
    });
  const startGo = (command: string, id: string, c: object) => startPlugin(GO, env(command, id), c);

  it('takes turns: each continues the other round robin and releases what the other allocated', async () => {
    const c = conf('1.0.0', { subnet: '10.61.0.0/24' });
    const seq: string[] = [];
    for (let i = 0; i < 6; i++) {
      const b = i % 2 ? GO : bin;
      const r = await runPlugin(b, env('ADD', `t-${i}`), c);
      expect(r.code, r.stdout).toBe(0);
      seq.push(firstAddress(r.json));
    }
    expect(seq).toEqual([
      '10.61.0.2/24',
      '10.61.0.3/24',
      '10.61.0.4/24',
      '10.61.0.5/24',
      '10.61.0.6/24',
      '10.61.0.7/24',
    ]);
    for (let i = 0; i < 6; i++) {
      const b = i % 2 ? bin : GO; // the other one releases
      expect((await runPlugin(b, env('DEL', `t-${i}`), c)).code).toBe(0);
    }
    expect(readdirSync(netDir()).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });

  it('runs concurrently: 300 ADDs mixed, no duplicates; each DELs what the other added', async () => {
    const c = conf('1.0.0', { subnet: '10.62.0.0/22', ranges: [[{ subnet: '2001:db8:62::/64' }]] });
    const n = 300;
    const results: { id: string; ours: boolean; v4: string; v6: string }[] = [];
    const batch = 30;
    for (let start = 0; start < n; start += batch) {
      const runs = await Promise.all(
        Array.from({ length: Math.min(batch, n - start) }, (_, k) => {
          const i = start + k;
          const ours = i % 2 === 0;
          const id = `mix-${i}`;
          return (ours ? startPlugin(bin, env('ADD', id), c) : startGo('ADD', id, c)).then((r) => ({
            r,
            id,
            ours,
          }));
        }),
      );
      for (const { r, id, ours } of runs) {
        expect(r.code, `${ours ? 'ours' : 'go'} ${id}: ${r.stdout}${r.stderr}`).toBe(0);
        const ips = (r.json?.ips ?? []) as { address: string }[];
        results.push({ id, ours, v4: ips[0]?.address ?? '', v6: ips[1]?.address ?? '' });
      }
    }
    expect(new Set(results.map((r) => r.v4)).size).toBe(n);
    expect(new Set(results.map((r) => r.v6)).size).toBe(n);
    expect(records()).toHaveLength(2 * n);
    for (let start = 0; start < n; start += batch) {
      await Promise.all(
        results
          .slice(start, start + batch)
          .map(({ id, ours }) =>
            ours
              ? goRun('DEL', id, c)
              : startPlugin(bin, env('DEL', id), c).then((r) => expect(r.code, r.stdout).toBe(0)),
          ),
      );
    }
    expect(readdirSync(netDir()).sort()).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
  }, 180_000);
});

describe('a process killed in the middle of ADD', () => {
  it('leaves no held lock and nothing a later ADD or DEL trips over', async () => {
    // A /16 with many addresses taken makes ADD long enough to be killed inside it.
    const c = conf('1.0.0', { subnet: '10.63.0.0/16' });
    mkdirSync(netDir(), { recursive: true });
    writeFileSync(join(netDir(), 'lock'), '');
    for (let i = 0; i < 8000; i++) {
      const n = i + 2;
      writeFileSync(join(netDir(), `10.63.${n >> 8}.${n & 255}`), `filler${i}\r\neth0`);
    }
    // Is the lock held right now? A non-blocking flock of our own fails (exit 75, by -E).
    const lockFile = join(netDir(), 'lock');
    const lockHeld = () => spawnSync('flock', ['-n', '-E', '75', lockFile, 'true']).status === 75;
    // Fixed delays hit start-up, scan and write at whatever point they land. "lock" makes the victim
    // wait inside its critical section: last_reserved_ip.0 is a FIFO without a writer, so the read
    // of it (under the lock, after the directory scan) blocks in open(2) until the victim is killed.
    const plan: (number | 'lock')[] = [5, 20, 40, 60, 80, 120, 200, 'lock', 'lock', 'lock', 'lock', 'lock'];
    const lastReserved = join(netDir(), 'last_reserved_ip.0');
    let killedHolding = 0;
    const attempt = async (k: number, when: number | 'lock') => {
      const id = `victim-${k}`;
      if (when === 'lock') {
        rmSync(lastReserved, { force: true });
        execFileSync('mkfifo', [lastReserved]);
      }
      const child = spawn(bin, [], {
        env: {
          PATH: process.env.PATH,
          CNI_COMMAND: 'ADD',
          CNI_CONTAINERID: id,
          CNI_IFNAME: 'eth0',
          CNI_NETNS: '/x',
          CNI_PATH: '/usr/lib/cni',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => {
        output += d;
      });
      child.stderr.on('data', (d) => {
        output += d;
      });
      let exited = '';
      child.on('exit', (code, signal) => {
        exited = `exited (code ${code}, signal ${signal})`;
      });
      const done = new Promise((r) => child.on('close', () => r(undefined)));
      await new Promise((r) => child.stdin.end(JSON.stringify(c), () => r(undefined)));
      if (when === 'lock') {
        const pid = child.pid ?? -1;
        const deadline = Date.now() + 30_000;
        while (!exited && !lockHeld() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const where = () => {
          try {
            return `${readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]} in ${readFileSync(`/proc/${pid}/wchan`, 'utf8')}`;
          } catch {
            return 'gone';
          }
        };
        // the victim is the only process on this directory: the held lock is its lock
        expect(
          !exited && lockHeld(),
          `victim ${k} should be waiting under the lock; it ${exited || `is ${where()}`}: ${output}`,
        ).toBe(true);
        killedHolding++;
      } else {
        await new Promise((r) => setTimeout(r, when));
      }
      child.kill('SIGKILL');
      await done;
      if (when === 'lock') {
        expect(lockHeld(), "the kernel drops a dead victim's lock").toBe(false);
        rmSync(lastReserved);
      }
      // The next ADD must neither block (a held lock would hang it past the test's timeout) nor
      // fail; the victim's DEL must succeed.
      const next = await runPlugin(bin, env('ADD', `after-${k}`), c);
      expect(next.code, next.stdout).toBe(0);
      expect((await runPlugin(bin, env('DEL', id), c)).code).toBe(0);
      expect((await runPlugin(GO, env('DEL', id), c)).code).toBe(0);
      // No empty record and no temporary file is left behind.
      for (const name of readdirSync(netDir())) {
        expect(name.startsWith('.cni-ts-tmp')).toBe(false);
        if (name !== 'lock') expect(readFileSync(join(netDir(), name), 'utf8').length).toBeGreaterThan(0);
      }
    };
    for (const [k, when] of plan.entries()) await attempt(k, when);
    const owners = records().map((n) => readFileSync(join(netDir(), n), 'utf8'));
    expect(owners.filter((o) => o.startsWith('victim-'))).toEqual([]);
    expect(owners.filter((o) => o.startsWith('after-'))).toHaveLength(plan.length);
    expect(killedHolding).toBe(plan.filter((w) => w === 'lock').length);
  }, 180_000);
});
