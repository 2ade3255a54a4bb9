// `cnitool demo` as the built process: the full chain from dist/cni/bin (tests/demo covers the
// README command), a chain limited by CNI_PATH to what exists, and a failure that cleans up.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distCniBin, type TempDir, tempDir } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CNITOOL, cnitool } from './helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir('cnitool-demo-test-');
});
afterEach(() => tmp.cleanup());

const demoNamespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('cnidemo-'));

/** A plugin directory offering only `types`, each a wrapper over dist/cni/bin. */
function pluginDir(types: string[]): string {
  for (const t of types) {
    writeFileSync(join(tmp.path, t), `#!/bin/sh\nexec ${join(distCniBin, t)} "$@"\n`, { mode: 0o755 });
  }
  return tmp.path;
}

describe('cnitool demo', () => {
  it('runs every step with timings and leaves nothing (plugins from the build by default)', async () => {
    const before = demoNamespaces();
    const r = await cnitool(undefined, ['demo'], {}, { timeoutMs: 180_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = r.stdout.split('\n').filter((l) => /^\[ *\d+\.\d\d s\] /.test(l));
    const text = steps.join('\n');
    expect(text).toContain(`plugins from ${distCniBin}`);
    expect(text).toMatch(
      /network "cnitool-demo" \(embedded, cniVersion 1\.1\.0\): bridge → portmap → firewall/,
    );
    expect(text).toMatch(/validate: \d+ plugins found/);
    expect(text).toMatch(
      /cnitool add cnitool-demo \/run\/netns\/cnidemo-cont-\w+: container ID cnitool-[0-9a-f]{20} \(\d+ ms\)/,
    );
    const rules =
      /container interfaces: eth0 with 10\.88\.77\.\d+\/24; host firewall rules naming the container: (\d+)/.exec(
        text,
      );
    // portmap, firewall and ipMasq rules exist after ADD, so "no rule" after DEL means something.
    expect(Number(rules?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/cnitool check: .* \(\d+ ms\)/);
    expect(text).toMatch(/cnitool status: .* \(\d+ ms\)/);
    expect(text).toMatch(/container → gateway 10\.88\.77\.1:18081: "hello from the gateway"/);
    expect(text).toMatch(
      /host → 10\.88\.77\.1:18080, mapped to 10\.88\.77\.\d+:8080: "hello from the container/,
    );
    expect(text).toMatch(/cnitool del: .* \(\d+ ms\)/);
    expect(text).toMatch(/cnitool gc: .* \(\d+ ms\)/);
    expect(text).toContain('nothing left');
    expect(steps.at(-1)).toMatch(/demo passed; namespaces removed$/);
    // The result is printed between the steps.
    expect(r.stdout).toMatch(/\n\{\n {4}"cniVersion": "1\.1\.0",[\s\S]*"address": "10\.88\.77\.\d+\/24"/);
    expect(demoNamespaces()).toEqual(before);
  });

  it('uses only the plugins CNI_PATH has: bridge + host-local alone still pass', async () => {
    const dir = pluginDir(['bridge', 'host-local']);
    const r = await cnitool(undefined, ['demo'], { CNI_PATH: dir }, { timeoutMs: 180_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`plugins from ${dir} (CNI_PATH)`);
    expect(r.stdout).toContain('): bridge, ipam host-local');
    expect(r.stdout).toContain('not found, left out of the chain: portmap, firewall, tuning, bandwidth');
    expect(r.stdout).toContain('container → gateway');
    expect(r.stdout).not.toContain('mapped to');
    expect(r.stdout).toContain('demo passed');
  });

  it('fails clearly without bridge/host-local, and a failing step still removes everything', async () => {
    const none = await cnitool(undefined, ['demo'], { CNI_PATH: pluginDir(['portmap']) });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the demo needs at least the bridge and host-local plugins');
    expect(none.stdout).toContain('demo FAILED');

    // A "bridge" that fails ADD: the demo reports the libcni error and cleans up.
    writeFileSync(
      join(tmp.path, 'bridge'),
      '#!/bin/sh\ncase "$CNI_COMMAND" in\nVERSION) echo \'{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}\';;\nADD) echo \'{"code":11,"msg":"bridge says no"}\'; exit 1;;\nesac\n',
      { mode: 0o755 },
    );
    pluginDir(['host-local']);
    const before = demoNamespaces();
    const r = await cnitool(undefined, ['demo'], { CNI_PATH: tmp.path }, { timeoutMs: 180_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'demo failed: cnitool add failed (exit 1): plugin type="bridge" failed (add): bridge says no',
    );
    expect(r.stdout).toContain('demo FAILED');
    expect(demoNamespaces()).toEqual(before);
  });

  it('Ctrl-C stops the running step and still removes the namespaces (exit 130)', async () => {
    const before = demoNamespaces();
    const child = spawn(process.execPath, [CNITOOL, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        // Interrupt once the namespaces exist and the ADD is under way.
        if (!sent && stdout.includes('namespaces: ')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', resolve);
    });
    expect(sent).toBe(true);
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toContain('interrupted: cleaning up');
    expect(stdout).toContain('demo interrupted; namespaces removed');
    expect(stdout).not.toContain('demo passed');
    expect(demoNamespaces()).toEqual(before);
  });
});
