// A plugin package installed alone from its packed tarball into an empty directory works: its
// @cni/* dependencies come from their packed tarballs (as they would from the registry), its
// cni-<type> bin answers VERSION and does a real ADD/DEL.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
let work: string;
const tarballs = new Map<string, string>(); // package name → tarball path

function publicPackages(): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  for (const base of ['packages', 'packages/plugins']) {
    for (const d of readdirSync(join(repo, base), { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      try {
        const pkg = JSON.parse(readFileSync(join(repo, base, d.name, 'package.json'), 'utf8'));
        if (!pkg.private) out.push({ name: pkg.name, dir: join(repo, base, d.name) });
      } catch {
        // not a package
      }
    }
  }
  return out;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cni-npm-'));
  const packs = join(work, 'packs');
  mkdirSync(packs);
  for (const p of publicPackages()) {
    // pnpm pack turns workspace:^ into real version ranges, as publishing does.
    const out = execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: p.dir, encoding: 'utf8' });
    tarballs.set(p.name, out.trim().split('\n').pop()!.trim());
  }
}, 300_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm i ./cni-plugin-<type>-x.y.z.tgz into an empty directory', () => {
  it('host-local installs with its @cni/* dependencies and works as cni-host-local', () => {
    const app = join(work, 'app');
    mkdirSync(app);
    const overrides = Object.fromEntries(
      [...tarballs].filter(([n]) => n !== '@cni/plugin-host-local').map(([n, f]) => [n, `file:${f}`]),
    );
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, overrides }));
    const r = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', tarballs.get('@cni/plugin-host-local')!],
      {
        cwd: app,
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const bin = join(app, 'node_modules', '.bin', 'cni-host-local');
    const version = spawnSync(bin, [], {
      input: '{"cniVersion":"1.0.0"}',
      env: { ...process.env, CNI_COMMAND: 'VERSION' },
      encoding: 'utf8',
    });
    expect(version.status, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout).supportedVersions).toContain('1.1.0');
    const dataDir = join(work, 'ipam');
    const conf = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'npmtest',
      type: 'host-local',
      ipam: { type: 'host-local', subnet: '10.251.0.0/24', dataDir },
    });
    const env = {
      ...process.env,
      CNI_CONTAINERID: 'npm1',
      CNI_NETNS: '/var/run/netns/none',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/nonexistent',
    };
    const add = spawnSync(bin, [], { input: conf, env: { ...env, CNI_COMMAND: 'ADD' }, encoding: 'utf8' });
    expect(add.status, add.stdout + add.stderr).toBe(0);
    expect(JSON.parse(add.stdout).ips[0].address).toBe('10.251.0.2/24');
    const del = spawnSync(bin, [], { input: conf, env: { ...env, CNI_COMMAND: 'DEL' }, encoding: 'utf8' });
    expect(del.status, del.stdout + del.stderr).toBe(0);
    expect(readdirSync(join(dataDir, 'npmtest')).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });

  it('bridge installs with its @cni/* dependencies and does a real ADD/CHECK/DEL with host-local', () => {
    const app = join(work, 'app-bridge');
    mkdirSync(app);
    const wanted = ['@cni/plugin-bridge', '@cni/plugin-host-local'];
    const overrides = Object.fromEntries(
      [...tarballs].filter(([n]) => !wanted.includes(n)).map(([n, f]) => [n, `file:${f}`]),
    );
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, overrides }));
    const r = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', ...wanted.map((n) => tarballs.get(n)!)],
      {
        cwd: app,
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // A CNI_PATH made of the installed bins, named by type as a runtime looks them up.
    const cniPath = join(app, 'cni-bin');
    mkdirSync(cniPath);
    for (const t of ['bridge', 'host-local'])
      symlinkSync(join(app, 'node_modules', '.bin', `cni-${t}`), join(cniPath, t));
    const host = makeNetNS('npmhost');
    const cont = makeNetNS('npmcont');
    try {
      const conf = {
        cniVersion: '1.0.0',
        name: 'npmbr',
        type: 'bridge',
        bridge: 'cninpm0',
        isGateway: true,
        ipam: { type: 'host-local', subnet: '10.252.0.0/24', dataDir: join(work, 'ipam-br') },
      };
      const run = (command: string, c: object) =>
        host.run(() =>
          spawnSync(join(cniPath, 'bridge'), [], {
            input: JSON.stringify(c),
            encoding: 'utf8',
            env: {
              ...process.env,
              CNI_COMMAND: command,
              CNI_CONTAINERID: 'npmbr1',
              CNI_NETNS: cont.path,
              CNI_IFNAME: 'eth0',
              CNI_PATH: cniPath,
            },
          }),
        );
      const add = run('ADD', conf);
      expect(add.status, add.stdout + add.stderr).toBe(0);
      const result = JSON.parse(add.stdout);
      expect(result.ips[0].address).toBe('10.252.0.2/24');
      const check = run('CHECK', { ...conf, prevResult: result });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const del = run('DEL', { ...conf, prevResult: result });
      expect(del.status, del.stdout + del.stderr).toBe(0);
    } finally {
      destroyNetNS(cont);
      destroyNetNS(host);
    }
  });
});
