// Build the plugin bundles and the per-type launchers (DESIGN §5, §10):
//   <out>/<type>            a tiny /bin/sh launcher per plugin type (or <type>.cmd on Windows)
//   <out>/cni-ts/cni.cjs    the entry: checks Node, then runs <type>.cjs (with V8's code cache)
//   <out>/cni-ts/<type>.cjs  one CommonJS bundle per plugin type: the plugin and the plugins it
//                           runs in process as delegates (+ <type>.cjs.cache in dist/cni/bin)
//   <out>/cni-ts/node_modules/koffi  koffi's loader + the native module of the target platform
//   <out>/cni-ts/cni_sys.node  the libc calls as a small addon (scripts/lib/native.mjs), when built
// One bundle per type, not one for all: a process reads, and V8 deserializes, only the code of
// the plugin it runs (measured here: bridge's 175 KB instead of 283 KB, ~5 ms per start).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Module.wrap's wrapper around each stored bundle: the entry runs the function it evaluates to. */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAP_TAIL = '\n});\n';

/**
 * Types whose code caches are also trained on real runs when the build runs as root: one cache
 * for ADD and one for DEL (<type>.cjs.ADD.cache, <type>.cjs.DEL.cache) beside the general one.
 */
const REAL_TRAINING = new Set(['bridge', 'ptp', 'portmap', 'firewall']);

function entrySource() {
  // Kept free of modern syntax so that an old Node reaches the version check. The plugin's
  // bundle is compiled through vm.Script with V8's code cache (<type>.cjs.cache, written by
  // writeCodeCache at build time) when one is present and accepted: no parsing or compiling of
  // the code a plugin runs at start-up. A missing or rejected cache (another Node or V8 build)
  // only costs the compile. Bundles are ASCII (checked at build): read as latin1, no decoding.
  return `// cni-ts plugin entry
'use strict';
var want = ${JSON.stringify(MIN_NODE)}.split('.').map(Number);
var have = process.versions.node.split('.').map(Number);
var type = process.argv[2] || '';
function fail(msg) {
  process.stderr.write(msg + '\\n');
  process.stdout.write(JSON.stringify({ code: 999, msg: msg }, null, 4));
  process.exitCode = 1;
}
function run() {
  // A plugin run (no subcommand such as 'dhcp daemon') needs one libuv pool thread at most
  // (@cni/ns starts the pool at load, in the original namespace): not four.
  var verb = process.argv.length === 3;
  if (verb && !process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '1';
  // The launcher held the runtime's NODE_OPTIONS and NODE_EXTRA_CA_CERTS away from this Node;
  // the programs the plugin runs (delegates, iptables) get them back, as from a Go plugin.
  ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'].forEach(function (k) {
    var held = 'CNI_TS_HELD_' + k;
    if (held in process.env) {
      process.env[k] = process.env[held];
      delete process.env[held];
    }
  });
  var fs = require('fs');
  var path = require('path');
  var file = path.join(__dirname, type + '.cjs');
  // The bundle's own addon (libc calls, _exit, mapped files), when built for this platform.
  var sys = { exports: {} };
  try { process.dlopen(sys, path.join(__dirname, 'cni_sys.node')); } catch (e) { sys.exports = {}; }
  // The bundle and its cache as read-only mappings of the files (mapFile: null when it cannot),
  // else read into memory.
  var mapFile = typeof sys.exports.mapFile === 'function' ? sys.exports.mapFile : function () { return null; };
  var source;
  try {
    if (/^[a-z0-9][a-z0-9-]*$/.test(type)) source = mapFile(file, 1) || fs.readFileSync(file, 'latin1');
  } catch (e) {
    source = undefined;
  }
  if (source === undefined) {
    var types = fs.readdirSync(__dirname).filter(function (f) { return /\\.cjs$/.test(f) && f !== 'cni.cjs'; });
    return fail('unknown plugin type "' + type + '"; this bundle has: ' + types.map(function (f) { return f.slice(0, -4); }).join(', '));
  }
  var vm = require('vm');
  var cacheFile = file + '.cache';
  var cached;
  // Types trained on real runs have a cache per verb for ADD and DEL (<type>.cjs.ADD.cache):
  // each holds the code of its verb and not the other's.
  var command = process.env.CNI_COMMAND;
  if (verb && (command === 'ADD' || command === 'DEL') && ${JSON.stringify([...REAL_TRAINING])}.indexOf(type) >= 0) {
    try { cached = mapFile(file + '.' + command + '.cache', 0) || fs.readFileSync(file + '.' + command + '.cache'); } catch (e) { cached = undefined; }
  }
  if (cached === undefined) {
    try { cached = mapFile(cacheFile, 0) || fs.readFileSync(cacheFile); } catch (e) { cached = undefined; }
  }
  // koffi's native module as staged beside (loaded by @cni/ns with process.dlopen, no resolution),
  // and the bundle's own addon for the libc calls, which @cni/ns prefers when it is there.
  globalThis.__cniTsKoffiNative = path.join(__dirname, 'node_modules', 'koffi', 'build', 'koffi', process.platform + '_' + process.arch, 'koffi.node');
  // (@cni/ns takes the addon's exports as loaded here: no second dlopen)
  if (typeof sys.exports.waitpid === 'function') globalThis.__cniTsSysNative = sys.exports;
  // The bundle is stored already inside Module.wrap's wrapper (see WRAP_HEAD): no copy of it is
  // made here, and node:module is not loaded. Its require is this file's (same directory), so no
  // createRequire either.
  var script = new vm.Script(source, { filename: file, cachedData: cached });
  var mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, file, __dirname);
  var writeTo = process.env.CNI_TS_WRITE_CODE_CACHE;
  if (writeTo && (writeTo === cacheFile || writeTo === file + '.ADD.cache' || writeTo === file + '.DEL.cache')) {
    // written beside and renamed: a plugin running meanwhile keeps the file it mapped
    mod.exports.train(type).then(function () {
      fs.writeFileSync(writeTo + '.tmp', script.createCachedData());
      fs.renameSync(writeTo + '.tmp', writeTo);
    });
  } else {
    // Once the verb's output is written (synchronously), exit at once; process.exitCode stands.
    // Through cni_sys.node's _exit(2) when it is there: not even process.exit()'s teardown of Node's environment, V8 and its worker threads
    // (~2 ms). Else process.exit(), which still skips the heap teardown of a natural end.
    var done = mod.exports.main(type);
    if (verb) done.then(function () {
      var code = process.exitCode === undefined ? 0 : Number(process.exitCode) & 0xff;
      if (typeof sys.exports.exit === 'function') sys.exports.exit(code);
      process.exit();
    });
  }
}
if (have[0] < want[0] || (have[0] === want[0] && have[1] < want[1])) {
  fail('cni-ts plugins need Node.js >= ${MIN_NODE}; this is ' + process.version + ' (' + process.execPath + ')');
} else {
  run();
}
`;
}

/** IPAM plugin types: a main plugin runs them in its own process when CNI_PATH has ours. */
export const IPAM_TYPES = ['host-local', 'static', 'dhcp'];
/** Main plugins that delegate to IPAM. */
const IPAM_USERS = new Set([
  'bridge',
  'dummy',
  'host-device',
  'ipvlan',
  'macvlan',
  'ptp',
  'tap',
  'vlan',
  'win-bridge',
  'win-overlay',
]);

/**
 * The plugin types in `type`'s bundle: itself first, then the delegates it can run in process
 * (DESIGN §5): IPAM for main plugins; every type for flannel (it delegates to any main plugin,
 * bridge by default). Other delegates are exec'd as any plugin.
 */
export function bundleTypes(type, allTypes) {
  if (type === 'flannel') return [type, ...allTypes.filter((t) => t !== type)];
  if (IPAM_USERS.has(type)) return [type, ...IPAM_TYPES.filter((t) => t !== type && allTypes.includes(t))];
  return [type];
}

function dispatchSource(plugins) {
  const loaders = plugins
    .map((p) => `  ${JSON.stringify(p.type)}: () => import(${JSON.stringify(p.name)}).then((m) => m.plugin),`)
    .join('\n');
  return `import { pluginMain, registerInProcessPlugin, runPlugin } from '@cni/skel';

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

/**
 * Build-time warm-up for the code cache: VERSION and a bad ADD of the plugin and of host-local,
 * the usual in-process delegate. Other delegates stay out of the cache (it is deserialized
 * whole at every start); they compile on use. With CNI_TS_TRAIN_NETNS and CNI_TS_TRAIN_VERB
 * (the build runs the trainer inside a throwaway namespace, see writeCodeCache), then a real ADD
 * or DEL of ${JSON.stringify([...REAL_TRAINING])} with host-local in process: the code of that verb is
 * then in its cache rather than compiled at every start.
 */
export async function train(type) {
  for (const t of new Set([type, 'host-local'])) {
    if (!loaders[t]) continue;
    const def = await loaders[t]();
    await runPlugin(def, { CNI_COMMAND: 'VERSION' }, Buffer.from('{}'));
    await runPlugin(
      def,
      { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'train', CNI_NETNS: '/nonexistent/netns', CNI_IFNAME: 'eth0', CNI_PATH: '/nonexistent' },
      Buffer.from('{"cniVersion":"1.1.0","name":"train","type":"' + def.type + '","ipam":{}}'),
    );
  }
  const netns = process.env.CNI_TS_TRAIN_NETNS;
  const command = process.env.CNI_TS_TRAIN_VERB;
  if (!netns || !command || !${JSON.stringify([...REAL_TRAINING])}.includes(type)) return;
  for (const [t, l] of Object.entries(loaders)) registerInProcessPlugin(t, l);
  const def = await loaders[type]();
  // The chained plugins get the result a bridge ADD would have given them.
  const prevResult = {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'cnitrain0' }, { name: 'eth0', sandbox: netns }],
    ips: [{ address: '10.255.254.2/24', gateway: '10.255.254.1', interface: 1 }],
    dns: {},
  };
  const conf = { cniVersion: '1.1.0', name: 'cni-ts-train', type };
  if (type === 'portmap') {
    conf.runtimeConfig = { portMappings: [{ hostPort: 18999, containerPort: 80, protocol: 'tcp' }] };
    conf.prevResult = prevResult;
  } else if (type === 'firewall') {
    conf.dataDir = process.env.CNI_TS_TRAIN_DATA + '/firewall';
    conf.prevResult = prevResult;
  } else {
    if (type === 'bridge') Object.assign(conf, { bridge: 'cnitrain0', isGateway: true });
    conf.ipam = { type: 'host-local', subnet: '10.255.254.0/24', dataDir: process.env.CNI_TS_TRAIN_DATA };
  }
  // As in a real run, the plugin's env is also process.env (delegation reads CNI_PATH there).
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'cni-ts-train',
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: process.env.CNI_TS_TRAIN_PATH,
  };
  Object.assign(process.env, env);
  const out = await runPlugin(def, env, Buffer.from(JSON.stringify(conf)));
  if (out.exitCode !== 0) throw new Error('training ' + type + ' ' + command + ': ' + out.stdout + out.stderr);
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
# The runtime's Node.js settings are not this plugin's (a Go plugin never sees them): Node reads
# these two as it starts, so they are held aside; the entry puts them back for the programs the
# plugin runs. CNI_TS_NODE_OPTIONS, when set, becomes this Node's NODE_OPTIONS.
[ "\${NODE_OPTIONS+1}" ] && export CNI_TS_HELD_NODE_OPTIONS="$NODE_OPTIONS"
[ "\${NODE_EXTRA_CA_CERTS+1}" ] && export CNI_TS_HELD_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"
unset NODE_OPTIONS NODE_EXTRA_CA_CERTS
[ "\${CNI_TS_NODE_OPTIONS+1}" ] && export NODE_OPTIONS="$CNI_TS_NODE_OPTIONS"
if ! command -v "$node" >/dev/null 2>&1; then
  echo "cni-ts ${type}: Node.js >= ${MIN_NODE} is required but '$node' was not found on PATH ($PATH)" >&2
  printf '{\\n    "code": 999,\\n    "msg": "cni-ts ${type}: Node.js >= ${MIN_NODE} is required but was not found on PATH"\\n}'
  exit 1
fi
exec "$node" "$d/cni-ts/cni.cjs" ${type} "$@"
`;
}

/**
 * Build cni-ts/: the entry and one bundle per plugin type (see bundleTypes).
 * @param {{ out: string, plugins: {type:string,name:string}[], minify?: boolean }} o
 */
export async function buildBundle({ out, plugins, minify = true }) {
  const lib = join(out, 'cni-ts');
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const tmp = join(repoRoot, 'node_modules', '.cache', 'cni-ts-bundle');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(lib, 'cni.cjs'), entrySource());
  const byType = new Map(plugins.map((p) => [p.type, p]));
  const allTypes = plugins.map((p) => p.type);
  // One CommonJS file per type: no ESM loader at start-up (resolution, linking, one compile per
  // chunk), and one script whose code V8 can cache.
  await Promise.all(
    plugins.map(async (p) => {
      const entry = join(tmp, `dispatch-${p.type}.mjs`);
      writeFileSync(entry, dispatchSource(bundleTypes(p.type, allTypes).map((t) => byType.get(t))));
      const outfile = join(lib, `${p.type}.cjs`);
      await build({
        entryPoints: [entry],
        absWorkingDir: repoRoot,
        alias: workspaceAliases(),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        outfile,
        external: ['koffi'],
        minify,
        legalComments: 'none',
        logLevel: 'warning',
        // import.meta.url, computed only where it is read (node:url is not loaded otherwise)
        define: { 'import.meta.url': '__cniImportMeta.url' },
        banner: {
          js: "var __cniImportMeta = { get url() { return require('url').pathToFileURL(__filename).href; } };",
        },
        charset: 'ascii',
      });
      // The entry reads the bundle as latin1 (a one-byte string, no UTF-8 decoding): it must be ASCII.
      // It is stored inside Module.wrap's wrapper, on the same line as its first (so line and
      // column numbers are the bundle's): the entry compiles it as read, without concatenating a
      // second 180 KB string (which V8 allocates in the young generation: it brought a scavenge).
      const text = Buffer.concat([Buffer.from(WRAP_HEAD), readFileSync(outfile), Buffer.from(WRAP_TAIL)]);
      writeFileSync(outfile, text);
      const bad = text.findIndex((b) => b > 0x7f);
      if (bad >= 0) {
        const at = text.subarray(Math.max(0, bad - 60), bad + 20).toString('utf8');
        throw new Error(`${p.type}.cjs is not ASCII at byte ${bad} (escape it in the source): ${at}`);
      }
    }),
  );
  return lib;
}

/**
 * Write cni-ts/<type>.cjs.cache for each plugin: V8's code cache for its bundle, made by this
 * Node after a warm-up run. Only for bundles run by this same Node (dist/cni/bin); release
 * tarballs go without (the cache is not reproducible and another Node would reject it). As root,
 * bridge and ptp also get an ADD and a DEL cache, each warmed up on a real run of that verb in
 * two throwaway namespaces: its code is then deserialized instead of compiled at each start.
 */
export async function writeCodeCache(lib, types, node = process.execPath) {
  const spawnTrainer = (type, cacheFile, netns, verb) =>
    new Promise((resolve, reject) => {
      rmSync(cacheFile, { force: true });
      const env = { PATH: process.env.PATH, CNI_TS_WRITE_CODE_CACHE: cacheFile };
      const cmd = netns ? 'ip' : node;
      const args = [join(lib, 'cni.cjs'), type];
      if (netns) {
        Object.assign(env, {
          CNI_TS_TRAIN_NETNS: `/run/netns/${netns.cont}`,
          CNI_TS_TRAIN_DATA: netns.data,
          CNI_TS_TRAIN_PATH: dirname(lib),
          CNI_TS_TRAIN_VERB: verb,
        });
        args.unshift('netns', 'exec', netns.host, node);
      }
      const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c) => {
        err += c;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0 || !existsSync(cacheFile))
          reject(new Error(`code cache warm-up of ${type} failed: ${err}`));
        else resolve(cacheFile);
      });
    });
  // A real ADD/CHECK/DEL needs root and two throwaway namespaces (the trainer runs inside the
  // "host" one: nothing touches this machine's). Without them, or if it fails, the warm-up is
  // the synthetic one.
  const real = async (type) => {
    const tag = `cnits-train-${process.pid}-${type}`;
    const ns = { host: `${tag}-h`, cont: `${tag}-c`, data: mkdtempSync(join(tmpdir(), `${tag}-`)) };
    const made = [];
    try {
      for (const n of [ns.host, ns.cont]) {
        execFileSync('ip', ['netns', 'add', n], { stdio: 'ignore' });
        made.push(n);
      }
      execFileSync('ip', ['-n', ns.host, 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
      // ADD leaves the attachment in place (the namespaces go at the end); DEL then removes it.
      await spawnTrainer(type, join(lib, `${type}.cjs.ADD.cache`), ns, 'ADD');
      await spawnTrainer(type, join(lib, `${type}.cjs.DEL.cache`), ns, 'DEL');
    } finally {
      for (const n of made) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      rmSync(ns.data, { recursive: true, force: true });
    }
  };
  const one = async (type) => {
    const cacheFile = join(lib, `${type}.cjs.cache`);
    await spawnTrainer(type, cacheFile);
    if (REAL_TRAINING.has(type) && process.getuid?.() === 0 && process.platform === 'linux') {
      try {
        await real(type);
      } catch (err) {
        for (const v of ['ADD', 'DEL']) rmSync(join(lib, `${type}.cjs.${v}.cache`), { force: true });
        const why = err.message
          .slice(Math.max(0, err.message.indexOf('Error:')))
          .split('\n    at ')[0]
          .trim();
        console.warn(`code cache of ${type}: no real ADD/DEL warm-up (${why}); the synthetic one is used`);
      }
    }
  };
  const queue = [...types];
  const workers = Array.from({ length: 4 }, async () => {
    while (queue.length > 0) await one(queue.shift());
  });
  await Promise.all(workers);
}

export function writeLaunchers(out, plugins) {
  for (const p of plugins) {
    const f = join(out, p.type);
    writeFileSync(f, launcherSh(p.type));
    chmodSync(f, 0o755);
  }
}
