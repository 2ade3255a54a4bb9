import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// portmap as a real process (env + stdin → stdout), for every spec version it claims.
import {
  destroyNetNS,
  makeNetNS,
  type PluginProcessResult,
  type RunPluginOptions,
  runPluginProcess,
  type TestNetNS,
} from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from './bundle.js';
import { sh } from './env.js';

let entry: string;
let host: TestNetNS;
let ctr: TestNetNS;
beforeAll(() => {
  entry = bundle(new URL('../src/main.ts', import.meta.url).pathname);
  host = makeNetNS('pmproc');
  ctr = makeNetNS('pmctr');
});
afterAll(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
});

/** Run the plugin with the host namespace as its own (the child is forked inside it). */
function run(opts: RunPluginOptions): Promise<PluginProcessResult> {
  let p: Promise<PluginProcessResult> | undefined;
  host.run(() => {
    p = runPluginProcess(entry, { ...opts, env: { NODE_EXTRA_CA_CERTS: undefined, ...opts.env } });
  });
  return p as Promise<PluginProcessResult>;
}

function prev(version: string) {
  const old = version.startsWith('0.');
  return {
    cniVersion: version,
    interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
    ips: [{ ...(old ? { version: '4' } : {}), address: '10.66.0.2/24', interface: 0, gateway: '10.66.0.1' }],
    dns: {},
  };
}

const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

describe('portmap process', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run({ command: 'VERSION', stdin: '{}' });
    expect(r.code).toBe(0);
    expect(r.json.supportedVersions).toEqual(VERSIONS);
  });

  it.each(['0.3.1', '0.4.0', '1.0.0', '1.1.0'])('ADD/CHECK/DEL with cniVersion %s', async (v) => {
    const conf = {
      cniVersion: v,
      name: 'proc',
      type: 'portmap',
      backend: 'iptables',
      runtimeConfig: { portMappings: [{ hostPort: 7070, containerPort: 70, protocol: 'tcp' }] },
      prevResult: prev(v),
    };
    const add = await run({ command: 'ADD', containerID: `p-${v}`, netns: ctr.path, stdin: conf });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.json.cniVersion).toBe(v);
    expect(add.json.ips[0].address).toBe('10.66.0.2/24');
    expect(sh(host, 'iptables-save', '-t', 'nat')).toContain(`id: \\"p-${v}\\"`);
    if (v !== '0.3.1') {
      const check = await run({ command: 'CHECK', containerID: `p-${v}`, netns: ctr.path, stdin: conf });
      expect(check.code).toBe(0);
    }
    const del = await run({ command: 'DEL', containerID: `p-${v}`, netns: ctr.path, stdin: conf });
    expect(del.code).toBe(0);
    expect(sh(host, 'iptables-save', '-t', 'nat')).not.toContain(`p-${v}`);
  });

  it('bad input gets a CNI error naming the key and value', async () => {
    const base = { cniVersion: '1.0.0', name: 'proc', type: 'portmap', prevResult: prev('1.0.0') };
    const cases: [object, number, RegExp][] = [
      [
        { ...base, runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }] } },
        7,
        /Invalid host port number: 0/,
      ],
      [
        {
          ...base,
          runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 70000, protocol: 'tcp' }] },
        },
        7,
        /70000/,
      ],
      [{ ...base, markMasqBit: 40 }, 7, /MasqMarkBit must be between 0 and 31/],
      [
        { ...base, markMasqBit: 1, externalSetMarkChain: 'X' },
        7,
        /Cannot specify externalSetMarkChain and markMasqBit/,
      ],
      [{ ...base, backend: 'pf' }, 7, /unrecognized backend "pf"/],
      [{ ...base, snat: 'yes' }, 6, /snat: expected a boolean, got "yes"/],
      [
        {
          ...base,
          backend: 'iptables',
          conditionsV4: ['ip saddr 1.2.3.4'],
          runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 1, protocol: 'tcp' }] },
        },
        7,
        /iptables backend was requested but configuration contains nftables-specific options \[conditionsV4\]/,
      ],
    ];
    for (const [conf, code, msg] of cases) {
      const r = await run({ command: 'ADD', containerID: 'bad', netns: ctr.path, stdin: conf });
      expect(r.code).toBe(1);
      expect(r.json.code).toBe(code);
      expect(`${r.json.msg} ${r.json.details ?? ''}`).toMatch(msg);
      expect(r.stdout).not.toMatch(/\n\s+at /);
    }
    const noPrev = await run({
      command: 'ADD',
      containerID: 'x',
      netns: ctr.path,
      stdin: { cniVersion: '1.0.0', name: 'p', type: 'portmap' },
    });
    expect(noPrev.json.msg).toBe('must be called as chained plugin');
  });

  it('STATUS and GC (1.1.0)', async () => {
    const conf = (ids: string[]) => ({
      cniVersion: '1.1.0',
      name: 'gcnet',
      type: 'portmap',
      backend: 'iptables',
      'cni.dev/valid-attachments': ids.map((id) => ({ containerID: id, ifname: 'eth0' })),
    });
    expect((await run({ command: 'STATUS', stdin: conf([]) })).code).toBe(0);
    for (const id of ['keep', 'stale']) {
      const r = await run({
        command: 'ADD',
        containerID: id,
        netns: ctr.path,
        stdin: {
          ...conf([]),
          runtimeConfig: { portMappings: [{ hostPort: 6000, containerPort: 60, protocol: 'udp' }] },
          prevResult: prev('1.1.0'),
        },
      });
      expect(r.code).toBe(0);
    }
    const gc = await run({ command: 'GC', stdin: conf(['keep']) });
    expect(gc.code).toBe(0);
    const out = sh(host, 'iptables-save', '-t', 'nat');
    expect(out).toContain('id: \\"keep\\"');
    expect(out).not.toContain('stale');
  });

  it.each(['iptables', 'nftables', undefined])(
    'STATUS is 50 when no backend is usable (backend %s)',
    (backend) => {
      // An unprivileged process can neither list iptables nor read the nftables ruleset.
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, entry],
        {
          input: JSON.stringify({
            cniVersion: '1.1.0',
            name: 'x',
            type: 'portmap',
            ...(backend ? { backend } : {}),
          }),
          env: { PATH: process.env.PATH, CNI_COMMAND: 'STATUS', CNI_PATH: '/nonexistent' },
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout).code).toBe(50);
    },
  );

  describe('without a configured backend', () => {
    const tools = [
      'iptables',
      'iptables-save',
      'iptables-restore',
      'ip6tables',
      'ip6tables-save',
      'ip6tables-restore',
    ];
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'pm-tools-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** A PATH directory whose iptables tools log each run and then `body` (a shell line). */
    function wrap(body: (tool: string) => string): { path: string; log: string } {
      const d = mkdtempSync(join(dir, 'bin-'));
      const log = join(d, 'runs.log');
      writeFileSync(log, '');
      for (const t of tools) {
        writeFileSync(join(d, t), `#!/bin/sh\necho "${t} $*" >> ${log}\n${body(t)}\n`);
        chmodSync(join(d, t), 0o755);
      }
      return { path: `${d}:${process.env.PATH}`, log };
    }
    const conf = () => ({
      cniVersion: '1.0.0',
      name: 'lazy',
      type: 'portmap',
      runtimeConfig: { portMappings: [{ hostPort: 7171, containerPort: 71, protocol: 'tcp' }] },
      prevResult: prev('1.0.0'),
    });

    /** The plugin with `path` as PATH (the wrapped tools first). */
    const runWith = (path: string, command: string, containerID: string) =>
      run({ command, containerID, netns: ctr.path, stdin: conf(), env: { PATH: path } });

    it('uses iptables without probing it first when it works', async () => {
      const w = wrap((t) => `exec /usr/sbin/${t} "$@"`);
      for (const command of ['ADD', 'CHECK', 'DEL']) {
        const r = await runWith(w.path, command, 'lazy-ipt');
        expect(r.code, `${command}: ${r.stdout}`).toBe(0);
        if (command === 'ADD') expect(sh(host, 'iptables-save', '-t', 'nat')).toContain('id: \\"lazy-ipt\\"');
      }
      const runs = readFileSync(w.log, 'utf8');
      expect(runs).toContain('iptables-restore');
      expect(runs).not.toMatch(/^iptables .*-S INPUT/m);
      expect(sh(host, 'iptables-save', '-t', 'nat')).not.toContain('lazy-ipt');
    });

    it('DEL runs no ip6tables tool where the host has no IPv6 nat table, and reads it where it has', async () => {
      const h = makeNetNS('pmv6h');
      try {
        const w = wrap((t) => `exec /usr/sbin/${t} "$@"`);
        const inHost = (command: string) => {
          let p: Promise<PluginProcessResult> | undefined;
          h.run(() => {
            p = runPluginProcess(entry, {
              command,
              containerID: 'v6probe',
              netns: ctr.path,
              stdin: conf(),
              env: { NODE_EXTRA_CA_CERTS: undefined, PATH: w.path },
            });
          });
          return p as Promise<PluginProcessResult>;
        };
        for (const withV6Table of [false, true]) {
          if (withV6Table) sh(h, 'ip6tables', '-t', 'nat', '-N', 'CNI-PROBE-V6');
          expect((await inHost('ADD')).code).toBe(0);
          writeFileSync(w.log, '');
          const del = await inHost('DEL');
          expect(del.code, del.stdout).toBe(0);
          const runs = readFileSync(w.log, 'utf8');
          expect(runs).toMatch(/^iptables-restore /m); // the IPv4 rules were removed
          if (withV6Table) expect(runs).toMatch(/^ip6tables-save /m);
          else expect(runs).not.toContain('ip6tables');
          expect(sh(h, 'iptables-save', '-t', 'nat')).not.toContain('v6probe');
        }
      } finally {
        destroyNetNS(h);
      }
    });

    it('falls back to nftables when iptables fails and nftables is usable', async () => {
      const w = wrap(() => 'exit 1');
      const add = await runWith(w.path, 'ADD', 'lazy-nft');
      expect(add.code, add.stdout).toBe(0);
      expect(sh(host, 'nft', 'list', 'table', 'ip', 'cni_hostport')).toContain('lazy-nft');
      expect(readFileSync(w.log, 'utf8')).toMatch(/^iptables .*-S INPUT/m); // the probe, after the failure
      const del = await runWith(w.path, 'DEL', 'lazy-nft');
      expect(del.code, del.stdout).toBe(0);
      expect(sh(host, 'nft', 'list', 'table', 'ip', 'cni_hostport')).not.toContain('lazy-nft');
    });
  });
});
