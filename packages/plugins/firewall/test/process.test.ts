// firewall as a real process (env + stdin → stdout) for the spec versions it claims.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

let entry: string;
let host: TestNetNS;
let ctr: TestNetNS;
let dataDir: string;
beforeAll(() => {
  entry = bundle(new URL('../src/main.ts', import.meta.url).pathname);
  host = makeNetNS('fwproc');
  ctr = makeNetNS('fwctr');
  dataDir = mkdtempSync(join(tmpdir(), 'cni-fw-proc-'));
});
afterAll(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  rmSync(dataDir, { recursive: true, force: true });
});

function run(opts: RunPluginOptions): Promise<PluginProcessResult> {
  let p: Promise<PluginProcessResult> | undefined;
  host.run(() => {
    // no system bus here: auto-detection falls back to iptables
    p = runPluginProcess(entry, {
      ...opts,
      netns: ctr.path,
      env: {
        NODE_EXTRA_CA_CERTS: undefined,
        DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
        ...opts.env,
      },
    });
  });
  return p as Promise<PluginProcessResult>;
}
const filter = () =>
  execFileSync('ip', ['netns', 'exec', host.name, 'iptables-save', '-t', 'filter'], { encoding: 'utf8' });

describe('firewall process', () => {
  it('VERSION: 0.4.0 and later', async () => {
    const r = await run({ command: 'VERSION', stdin: '{}' });
    expect(r.json.supportedVersions).toEqual(['0.4.0', '1.0.0', '1.1.0']);
  });

  it.each(['0.4.0', '1.0.0', '1.1.0'])('ADD/CHECK/DEL with cniVersion %s (auto backend)', async (v) => {
    const conf = {
      cniVersion: v,
      name: 'fw',
      type: 'firewall',
      dataDir,
      prevResult: {
        cniVersion: v,
        interfaces: [{ name: 'eth0', sandbox: ctr.path }],
        ips: [{ ...(v === '0.4.0' ? { version: '4' } : {}), address: '10.55.0.3/24', interface: 0 }],
      },
    };
    const add = await run({ command: 'ADD', stdin: conf });
    expect(add.code).toBe(0);
    expect(add.json.cniVersion).toBe(v);
    expect(filter()).toContain('-A CNI-FORWARD -s 10.55.0.3/32 -j ACCEPT');
    expect((await run({ command: 'CHECK', stdin: conf })).code).toBe(0);
    expect((await run({ command: 'DEL', stdin: conf })).code).toBe(0);
    expect(filter()).not.toContain('10.55.0.3');
    const check = await run({ command: 'CHECK', stdin: conf });
    expect(check.code).toBe(1);
    expect(check.json.msg).toMatch(/firewall check failed/);
  });

  it('DEL without prevResult succeeds; ADD without it is an error', async () => {
    const conf = { cniVersion: '1.0.0', name: 'fw', type: 'firewall', dataDir };
    expect((await run({ command: 'DEL', stdin: conf })).code).toBe(0);
    const add = await run({ command: 'ADD', stdin: conf });
    expect(add.code).toBe(1);
    expect(add.json.msg).toBe('missing prevResult from earlier plugin');
  });

  it('GC and STATUS (1.1.0)', async () => {
    const conf = {
      cniVersion: '1.1.0',
      name: 'fwgc',
      type: 'firewall',
      backend: 'iptables',
      dataDir,
    };
    const withIP = (ip: string) => ({
      ...conf,
      prevResult: {
        cniVersion: '1.1.0',
        interfaces: [{ name: 'eth0', sandbox: ctr.path }],
        ips: [{ address: ip, interface: 0 }],
      },
    });
    for (const [id, ip] of [
      ['g1', '10.56.0.1/24'],
      ['g2', '10.56.0.2/24'],
    ] as const)
      expect((await run({ command: 'ADD', containerID: id, stdin: withIP(ip) })).code).toBe(0);
    const gc = await run({
      command: 'GC',
      stdin: { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'g2', ifname: 'eth0' }] },
    });
    expect(gc.stdout).toBe('');
    expect(gc.code).toBe(0);
    expect(filter()).not.toContain('10.56.0.1/32');
    expect(filter()).toContain('-A CNI-FORWARD -s 10.56.0.2/32 -j ACCEPT');
    expect(readdirSync(join(dataDir, 'fwgc'))).toEqual(['g2-eth0']);
    expect((await run({ command: 'DEL', containerID: 'g2', stdin: withIP('10.56.0.2/24') })).code).toBe(0);
    expect(existsSync(join(dataDir, 'fwgc', 'g2-eth0'))).toBe(false);
    expect(filter()).not.toContain('10.56.0.2/32');
    const bad = await run({ command: 'GC', stdin: { ...conf, 'cni.dev/valid-attachments': 'x' } });
    expect(bad.code).toBe(1);
    expect(bad.json.code).toBe(6);
    expect((await run({ command: 'STATUS', stdin: conf })).code).toBe(0);
    const st = await run({ command: 'STATUS', stdin: { ...conf, backend: 'firewalld' } });
    expect(st.code).toBe(1);
    expect(st.json.code).toBe(50);
  });
});
