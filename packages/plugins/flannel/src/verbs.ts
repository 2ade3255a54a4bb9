// The flannel verbs (flannel.md §4–§8): render the delegate config from subnet.env, save it,
// delegate, and replay the saved config on DEL.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CmdArgs,
  CniError,
  delegate,
  ErrCode,
  findInPath,
  formatResult,
  getKey,
  parseResult,
  type RawOutput,
  splitPathList,
} from '@cni/skel';
import { type FlannelConf, type JSONObject, loadFlannelConf } from './config.js';
import { buildLinuxDelegate, buildWindowsDelegate, goMarshal } from './delegate.js';
import { listScratch, readScratch, removeScratch, saveScratch, scratchName } from './store.js';
import { loadSubnetEnv, type SubnetEnv } from './subnet-env.js';

export interface FlannelOptions {
  /** selects the Linux or the Windows behaviour (default process.platform) */
  platform?: NodeJS.Platform;
  /** where diagnostics go (default process.stderr) */
  log?: (text: string) => void;
}

interface Resolved {
  windows: boolean;
  log: (text: string) => void;
}

const resolve = (o: FlannelOptions): Resolved => ({
  windows: (o.platform ?? process.platform) === 'win32',
  log: o.log ?? ((t) => process.stderr.write(t)),
});

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function subnetEnvError(e: unknown): string {
  return `failed to load flannel 'subnet.env' file: ${message(e)}. Check the flannel pod log for this node.`;
}

function buildDelegate(conf: FlannelConf, env: SubnetEnv, windows: boolean): JSONObject {
  return windows ? buildWindowsDelegate(conf, env) : buildLinuxDelegate(conf, env);
}

const delegateType = (d: JSONObject): string => {
  const t = getKey(d, 'type');
  return typeof t === 'string' ? t : '';
};

/** The version a delegate's result is read as when it states none: the delegate config's. */
const confVersion = (d: JSONObject): string => {
  const v = d.cniVersion;
  return typeof v === 'string' && v !== '' ? v : '0.1.0';
};

/**
 * ADD: parse, load subnet.env, build and save the delegate config, delegate ADD and print its
 * result as is (indented, in the version the delegate answered with).
 */
export async function add(args: CmdArgs, opts: FlannelOptions = {}): Promise<RawOutput> {
  const { windows, log } = resolve(opts);
  let conf: FlannelConf;
  try {
    conf = loadFlannelConf(args.stdinData);
  } catch (e) {
    throw new Error(`failed to load flannel netconf file: ${message(e)}`);
  }
  let env: SubnetEnv;
  try {
    env = loadSubnetEnv(conf.subnetFile);
  } catch (e) {
    throw new Error(subnetEnvError(e));
  }
  const d = buildDelegate(conf, env, windows);
  const bytes = Buffer.from(goMarshal(d));
  log(`flannel: delegate config: ${bytes.toString()}\n`);
  saveScratch(conf.dataDir, scratchName(args.containerID, args.netns, windows), bytes);

  const type = delegateType(d);
  try {
    findInPath(type, splitPathList(process.env.CNI_PATH ?? ''));
  } catch (e) {
    throw new Error(`failed to delegate add: ${message(e)}`);
  }
  // A delegate's CNI error object is passed through as it is (code and msg).
  const stdout = await delegate('ADD', type, bytes);
  let text: string;
  try {
    const result = parseResult(stdout.toString().trim() === 'null' ? '{}' : stdout, confVersion(d));
    text = formatResult(result, result.cniVersion);
  } catch (e) {
    throw new Error(`failed to delegate add: ${CniError.is(e) ? e.msg : message(e)}`);
  }
  return { rawStdout: text };
}

/**
 * DEL: replay the saved config with the delegate's DEL. A missing file is success; an empty or
 * corrupt one is logged and is success on Linux (an error on Windows). The file is removed only
 * after the delegate's DEL succeeded, so a failed DEL can be retried.
 */
export async function del(args: CmdArgs, opts: FlannelOptions = {}): Promise<void> {
  const { windows, log } = resolve(opts);
  const conf = loadFlannelConf(args.stdinData);
  // ADD cannot have saved anything with an empty dataDir (its mkdir fails).
  if (conf.dataDir === '') return;
  const name = scratchName(args.containerID, args.netns, windows);
  const bytes = readScratch(conf.dataDir, name);
  if (bytes === undefined) return;
  let type: string;
  try {
    type = savedType(bytes);
  } catch (e) {
    const text = `failed to parse netconf: ${message(e)}`;
    if (windows) throw new Error(text);
    // Keep the file and succeed, so the runtime is not stuck on a container it cannot delete.
    log(`flannel: ${join(conf.dataDir, name)}: ${text}\n`);
    return;
  }
  await delegate('DEL', type, bytes);
  removeScratch(conf.dataDir, name);
}

/** The `type` of a saved config: it must be a JSON object whose type, if any, is a string. */
function savedType(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(text.trim() === '' ? 'unexpected end of JSON input' : message(e));
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(`the saved config must be a JSON object, got ${v === null ? 'null' : typeof v}`);
  }
  const t = getKey(v as JSONObject, 'type');
  if (t !== undefined && t !== null && typeof t !== 'string') {
    throw new Error(`key "type" must be a string, got ${JSON.stringify(t)}`);
  }
  return t ?? '';
}

/** CHECK: nothing to check (the reference plugin answers success). */
export function check(_args: CmdArgs): void {}

/** STATUS: not ready (code 50) without a usable subnet.env; otherwise the delegate's STATUS. */
export async function status(args: CmdArgs, opts: FlannelOptions = {}): Promise<void> {
  const { windows } = resolve(opts);
  const conf = loadFlannelConf(args.stdinData);
  let env: SubnetEnv;
  try {
    env = loadSubnetEnv(conf.subnetFile);
  } catch (e) {
    throw new CniError(ErrCode.PluginNotAvailable, subnetEnvError(e));
  }
  const d = buildDelegate(conf, env, windows);
  await delegate('STATUS', delegateType(d), goMarshal(d));
}

/** The newest saved config of network `name` in dataDir, as an object. */
function newestSaved(dataDir: string, name: string): JSONObject | undefined {
  let best: { mtime: number; conf: JSONObject } | undefined;
  for (const file of listScratch(dataDir)) {
    const conf = parseSaved(readScratch(dataDir, file));
    if (!conf || getKey(conf, 'name') !== name) continue;
    const mtime = statSync(join(dataDir, file)).mtimeMs;
    if (!best || mtime > best.mtime) best = { mtime, conf };
  }
  return best?.conf;
}

function parseSaved(bytes: Buffer | undefined): JSONObject | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JSONObject) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GC: the delegate's GC (config built from subnet.env, or from this network's newest saved
 * config when subnet.env is gone) with `cni.dev/valid-attachments`, then removal of this
 * network's saved configs (and unreadable ones) of containers not in the list.
 */
export async function gc(args: CmdArgs, opts: FlannelOptions = {}): Promise<void> {
  const { windows } = resolve(opts);
  const conf = loadFlannelConf(args.stdinData);
  let env: SubnetEnv | undefined;
  try {
    env = loadSubnetEnv(conf.subnetFile);
  } catch {
    env = undefined;
  }
  let d: JSONObject | undefined;
  if (env !== undefined) d = buildDelegate(conf, env, windows);
  else if (conf.dataDir !== '') {
    // Without a lease, the last config this network saved still names its bridge and store.
    d = newestSaved(conf.dataDir, conf.name);
    if (d !== undefined) d.cniVersion = conf.cniVersion;
  }
  const va = getKey(conf.raw, 'cni.dev/valid-attachments');
  if (d !== undefined) {
    if (va !== undefined) d['cni.dev/valid-attachments'] = va;
    await delegate('GC', delegateType(d), goMarshal(d));
  }
  // On Windows the files are named after the sandbox, not the container: nothing to match.
  if (windows || conf.validAttachments === undefined || conf.dataDir === '') return;
  const valid = new Set(conf.validAttachments.map((a) => a.containerID));
  for (const file of listScratch(conf.dataDir)) {
    if (valid.has(file)) continue;
    const saved = parseSaved(readScratch(conf.dataDir, file));
    if (saved === undefined || getKey(saved, 'name') === conf.name) removeScratch(conf.dataDir, file);
  }
}
