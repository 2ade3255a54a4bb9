import { execFileSync, spawn } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { bundle } from './bundle.js';

const N = 32;
let host: TestNetNS | undefined;
afterEach(() => {
  destroyNetNS(host);
  host = undefined;
});
const sh = (n: TestNetNS, ...cmd: string[]) =>
  execFileSync('ip', ['netns', 'exec', n.name, ...cmd], { encoding: 'utf8' });

function runAll(entry: string, verb: string, backend: string, path: string): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<string>((resolve) => {
          let err = '';
          const p = spawn(process.execPath, [entry, verb, path, backend, String(i)], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          p.stderr.on('data', (d) => {
            err += d;
          });
          p.on('exit', (c) => resolve(c === 0 ? 'ok' : `exit ${c}: ${err}`));
        }),
    ),
  );
}

describe.each(['iptables', 'nftables'])('ipMasq %s: 32 parallel setups then teardowns', (backend) => {
  it('leaves no duplicate and no orphan rule', async () => {
    host = makeNetNS('mqpar');
    const entry = bundle(new URL('./fixtures/masq.ts', import.meta.url).pathname);
    expect(await runAll(entry, 'setup', backend, host.path)).toEqual(Array(N).fill('ok'));
    if (backend === 'iptables') {
      for (const save of ['iptables-save', 'ip6tables-save']) {
        const out = sh(host, save, '-t', 'nat');
        expect(out.match(/^-A POSTROUTING /gm)).toHaveLength(N);
        expect(out.match(/^:CNI-/gm)).toHaveLength(N);
        expect(out.match(/-j MASQUERADE/g)).toHaveLength(N);
      }
    } else {
      const out = sh(host, 'nft', 'list', 'table', 'inet', 'cni_plugins_masquerade');
      expect(out.match(/masquerade comment/g)).toHaveLength(2 * N);
      expect(out.match(/goto masq_checks/g)).toHaveLength(1);
    }
    expect(await runAll(entry, 'teardown', backend, host.path)).toEqual(Array(N).fill('ok'));
    expect(sh(host, 'iptables-save', '-t', 'nat')).not.toMatch(/CNI-|par-/);
    expect(sh(host, 'ip6tables-save', '-t', 'nat')).not.toMatch(/CNI-|par-/);
    expect(sh(host, 'nft', 'list', 'ruleset')).not.toMatch(/masquerade comment/);
  }, 120_000);
});
