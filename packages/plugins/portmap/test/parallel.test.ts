import { spawn } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { bundle } from './bundle.js';
import { sh } from './env.js';

const N = 32;
let host: TestNetNS | undefined;
afterEach(() => {
  destroyNetNS(host);
  host = undefined;
});

function conf(backend: string, i: number): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'par',
    type: 'portmap',
    backend,
    runtimeConfig: {
      portMappings: [
        { hostPort: 10000 + i, containerPort: 80, protocol: 'tcp' },
        { hostPort: 20000 + i, containerPort: 53, protocol: 'udp' },
      ],
    },
    prevResult: {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [
        { address: `10.77.0.${i + 2}/24`, interface: 0 },
        { address: `fd77::${(i + 2).toString(16)}/64`, interface: 0 },
      ],
    },
  });
}

function runAll(entry: string, verb: string, backend: string, path: string): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<string>((resolve) => {
          let err = '';
          const p = spawn(process.execPath, [entry, verb, path, conf(backend, i), `par-${i}`], {
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

describe.each(['iptables', 'nftables'])('%s: 32 parallel ADD then DEL', (backend) => {
  it('leaves no duplicate and no orphan rule', async () => {
    host = makeNetNS('par');
    const entry = bundle(new URL('./fixtures/run.ts', import.meta.url).pathname);
    expect(await runAll(entry, 'ADD', backend, host.path)).toEqual(Array(N).fill('ok'));
    if (backend === 'iptables') {
      for (const save of ['iptables-save', 'ip6tables-save']) {
        const out = sh(host, save, '-t', 'nat');
        expect(out.match(/^-A CNI-HOSTPORT-DNAT /gm)).toHaveLength(2 * N);
        expect(out.match(/^:CNI-DN-/gm)).toHaveLength(N);
        expect(out.match(/^-A PREROUTING /gm)).toHaveLength(1);
        expect(out.match(/^-A OUTPUT /gm)).toHaveLength(1);
        expect(out.match(/^-A POSTROUTING /gm)).toHaveLength(1);
        expect(out.match(/^-A CNI-HOSTPORT-SETMARK /gm)).toHaveLength(1);
        expect(out.match(/^-A CNI-HOSTPORT-MASQ /gm)).toHaveLength(1);
      }
    } else {
      const out = sh(host, 'nft', 'list', 'ruleset');
      expect(out.match(/dnat (ip |ip6 )?to /g)).toHaveLength(4 * N);
      expect(out.match(/fib daddr type local jump hostports_all/g)).toHaveLength(4);
      expect(out.match(/jump hostip_hostports/g)).toHaveLength(2);
    }
    expect(await runAll(entry, 'DEL', backend, host.path)).toEqual(Array(N).fill('ok'));
    if (backend === 'iptables') {
      for (const save of ['iptables-save', 'ip6tables-save']) {
        const out = sh(host, save, '-t', 'nat');
        expect(out).not.toMatch(/CNI-DN-|par-/);
      }
    } else {
      const out = sh(host, 'nft', 'list', 'ruleset');
      expect(out).not.toMatch(/par-|dnat|masquerade comment/);
    }
  }, 120_000);
});
