// Kernel-test helpers (import from '@cni-internal/test-kit/net'): run a plugin as a process inside a test "host" namespace, and read
// kernel state with iproute2 / nft inside the namespaces (tests only; plugins never do this).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNetNS } from './netns.js';
import { distCniBin, type PluginProcessResult, type RunPluginOptions, runPluginProcess } from './plugin.js';
import { sysctlGetIn } from '@cni/ns';

export const OUR_BIN = distCniBin;
export const GO_BIN = '/usr/lib/cni';
export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** Run `dir/type` as a plugin process forked inside `host` (CNI_PATH = dir unless given). */
export function runIn(
  host: TestNetNS,
  type: string,
  opts: RunPluginOptions & { dir?: string },
): Promise<PluginProcessResult> {
  const dir = opts.dir ?? OUR_BIN;
  let p!: Promise<PluginProcessResult>;
  host.run(() => {
    p = runPluginProcess(join(dir, type), {
      path: dir,
      ...opts,
      env: { NODE_EXTRA_CA_CERTS: undefined, ...opts.env },
    });
  });
  return p;
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
export function ipj(ns: TestNetNS, ...args: string[]): any {
  const out = execFileSync('ip', ['-n', ns.name, '-j', ...args], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

/** `ip -d link show dev <name>` in ns, or undefined when there is no such link. */
// biome-ignore lint/suspicious/noExplicitAny: ip -j output
export function linkInfo(ns: TestNetNS, name: string): any {
  const r = spawnSync('ip', ['-n', ns.name, '-j', '-d', 'link', 'show', 'dev', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout)[0];
}

/** Global addresses of a link as 'ip/prefix'. */
export function addrsOf(ns: TestNetNS, name: string, family: 4 | 6 = 4): string[] {
  const l = ipj(ns, `-${family}`, 'addr', 'show', 'dev', name)[0];
  const info: { scope: string; local: string; prefixlen: number }[] = l?.addr_info ?? [];
  return info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
export function routes(ns: TestNetNS, family: 4 | 6 = 4): any[] {
  return ipj(ns, `-${family}`, 'route', 'show');
}

export function sysctl(ns: TestNetNS, key: string): string {
  return sysctlGetIn(ns.ns, key);
}

/** Run a command inside a namespace (ip netns exec); returns the exit status and output. */
export function execIn(ns: TestNetNS, cmd: string[]): { status: number; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, ...cmd], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const ECHO_SERVER = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7007)); s.listen(1); s.settimeout(5)
print('ready', flush=True)
c, _ = s.accept(); c.settimeout(5)
c.sendall(c.recv(100))
c.close()
`;
const ECHO_CLIENT = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
c = socket.socket(fam, socket.SOCK_STREAM); c.settimeout(2)
c.connect((sys.argv[1], 7007)); c.sendall(b'hello-cni')
print(c.recv(100).decode())
`;

/**
 * TCP echo: a server bound to \`ip\` inside \`to\`, a client inside \`from\`; true when the
 * client got its bytes back.
 */
export async function tcpEcho(from: TestNetNS, to: TestNetNS, ip: string): Promise<boolean> {
  const server = spawn('ip', ['netns', 'exec', to.name, 'python3', '-c', ECHO_SERVER, ip], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const ready = await new Promise<boolean>((resolve) => {
      server.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve(true);
      });
      server.on('close', () => resolve(false));
    });
    if (!ready) return false;
    const r = execIn(from, ['python3', '-c', ECHO_CLIENT, ip]);
    return r.status === 0 && r.out.trim() === 'hello-cni';
  } finally {
    server.kill('SIGKILL');
  }
}

/** iptables-save of the nat table inside ns, without counters and comments lines. */
export function natRules(ns: TestNetNS, v6 = false): string[] {
  return execIn(ns, [v6 ? 'ip6tables-save' : 'iptables-save', '-t', 'nat'])
    .out.split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':CNI'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .sort();
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
