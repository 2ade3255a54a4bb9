#!/usr/bin/env node
// node scripts/release.mjs <version> [--out DIR] [--only linux-amd64,linux-arm64]
// Writes release-v<version>/cni-plugins-<os>-<arch>-v<version>.tgz (+ .sha256, .sha512) for every
// platform koffi ships a binary for. Reproducible: the same commit gives the same bytes
// (sorted entries, owner 0:0, mtime = the commit's time, gzip without a timestamp).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildBundle, launcherSh, MIN_NODE } from './lib/bundle.mjs';
import { buildSea, buildSeaBundle, SEA_NODE } from './lib/sea.mjs';
import { fetchPackage } from './lib/npm-fetch.mjs';
import { koffiDir, stageKoffi } from './lib/koffi.mjs';
import { buildSysNativeFor } from './lib/native.mjs';
import { PLATFORMS } from './lib/platforms.mjs';
import { listPlugins, repoRoot } from './lib/plugins.mjs';

const args = process.argv.slice(2);
const version = args.find((a) => !a.startsWith('--') && !args[args.indexOf(a) - 1]?.startsWith('--'));
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error('usage: release.mjs <version> [--out DIR] [--only os-arch,…] [--no-standalone]');
  process.exit(2);
}
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = opt('--out') ?? join(repoRoot, `release-v${version}`);
const only = opt('--only')?.split(',');
const standalone = !args.includes('--no-standalone');
const tag = `v${version}`;
const epoch = Number(
  process.env.SOURCE_DATE_EPOCH ??
    execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot, encoding: 'utf8' }).trim(),
);
const koffiVersion = JSON.parse(readFileSync(join(koffiDir(), 'package.json'), 'utf8')).version;

const work = join(repoRoot, 'node_modules', '.cache', 'cni-ts-release', `stage-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

function tarballReadme(platform, plugins, sysNative) {
  return `# CNI plugins (TypeScript) ${tag} — ${platform.os}/${platform.arch}

Drop-in replacements for the Container Network Interface reference plugins. Unpack into your
CNI plugin directory (usually /opt/cni/bin):

    sha256sum -c cni-plugins-${platform.os}-${platform.arch}-${tag}.tgz.sha256
    mkdir -p /opt/cni/bin && tar -xzf cni-plugins-${platform.os}-${platform.arch}-${tag}.tgz -C /opt/cni/bin

To upgrade, extract the new tarball the same way: tar replaces each file with a new one. Do not
copy files over the old ones in place while plugins may run (a running plugin maps its bundle).

**These plugins need Node.js >= ${MIN_NODE} on the host** (\`node\` on the PATH the runtime gives
plugins, or set CNI_TS_NODE to its path). A plugin started without a usable Node says so on stderr
and prints a CNI error on stdout. For nodes without Node.js use the \`-standalone\` tarball.
The plugins' Node does not read NODE_OPTIONS or NODE_EXTRA_CA_CERTS from the runtime's environment
(the programs a plugin runs still get them); set CNI_TS_NODE_OPTIONS to pass options to it.

Plugins: ${plugins.map((p) => p.type).join(', ')}.
Layout: one launcher per plugin type; the code in cni-ts/ (cni.cjs, the entry, and one CommonJS bundle per type);
koffi ${koffiVersion} for ${platform.os}/${platform.arch} in cni-ts/node_modules/koffi${
    sysNative
      ? `;
cni-ts/cni_sys.node, the plugins' own small addon for their libc calls (koffi is the fallback)`
      : ''
  }.
manifest.json lists every @cni/plugin-* package and its version.
`;
}

/** Reproducible tar.gz of a directory's contents (members ./…). */
export function reproducibleTar(dir, file) {
  // Fixed mtime on every entry, sorted names, numeric owner 0:0, normalised modes.
  execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', `@${epoch}`, '{}', '+']);
  const tar = execFileSync(
    'tar',
    [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=@${epoch}`,
      '--mode=go-w,u+rw,a+rX',
      '--format=gnu',
      '-C',
      dir,
      '-cf',
      '-',
      '.',
    ],
    { maxBuffer: 1 << 30 },
  );
  const gz = execFileSync('gzip', ['-n', '-9'], { input: tar, maxBuffer: 1 << 30 });
  writeFileSync(file, gz);
  return gz;
}

function checksums(file, data) {
  for (const algo of ['sha256', 'sha512']) {
    const sum = createHash(algo).update(data).digest('hex');
    writeFileSync(`${file}.${algo}`, `${sum}  ${basename(file)}\n`);
  }
}

const all = listPlugins();
const bundleDir = join(work, 'bundle');
mkdirSync(bundleDir, { recursive: true });
// One bundle per plugin type; each platform's tarball carries the bundles of its plugins.
await buildBundle({ out: bundleDir, plugins: all });

const written = [];
for (const platform of PLATFORMS) {
  const id = `${platform.os}-${platform.arch}`;
  if (only && !only.includes(id)) continue;
  const plugins = all.filter((p) => p.platforms.includes(platform.os));
  if (platform.os === 'windows') continue; // single-executable .exe files: below
  const stage = join(work, id);
  mkdirSync(stage, { recursive: true });
  mkdirSync(join(stage, 'cni-ts'), { recursive: true });
  for (const f of ['cni.cjs', ...plugins.map((p) => `${p.type}.cjs`)]) {
    cpSync(join(bundleDir, 'cni-ts', f), join(stage, 'cni-ts', f));
  }
  const nativeDir =
    platform.koffiPkg === 'linux-x64'
      ? undefined
      : fetchPackage(`@koromix/koffi-${platform.koffiPkg}@${koffiVersion}`);
  stageKoffi(join(stage, 'cni-ts'), platform.koffiPkg, platform.triplet, nativeDir);
  // The libc calls without koffi's start-up cost, where a compiler for the platform is installed.
  const sysNative = buildSysNativeFor(platform, join(stage, 'cni-ts'));
  for (const p of plugins) {
    writeFileSync(join(stage, p.type), launcherSh(p.type));
    chmodSync(join(stage, p.type), 0o755);
  }
  cpSync(join(repoRoot, 'LICENSE'), join(stage, 'LICENSE'));
  writeFileSync(join(stage, 'README.md'), tarballReadme(platform, plugins, sysNative));
  const manifest = {
    version: tag,
    platform: id,
    node: `>=${MIN_NODE}`,
    koffi: koffiVersion,
    sysNative,
    plugins: Object.fromEntries(plugins.map((p) => [p.type, { package: p.name, version: p.version }])),
  };
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const file = join(out, `cni-plugins-${id}-${tag}.tgz`);
  const data = reproducibleTar(stage, file);
  checksums(file, data);
  written.push({ file, size: data.length });
}
function standaloneReadme(platform, plugins, exe) {
  return `# CNI plugins (TypeScript) ${tag} — ${platform.os}/${platform.arch}, standalone

Drop-in replacements for the Container Network Interface reference plugins that need no Node.js on
the host: \`${exe}\` is a single executable (Node.js ${SEA_NODE[`${platform.os}-${platform.arch}`].version} with the
plugins' bundle inside); every plugin type is a hard link to it and it runs as the plugin it is
started as. koffi's native module for this platform is in cni-ts/node_modules/koffi; on Linux,
cni-ts/cni_sys.node (when manifest.json says sysNative) is the plugins' own addon for their libc calls.

    sha256sum -c <tarball>.sha256
    mkdir -p ${platform.os === 'windows' ? 'C:\\opt\\cni\\bin' : '/opt/cni/bin'} && tar -xzf <tarball> -C <that directory>

Plugins: ${plugins.map((p) => p.type).join(', ')}. manifest.json lists their packages and versions.
`;
}

// Single-executable tarballs: linux amd64/arm64 (-standalone, next to the slim ones) and the
// Windows tarballs, whose <type>.exe files must be real executables for containerd.
if (standalone) {
  const seaBundle = await buildSeaBundle(all, join(work, 'sea-bundle.cjs'));
  for (const platform of PLATFORMS) {
    const id = `${platform.os}-${platform.arch}`;
    if (!SEA_NODE[id] || (only && !only.includes(id))) continue;
    const plugins = all.filter((p) => p.platforms.includes(platform.os));
    const stage = join(work, `${id}-standalone`);
    mkdirSync(join(stage, 'cni-ts'), { recursive: true });
    const win = platform.os === 'windows';
    const exe = win ? 'cni-plugins.exe' : 'cni-plugins';
    buildSea({ target: id, bundle: seaBundle, outFile: join(stage, exe), work: join(work, 'sea') });
    for (const p of plugins) linkSync(join(stage, exe), join(stage, win ? `${p.type}.exe` : p.type));
    const nativeDir =
      platform.koffiPkg === 'linux-x64'
        ? undefined
        : fetchPackage(`@koromix/koffi-${platform.koffiPkg}@${koffiVersion}`);
    stageKoffi(join(stage, 'cni-ts'), platform.koffiPkg, platform.triplet, nativeDir);
    const sysNative = buildSysNativeFor(platform, join(stage, 'cni-ts'));
    cpSync(join(repoRoot, 'LICENSE'), join(stage, 'LICENSE'));
    writeFileSync(join(stage, 'README.md'), standaloneReadme(platform, plugins, exe));
    const manifest = {
      version: tag,
      platform: id,
      variant: 'standalone',
      node: SEA_NODE[id].version,
      koffi: koffiVersion,
      sysNative,
      plugins: Object.fromEntries(plugins.map((p) => [p.type, { package: p.name, version: p.version }])),
    };
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const names = win
      ? [`cni-plugins-${id}-${tag}.tgz`, `cni-plugins-${id}-${tag}-standalone.tgz`]
      : [`cni-plugins-${id}-${tag}-standalone.tgz`];
    let data;
    for (const name of names) {
      const file = join(out, name);
      data = data ?? reproducibleTar(stage, file);
      writeFileSync(file, data);
      checksums(file, data);
      written.push({ file, size: data.length });
    }
    rmSync(stage, { recursive: true, force: true });
  }
}

rmSync(work, { recursive: true, force: true });
for (const w of written) console.log(`${basename(w.file)}  ${(w.size / 1e6).toFixed(2)} MB`);
