// Build the shared plugin bundle and the per-type launchers (DESIGN §5, §10):
//   <out>/<type>            a tiny /bin/sh launcher per plugin type (or <type>.cmd on Windows)
//   <out>/cni-ts/cni.mjs    the entry: checks Node, then loads only the requested plugin's chunk
//   <out>/cni-ts/*.mjs      code-split chunks (shared code once, one chunk per plugin)
//   <out>/cni-ts/node_modules/koffi  koffi's loader + the native module of the target platform
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './plugins.mjs';

/** name → directory of every package under packages/ (the bundle is built from their dist/). */
export function workspaceAliases() {
  const alias = {};
  for (const base of ['packages', 'packages/plugins']) {
    for (const d of readdirSync(join(repoRoot, base), { withFileTypes: true })) {
      const pj = join(repoRoot, base, d.name, 'package.json');
      if (!d.isDirectory() || !existsSync(pj)) continue;
      alias[JSON.parse(readFileSync(pj, 'utf8')).name] = join(repoRoot, base, d.name);
    }
  }
  return alias;
}

export const MIN_NODE = '20.19.0';

function entrySource() {
  // Kept free of modern syntax so that an old Node reaches the version check.
  return `// cni-ts plugin entry
var want = ${JSON.stringify(MIN_NODE)}.split('.').map(Number);
var have = process.versions.node.split('.').map(Number);
var type = process.argv[2] || '';
if (have[0] < want[0] || (have[0] === want[0] && have[1] < want[1])) {
  var msg = 'cni-ts plugins need Node.js >= ${MIN_NODE}; this is ' + process.version + ' (' + process.execPath + ')';
  process.stderr.write(msg + '\\n');
  process.stdout.write(JSON.stringify({ code: 999, msg: msg }, null, 4));
  process.exitCode = 1;
} else {
  import('./dispatch.mjs').then(function (m) { return m.main(type); });
}
`;
}

function dispatchSource(plugins) {
  const loaders = plugins
    .map((p) => `  ${JSON.stringify(p.type)}: () => import(${JSON.stringify(p.name)}).then((m) => m.plugin),`)
    .join('\n');
  return `import { pluginMain, registerInProcessPlugin } from '@cni/skel';

const loaders = {
${loaders}
};

export async function main(type) {
  const load = loaders[type];
  if (!load) {
    const msg = 'unknown plugin type "' + type + '"; this bundle has: ' + Object.keys(loaders).join(', ');
    process.stderr.write(msg + '\\n');
    process.stdout.write(JSON.stringify({ code: 999, msg }, null, 4));
    process.exitCode = 1;
    return;
  }
  for (const [t, l] of Object.entries(loaders)) registerInProcessPlugin(t, l);
  await pluginMain(await load());
}
`;
}

export function launcherSh(type) {
  // The marker line lets @cni/skel recognise one of our plugins in CNI_PATH and run it in
  // process instead of starting another Node (DESIGN §5).
  return `#!/bin/sh
# // cni-ts-plugin: ${type}
d=\${0%/*}
[ "$d" = "$0" ] && d=.
node=\${CNI_TS_NODE:-node}
if ! command -v "$node" >/dev/null 2>&1; then
  echo "cni-ts ${type}: Node.js >= ${MIN_NODE} is required but '$node' was not found on PATH ($PATH)" >&2
  printf '{\\n    "code": 999,\\n    "msg": "cni-ts ${type}: Node.js >= ${MIN_NODE} is required but was not found on PATH"\\n}'
  exit 1
fi
exec "$node" "$d/cni-ts/cni.mjs" ${type} "$@"
`;
}

/**
 * @param {{ out: string, plugins: {type:string,name:string}[], minify?: boolean }} o
 */
export async function buildBundle({ out, plugins, minify = true }) {
  const lib = join(out, 'cni-ts');
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const tmp = join(repoRoot, 'node_modules', '.cache', 'cni-ts-bundle');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'cni.mjs'), entrySource());
  writeFileSync(join(tmp, 'dispatch.mjs'), dispatchSource(plugins));
  await build({
    entryPoints: { cni: join(tmp, 'cni.mjs'), dispatch: join(tmp, 'dispatch.mjs') },
    absWorkingDir: repoRoot,
    alias: workspaceAliases(),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: lib,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    external: ['koffi'],
    minify,
    legalComments: 'none',
    logLevel: 'warning',
    // ESM output that still offers require() to bundled CommonJS code.
    banner: {
      js: "import { createRequire as __cniCreateRequire } from 'node:module'; const require = __cniCreateRequire(import.meta.url);",
    },
  });
  return lib;
}

export function writeLaunchers(out, plugins) {
  for (const p of plugins) {
    const f = join(out, p.type);
    writeFileSync(f, launcherSh(p.type));
    chmodSync(f, 0o755);
  }
}
