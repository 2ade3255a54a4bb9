// Shared helpers of the bandwidth kernel tests: a main plugin (bridge or ptp, ours, from
// dist/cni/bin, with host-local) run in a throwaway "host" namespace gives the prevResult;
// tc/ip read the state back; a python TCP transfer measures throughput.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import type { TestNetNS } from '@cni-internal/test-kit';
import { hostLocal, ourBin, runIn } from '@cni-internal/test-kit';

export type Main = 'bridge' | 'ptp';

/** The main plugin's config for a chain; the bridge gets a per-test name in its own host ns. */
export function mainConf(main: Main, version: string, dataDir: string, subnet = '10.77.0.0/24') {
  const gw = subnet.replace(/\.0\/24$/, '.1');
  const ipam = hostLocal(dataDir, subnet, gw);
  return main === 'bridge'
    ? { cniVersion: version, name: 'bwnet', type: 'bridge', bridge: 'bwbr0', isGateway: true, ipam }
    : { cniVersion: version, name: 'bwnet', type: 'ptp', ipam };
}

/** Run the main plugin's ADD; its JSON result becomes the bandwidth plugin's prevResult. */
export async function mainAdd(
  host: TestNetNS,
  main: Main,
  conf: object,
  ctr: TestNetNS,
  containerID: string,
  // biome-ignore lint/suspicious/noExplicitAny: a CNI result of any version
): Promise<any> {
  const r = await runIn(host, ourBin(main), { command: 'ADD', containerID, netns: ctr.path, stdin: conf });
  if (r.code !== 0) throw new Error(`${main} ADD failed: ${r.stdout}${r.stderr}`);
  return r.json;
}

export async function mainDel(
  host: TestNetNS,
  main: Main,
  conf: object,
  ctr: TestNetNS,
  containerID: string,
) {
  const r = await runIn(host, ourBin(main), { command: 'DEL', containerID, netns: ctr.path, stdin: conf });
  if (r.code !== 0) throw new Error(`${main} DEL failed: ${r.stdout}${r.stderr}`);
}

/** `tc -j <args>` inside `n`. */
// biome-ignore lint/suspicious/noExplicitAny: tc -j output
export function tcJson(n: TestNetNS, ...args: string[]): any[] {
  const out = execFileSync('ip', ['netns', 'exec', n.name, 'tc', '-j', ...args], { encoding: 'utf8' });
  return out.trim() === '' ? [] : JSON.parse(out);
}

/** The u32 filters on the ingress qdisc of `dev`. */
export function filterView(n: TestNetNS, dev: string) {
  return tcJson(n, 'filter', 'show', 'dev', dev, 'ingress');
}

const RECEIVER = `
import socket, sys, time, json
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(1)
s.settimeout(60)
print('ready', flush=True)
c, _ = s.accept()
c.settimeout(60)
n = 0
t0 = None
while True:
    d = c.recv(65536)
    if not d:
        break
    if t0 is None:
        t0 = time.monotonic()
        first = len(d)
    n += len(d)
t1 = time.monotonic()
c.close()
print(json.dumps({'bytes': n, 'first': first, 'secs': t1 - t0}), flush=True)
`;

const SENDER = `
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
buf = b'x' * 65536
left = int(sys.argv[3])
while left > 0:
    left -= c.send(buf[:min(left, 65536)])
c.shutdown(socket.SHUT_WR)
c.recv(1)
c.close()
`;

export interface Transfer {
  bytes: number;
  secs: number;
  /** bits per second, the first read (the token bucket's burst) not counted */
  bitsPerSec: number;
}

let nextPort = 20000 + (process.pid % 20000);

/**
 * Send `bytes` over TCP from `from` to `to` (listening on all addresses, connected to `toIp`);
 * the receiver measures from its first byte to EOF.
 */
export async function transfer(
  from: TestNetNS,
  to: TestNetNS,
  toIp: string,
  bytes: number,
): Promise<Transfer> {
  const port = nextPort++;
  const rx = spawn('ip', ['netns', 'exec', to.name, 'python3', '-c', RECEIVER, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  rx.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<string>((resolve, reject) => {
    rx.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`receiver failed: ${err}`))));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      rx.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      rx.on('close', () => reject(new Error(`receiver exited: ${err}`)));
    });
    await new Promise<void>((resolve, reject) => {
      const tx = spawn(
        'ip',
        ['netns', 'exec', from.name, 'python3', '-c', SENDER, toIp, String(port), String(bytes)],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let txErr = '';
      tx.stderr.on('data', (d: Buffer) => {
        txErr += d.toString();
      });
      tx.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sender failed: ${txErr}`))));
    });
    const line = (await done).split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`receiver printed no result: ${out}`);
    const r = JSON.parse(line) as { bytes: number; first: number; secs: number };
    return { bytes: r.bytes, secs: r.secs, bitsPerSec: ((r.bytes - r.first) * 8) / r.secs };
  } finally {
    rx.kill('SIGKILL');
  }
}
