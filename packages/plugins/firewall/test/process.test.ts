// firewall as a real process (env + stdin → stdout) for the spec versions it claims.
import { execFileSync } from 'node:child_process';
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
beforeAll(() => {
  entry = bundle(new URL('../src/main.ts', import.meta.url).pathname);
  host = makeNetNS('fwproc');
  ctr = makeNetNS('fwctr');
});
afterAll(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
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
    const conf = { cniVersion: '1.0.0', name: 'fw', type: 'firewall' };
    expect((await run({ command: 'DEL', stdin: conf })).code).toBe(0);
    const add = await run({ command: 'ADD', stdin: conf });
    expect(add.code).toBe(1);
    expect(add.json.msg).toBe('missing prevResult from earlier plugin');
  });

  it('GC and STATUS (1.1.0)', async () => {
    const conf = {
      cniVersion: '1.1.0',
      name: 'fw',
      type: 'firewall',
      backend: 'iptables',
      'cni.dev/valid-attachments': [],
    };
    expect((await run({ command: 'GC', stdin: conf })).code).toBe(0);
    expect((await run({ command: 'STATUS', stdin: conf })).code).toBe(0);
    const st = await run({ command: 'STATUS', stdin: { ...conf, backend: 'firewalld' } });
    expect(st.code).toBe(1);
    expect(st.json.code).toBe(50);
  });
});
