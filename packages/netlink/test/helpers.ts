import { execFileSync } from 'node:child_process';
import type { TestNetNS } from '@cni-internal/test-kit';

/** `ip -j <args>` run inside the test namespace (tests may look with ip; the library never runs it). */
export function ipJson<T = unknown>(t: TestNetNS, ...args: string[]): T {
  const out = execFileSync('ip', ['-n', t.name, '-j', ...args], { encoding: 'utf8' });
  return JSON.parse(out || '[]') as T;
}

export function ipText(t: TestNetNS, ...args: string[]): string {
  return execFileSync('ip', ['-n', t.name, ...args], { encoding: 'utf8' });
}

export function sh(t: TestNetNS, cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', t.name, cmd, ...args], { encoding: 'utf8' });
}
