// The result cache in Go libcni's format (cni-reference §2.4): one file per attachment,
// `<cacheDir>/results/<network>-<containerID>-<ifName>`, directory 0700, file 0600, holding
// Go's `cachedInfo` struct as JSON ("cniCacheV1"; `config` is base64 as Go marshals []byte).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { convertResult, getKey, parseResult, type Result } from '@cni/skel';
import { goFsError, jsonKind, marshalOrdered, marshalSorted, parseGoJSON } from './json.js';

export const CNI_CACHE_V1 = 'cniCacheV1';
export const DEFAULT_CACHE_DIR = '/var/lib/cni';

/** One cached attachment (Go's NetworkAttachment). */
export interface CachedAttachment {
  containerID: string;
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
  /** the cached config bytes (the whole conflist) */
  config: Buffer;
}

/** Decoded cache file (Go's cachedInfo). */
export interface CachedInfo {
  kind: string;
  containerId: string;
  config: Buffer;
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: Record<string, unknown>;
}

export function cacheFilePath(
  cacheDir: string,
  netName: string,
  containerID: string,
  ifName: string,
): string {
  if (netName === '' || containerID === '' || ifName === '') {
    throw new Error(
      `cache file path requires network name (${JSON.stringify(netName)}), container ID (${JSON.stringify(containerID)}), and interface name (${JSON.stringify(ifName)})`,
    );
  }
  const name = `${netName}-${containerID}-${ifName}`;
  // Not in Go: a name that would leave the results directory is refused (DEL then goes on
  // without a cached result, like for any unreadable cache).
  if (name.includes('/') || name.includes('\0')) {
    throw new Error(`cache file name ${JSON.stringify(name)} must not contain "/"`);
  }
  return join(cacheDir, 'results', name);
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fieldErr(field: string, goType: string, v: unknown): Error {
  return new Error(
    `json: cannot unmarshal ${jsonKind(v)} into Go struct field cachedInfo.${field} of type ${goType}`,
  );
}

function str(o: Record<string, unknown>, key: string): string {
  const v = getKey(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw fieldErr(key, 'string', v);
  return v;
}

/** Decode a cache file as Go's json.Unmarshal into cachedInfo does (type errors throw). */
export function decodeCachedInfo(data: Buffer | string): CachedInfo {
  const v = parseGoJSON(data);
  if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
    throw new Error(`json: cannot unmarshal ${jsonKind(v)} into Go value of type libcni.cachedInfo`);
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const info: CachedInfo = {
    kind: str(o, 'kind'),
    containerId: str(o, 'containerId'),
    config: Buffer.alloc(0),
    ifName: str(o, 'ifName'),
    networkName: str(o, 'networkName'),
    netns: str(o, 'netns'),
  };
  const cfg = getKey(o, 'config');
  if (cfg !== undefined && cfg !== null) {
    if (typeof cfg !== 'string') throw fieldErr('config', '[]uint8', cfg);
    const clean = cfg.replace(/[\r\n]/g, '');
    if (!B64.test(clean)) throw new Error('illegal base64 data at input byte 0');
    info.config = Buffer.from(clean, 'base64');
  }
  const args = getKey(o, 'cniArgs');
  if (args !== undefined && args !== null) {
    if (!Array.isArray(args)) throw fieldErr('cniArgs', '[][2]string', args);
    info.cniArgs = args.map((pair) => {
      if (pair === null) return ['', ''];
      if (!Array.isArray(pair)) throw fieldErr('cniArgs', '[2]string', pair);
      const kv: [string, string] = ['', ''];
      for (let i = 0; i < Math.min(2, pair.length); i++) {
        const x = pair[i];
        if (x === null) continue;
        if (typeof x !== 'string') throw fieldErr('cniArgs', 'string', x);
        kv[i] = x;
      }
      return kv;
    });
  }
  const caps = getKey(o, 'capabilityArgs');
  if (caps !== undefined && caps !== null) {
    if (typeof caps !== 'object' || Array.isArray(caps))
      throw fieldErr('capabilityArgs', 'map[string]interface {}', caps);
    info.capabilityArgs = caps as Record<string, unknown>;
  }
  const res = getKey(o, 'result');
  if (res !== undefined && res !== null) {
    if (typeof res !== 'object' || Array.isArray(res))
      throw fieldErr('result', 'map[string]interface {}', res);
    info.result = res as Record<string, unknown>;
  }
  return info;
}

/**
 * The bytes Go libcni writes for an attachment: cachedInfo's fields in struct order, compact,
 * the result (in its own version) and capability args with sorted keys (Go maps).
 */
export function encodeCachedInfo(c: {
  containerID: string;
  config: Buffer;
  ifName: string;
  networkName: string;
  netns?: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  result?: Result;
}): string {
  const fields: [string, unknown][] = [
    ['kind', CNI_CACHE_V1],
    ['containerId', c.containerID],
    ['config', c.config],
    ['ifName', c.ifName],
    ['networkName', c.networkName],
  ];
  if (c.netns) fields.push(['netns', c.netns]);
  if (c.cniArgs && c.cniArgs.length > 0) fields.push(['cniArgs', c.cniArgs]);
  if (c.capabilityArgs && Object.keys(c.capabilityArgs).length > 0)
    fields.push(['capabilityArgs', c.capabilityArgs]);
  if (c.result) fields.push(['result', convertResult(c.result, c.result.cniVersion)]);
  return marshalOrdered(fields);
}

/** Write a cache file (directories 0700, file 0600, as Go). */
export function writeCacheFile(path: string, text: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    // Go's MkdirAll on an existing non-directory: "mkdir <dir>: not a directory"
    const code = (e as NodeJS.ErrnoException).code;
    const err = code === 'EEXIST' ? Object.assign(new Error(), { code: 'ENOTDIR' }) : e;
    throw new Error(goFsError('mkdir', dir, err), { cause: e });
  }
  try {
    writeFileSync(path, text, { mode: 0o600 });
  } catch (e) {
    throw new Error(goFsError('open', path, e), { cause: e });
  }
}

/** Remove a cache file; a missing one is fine. */
export function removeCacheFile(path: string): void {
  rmSync(path, { force: true });
}

/** The file's bytes, or undefined when it cannot be read (Go ignores read errors). */
export function readCacheFile(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The result in a cache file, converted to `cniVersion`: a cniCacheV1 file's `result`, or a
 * legacy file that is a bare result. Throws on an undecodable or unconvertible result.
 */
export function cachedResultFrom(data: Buffer, cniVersion: string): Result | undefined {
  let raw: unknown;
  let info: CachedInfo | undefined;
  try {
    info = decodeCachedInfo(data);
    if (info.kind !== CNI_CACHE_V1) info = undefined;
  } catch {
    info = undefined;
  }
  if (info) {
    raw = info.result ?? null;
  } else {
    // legacy: the file is the result itself
    try {
      raw = parseGoJSON(data);
    } catch (e) {
      throw new Error(`decoding version from network config: ${(e as Error).message}`, { cause: e });
    }
  }
  if (raw === null) return undefined;
  const result = parseResult(marshalSorted(raw), '0.1.0');
  let converted: Record<string, unknown>;
  try {
    converted = convertResult(result, cniVersion);
  } catch (e) {
    throw new Error(
      `failed to convert cached result to config version ${JSON.stringify(cniVersion)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return parseResult(converted, cniVersion === '' ? '0.1.0' : cniVersion);
}

/** Every readable cniCacheV1 attachment under `<cacheDir>/results`, sorted by file name. */
export function listCachedAttachments(cacheDir: string, containerID = ''): CachedAttachment[] {
  const dir = join(cacheDir, 'results');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: CachedAttachment[] = [];
  for (const name of names) {
    if (containerID !== '') {
      const part = `-${containerID}-`;
      const pos = name.indexOf(part);
      if (pos <= 0 || pos + part.length >= name.length) continue;
    }
    const data = readCacheFile(join(dir, name));
    if (!data) continue;
    let info: CachedInfo;
    try {
      info = decodeCachedInfo(data);
    } catch {
      continue;
    }
    if (info.kind !== CNI_CACHE_V1) continue;
    if (containerID !== '' && info.containerId !== containerID) continue;
    if (info.ifName === '' || info.networkName === '') continue;
    out.push({
      containerID: info.containerId,
      ifName: info.ifName,
      networkName: info.networkName,
      netns: info.netns,
      cniArgs: info.cniArgs ?? [],
      capabilityArgs: info.capabilityArgs ?? {},
      config: info.config,
    });
  }
  return out;
}
