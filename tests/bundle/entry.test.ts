// The plugin entry of dist/cni/bin (run `pnpm build` first): with cni_sys.node (libc calls, and
// _exit(2) once a verb's output is written) and, from a copy without it, through koffi and
// process.exit(). Either way: the whole output, the exit code, the same kernel work.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  destroyNetNS,
  distCniBin,
  makeNetNS,
  type PluginProcessResult,
  type RunPluginOptions,
  runPluginProcess,
  type TestNetNS,
} from '@cni-internal/test-kit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let withoutAddon: string;
beforeAll(() => {
  // a copy of the bundle without the addon (its launchers find cni-ts/ beside themselves)
  withoutAddon = mkdtempSync(join(tmpdir(), 'cni-entry-'));
  cpSync(distCniBin, withoutAddon, { recursive: true });
  rmSync(join(withoutAddon, 'cni-ts', 'cni_sys.node'));
});
afterAll(() => rmSync(withoutAddon, { recursive: true, force: true }));

let host: TestNetNS;
let cont: TestNetNS;
beforeEach(() => {
  host = makeNetNS('enth');
  cont = makeNetNS('entc');
  execFileSync('ip', ['-n', cont.name, 'link', 'set', 'lo', 'down']);
});
afterEach(() => {
  destroyNetNS(cont);
  destroyNetNS(host);
});

function run(
  dir: string,
  opts: Omit<RunPluginOptions, 'path'>,
  type = 'loopback',
): Promise<PluginProcessResult> {
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

// A prevResult of ~2,000 routes: loopback prints it back, ~150 KB, more than a pipe holds.
const big = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0' }],
  ips: [{ address: '10.1.0.2/16', interface: 0 }],
  routes: Array.from({ length: 2000 }, (_, i) => ({
    dst: `10.${100 + (i >> 8)}.${i & 255}.0/24`,
    gw: '10.1.0.1',
  })),
};

describe('dist/cni/bin entry', () => {
  it('builds cni_sys.node into the bundle', () => {
    expect(existsSync(join(distCniBin, 'cni-ts', 'cni_sys.node'))).toBe(true);
  });

  it('a root build trains a code cache per verb for bridge, ptp, portmap and firewall, which this Node accepts', () => {
    const script = `
      const fs = require('fs'), vm = require('vm'), path = require('path');
      const dir = ${JSON.stringify(join(distCniBin, 'cni-ts'))};
      const out = {};
      for (const type of ['bridge', 'ptp', 'portmap', 'firewall']) {
        const file = path.join(dir, type + '.cjs');
        const source = fs.readFileSync(file, 'latin1');
        for (const verb of ['ADD', 'DEL']) {
          const cachedData = fs.readFileSync(file + '.' + verb + '.cache');
          out[type + ' ' + verb] = !new vm.Script(source, { filename: file, cachedData }).cachedDataRejected;
        }
      }
      process.stdout.write(JSON.stringify(out));`;
    const accepted = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } }),
    );
    expect(Object.values(accepted)).toHaveLength(8);
    expect(accepted).toEqual(Object.fromEntries(Object.keys(accepted).map((k) => [k, true])));
  });

  for (const variant of ['with cni_sys.node', 'without it (koffi)'] as const) {
    it(`${variant}: exit codes, the whole output, the kernel work`, async () => {
      const dir = variant === 'with cni_sys.node' ? distCniBin : withoutAddon;
      const version = await run(dir, { command: 'VERSION', stdin: { cniVersion: '1.0.0' } });
      expect(version.code).toBe(0);
      expect(JSON.parse(version.stdout).supportedVersions).toContain('1.1.0');

      const bad = await run(dir, { command: 'ADD', netns: cont.path, stdin: '{"cniVersion":"1.0.0",' });
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout).code).toBe(6); // decoding failure

      const add = await run(dir, {
        command: 'ADD',
        netns: cont.path,
        stdin: { cniVersion: '1.0.0', name: 'entry', type: 'loopback', prevResult: big },
      });
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout.length).toBeGreaterThan(100_000);
      expect(JSON.parse(add.stdout)).toEqual(big);
      const flags = JSON.parse(
        execFileSync('ip', ['-n', cont.name, '-j', 'link', 'show', 'lo'], { encoding: 'utf8' }),
      )[0].flags;
      expect(flags).toContain('UP');

      const del = await run(dir, {
        command: 'DEL',
        netns: cont.path,
        stdin: { cniVersion: '1.0.0', name: 'entry', type: 'loopback' },
      });
      expect(del.code, del.stderr).toBe(0);
      expect(del.stdout).toBe('');
    });
  }

  it("holds a runtime's NODE_OPTIONS and NODE_EXTRA_CA_CERTS away from its Node, and gives them back to the programs it runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cni-entry-env-'));
    try {
      // an IPAM plugin of somebody else's (no marker: bridge execs it) that records its environment
      writeFileSync(
        join(dir, 'envipam'),
        `#!/bin/sh
env > "${dir}/env.$CNI_COMMAND"
[ "$CNI_COMMAND" = ADD ] && printf '%s' '{"cniVersion":"1.0.0","ips":[{"address":"10.251.3.2/24","gateway":"10.251.3.1"}]}'
exit 0
`,
        { mode: 0o755 },
      );
      const runtimeEnv = {
        // either of these would stop or slow a Node that read them
        NODE_OPTIONS: '--require=/nonexistent/cni-ts-test.js',
        NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem',
      };
      const conf = {
        cniVersion: '1.0.0',
        name: 'entry-env',
        type: 'bridge',
        bridge: 'cnienv0',
        ipam: { type: 'envipam' },
      };
      for (const command of ['ADD', 'DEL'] as const) {
        let p!: Promise<PluginProcessResult>;
        host.run(() => {
          p = runPluginProcess(join(distCniBin, 'bridge'), {
            command,
            netns: cont.path,
            path: `${dir}:${distCniBin}`,
            stdin: conf,
            env: runtimeEnv,
          });
        });
        const r = await p;
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stderr).toBe('');
        if (command === 'ADD') expect(JSON.parse(r.stdout).ips[0].address).toBe('10.251.3.2/24');
        const seen = readFileSync(join(dir, `env.${command}`), 'utf8').split('\n');
        expect(seen).toContain(`NODE_OPTIONS=${runtimeEnv.NODE_OPTIONS}`);
        expect(seen).toContain(`NODE_EXTRA_CA_CERTS=${runtimeEnv.NODE_EXTRA_CA_CERTS}`);
        expect(seen.filter((l) => l.startsWith('CNI_TS_HELD_'))).toEqual([]);
      }
      expect(execFileSync('ip', ['-n', cont.name, '-br', 'link'], { encoding: 'utf8' })).not.toContain(
        'eth0',
      );

      // CNI_TS_NODE_OPTIONS is what the plugin's own Node gets
      const marker = join(dir, 'preloaded');
      writeFileSync(
        join(dir, 'preload.cjs'),
        `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes');`,
      );
      const version = await run(distCniBin, {
        command: 'VERSION',
        stdin: { cniVersion: '1.0.0' },
        env: { ...runtimeEnv, CNI_TS_NODE_OPTIONS: `--require=${join(dir, 'preload.cjs')}` },
      });
      expect(version.code, version.stderr).toBe(0);
      expect(readFileSync(marker, 'utf8')).toBe('yes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
