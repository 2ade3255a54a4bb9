// Process-test helpers: run a plugin (ours from dist/cni/bin, or Go's from /usr/lib/cni) as a
// real process whose own namespace is the test's "host" namespace, and read kernel state
// with `ip -j` inside the test namespaces.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNetNS } from './netns.js';
import { distCniBin, type PluginProcessResult, type RunPluginOptions, runPluginProcess } from './plugin.js';

export const GO_CNI = '/usr/lib/cni';
export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** dist/cni/bin/<type>; `pnpm build` must have run. */
export function ourBin(type: string): string {
  const bin = join(distCniBin, type);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` at the repository root first`);
  return bin;
}

/** Run `bin` with `host` as its own namespace (the child is forked inside it). */
export function runIn(host: TestNetNS, bin: string, opts: RunPluginOptions): Promise<PluginProcessResult> {
  let p: Promise<PluginProcessResult> | undefined;
  host.run(() => {
    p = runPluginProcess(bin, { ...opts, env: { NODE_EXTRA_CA_CERTS: undefined, ...opts.env } });
  });
  return p as Promise<PluginProcessResult>;
}

/** `ip -n <ns> <args>` */
export function ip(n: TestNetNS, ...args: string[]): string {
  return execFileSync('ip', ['-n', n.name, ...args], { encoding: 'utf8' });
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
export function ipJson(n: TestNetNS, ...args: string[]): any {
  return JSON.parse(execFileSync('ip', ['-n', n.name, '-j', ...args], { encoding: 'utf8' }) || '[]');
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
export function linkInfo(n: TestNetNS, name: string): any | undefined {
  const all: { ifname: string }[] = ipJson(n, '-d', 'link', 'show');
  return all.find((l) => l.ifname === name);
}

/** Interface names in `n` other than lo. */
export function linkNames(n: TestNetNS): string[] {
  const links: { ifname: string }[] = ipJson(n, 'link', 'show');
  return links.map((l) => l.ifname).filter((x) => x !== 'lo');
}

/** Global addresses of `name` in `n`, as 'ip/prefix'. */
export function addrsOf(n: TestNetNS, name: string): string[] {
  const [l] = ipJson(n, 'addr', 'show', 'dev', name);
  const info: { scope: string; local: string; prefixlen: number }[] = l?.addr_info ?? [];
  return info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

export interface TempDir {
  path: string;
  cleanup(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A host-local IPAM section storing in `dataDir`. */
export function hostLocal(dataDir: string, subnet = '10.77.0.0/24', gateway = '10.77.0.1') {
  return {
    type: 'host-local',
    dataDir,
    ranges: [[{ subnet, gateway }]],
    routes: [{ dst: '0.0.0.0/0' }],
  };
}

/** A veth pair `a`/`b` in `n`, both up (a stand-in for a host NIC: macvlan needs ethernet). */
export function vethPair(n: TestNetNS, a: string, b: string, mtu = 1500): void {
  ip(n, 'link', 'add', a, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', b, 'mtu', String(mtu));
  ip(n, 'link', 'set', a, 'up');
  ip(n, 'link', 'set', b, 'up');
}

/** Run a command inside `n` (ip netns exec). */
export function inNs(n: TestNetNS, ...cmd: string[]): string {
  return execFileSync('ip', ['netns', 'exec', n.name, ...cmd], { encoding: 'utf8' });
}
