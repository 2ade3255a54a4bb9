// tuning configuration (cni-reference §3.14): keys, precedence, sysctl key → /proc/sys path,
// duplicate-key and allowlist checks. Everything here is pure (no kernel, no namespace).
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { formatMAC, invalid, isUnicastMAC, isZeroMAC, optBool, optInt, parseMAC, wrongType } from '@cni/ip';
import { CniError, ErrCode, getKey, type NetConf, parseCniArgs, parseNetConf } from '@cni/skel';

export const DEFAULT_DATA_DIR = '/run/cni/tuning';
export const DEFAULT_ALLOWLIST = '/etc/cni/tuning/allowlist.conf';
/** Environment variable naming another allowlist file (a test and packaging knob). */
export const ALLOWLIST_ENV = 'CNI_TUNING_ALLOWLIST';
export const SYSCTL_BASE = '/proc/sys/';
export const NET_SYSCTL_BASE = '/proc/sys/net/';

export interface TuningConf extends NetConf {
  /** where the originals of changed link attributes are saved */
  dataDir: string;
  /** sysctl key → value, in the order given (config map, then `args.cni.sysctl`) */
  sysctl: Map<string, string>;
  /** canonical lower-case MAC; undefined = not configured */
  mac?: string;
  /** only `true` does anything on ADD (and CHECK wants promisc off otherwise) */
  promisc: boolean;
  /** 0 = not configured */
  mtu: number;
  txQLen?: number;
  allmulti?: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function sysctlMap(v: unknown, key: string, into: Map<string, string>): void {
  if (v === undefined || v === null) return;
  if (!isObj(v)) throw wrongType(key, 'an object of strings', v);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw wrongType(`${key}.${k}`, 'a string', val);
    // Go's map assignment: a key merged again keeps its first position, takes the new value.
    into.set(k, val);
  }
}

function macValue(text: string, from: string): string {
  const b = parseMAC(text);
  if (!b) throw invalid(from, text, 'not a MAC address');
  if (!isUnicastMAC(b) || isZeroMAC(b)) throw invalid(from, text, 'not a unicast MAC address');
  return formatMAC(b);
}

function strField(o: Record<string, unknown>, key: string, prefix: string): string | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(prefix + key, 'a string', v);
  return v;
}

function boolField(o: Record<string, unknown>, key: string, prefix: string): boolean | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  return optBool(o, key, prefix);
}

/**
 * Parse and validate the configuration. Precedence (lowest first): the config keys,
 * `CNI_ARGS` `MAC`, `runtimeConfig.mac`, then `args.cni.{sysctl (merged), mac, promisc, mtu,
 * allmulti, txQLen}`.
 */
export function parseConf(stdin: Buffer | string, cniArgs: string): TuningConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const dataDir = strField(raw, 'dataDir', '') || DEFAULT_DATA_DIR;
  const sysctl = new Map<string, string>();
  sysctlMap(getKey(raw, 'sysctl'), 'sysctl', sysctl);

  let macText = strField(raw, 'mac', '') ?? '';
  let macFrom = 'mac';
  if (cniArgs !== '') {
    const env = parseCniArgs(cniArgs, ['MAC']);
    if (env.MAC) {
      macText = env.MAC;
      macFrom = 'CNI_ARGS MAC';
    }
  }
  const rc = getKey(raw, 'runtimeConfig');
  if (rc !== undefined && rc !== null) {
    if (!isObj(rc)) throw wrongType('runtimeConfig', 'an object', rc);
    const m = strField(rc, 'mac', 'runtimeConfig.');
    if (m) {
      macText = m;
      macFrom = 'runtimeConfig.mac';
    }
  }
  let promisc = boolField(raw, 'promisc', '') ?? false;
  let mtu = optInt(raw, 'mtu', -0x8000_0000, 0x7fff_ffff) ?? 0;
  let mtuFrom = 'mtu';
  let allmulti = boolField(raw, 'allmulti', '');
  let txQLen = optInt(raw, 'txQLen', -0x8000_0000, 0x7fff_ffff);
  let txFrom = 'txQLen';

  const args = getKey(raw, 'args');
  if (args !== undefined && args !== null) {
    if (!isObj(args)) throw wrongType('args', 'an object', args);
    const cni = getKey(args, 'cni');
    if (cni !== undefined && cni !== null) {
      if (!isObj(cni)) throw wrongType('args.cni', 'an object', cni);
      // The reference panics when the config has no `sysctl` map; here it simply starts empty.
      sysctlMap(getKey(cni, 'sysctl'), 'args.cni.sysctl', sysctl);
      const m = strField(cni, 'mac', 'args.cni.');
      if (m !== undefined) {
        macText = m;
        macFrom = 'args.cni.mac';
      }
      promisc = boolField(cni, 'promisc', 'args.cni.') ?? promisc;
      const amtu = optInt(cni, 'mtu', -0x8000_0000, 0x7fff_ffff, 'args.cni.');
      if (amtu !== undefined) {
        mtu = amtu;
        mtuFrom = 'args.cni.mtu';
      }
      allmulti = boolField(cni, 'allmulti', 'args.cni.') ?? allmulti;
      const atx = optInt(cni, 'txQLen', -0x8000_0000, 0x7fff_ffff, 'args.cni.');
      if (atx !== undefined) {
        txQLen = atx;
        txFrom = 'args.cni.txQLen';
      }
    }
  }
  if (mtu < 0) throw invalid(mtuFrom, mtu, 'must not be negative');
  if (txQLen !== undefined && txQLen < 0) throw invalid(txFrom, txQLen, 'must not be negative');

  const out: TuningConf = { ...conf, dataDir, sysctl, promisc, mtu };
  if (macText !== '') out.mac = macValue(macText, macFrom);
  if (txQLen !== undefined) out.txQLen = txQLen;
  if (allmulti !== undefined) out.allmulti = allmulti;
  return out;
}

/** Does the configuration change any link attribute (and so need a backup)? */
export function touchesLink(c: TuningConf): boolean {
  return (
    c.mac !== undefined || c.mtu !== 0 || c.promisc || c.allmulti !== undefined || c.txQLen !== undefined
  );
}

// --- duplicate keys -------------------------------------------------------------------------

/**
 * The first key that occurs twice inside the top-level `sysctl` object(s) of the JSON text
 * (JSON.parse would silently keep the last one). Keys are compared after unescaping; the
 * `sysctl` member is matched case-insensitively as Go does. `text` must be valid JSON.
 */
export function duplicateSysctlKey(text: string): string | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '"') str();
    else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          str();
          ws();
          i++; // ':'
        }
        value();
        ws();
        if (text[i++] === close) return;
      }
    } else {
      while (i < text.length && !',]} \t\n\r'.includes(text[i] as string)) i++;
    }
  };
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  const seen = new Set<string>();
  ws();
  if (text[i] === '}') return undefined;
  for (;;) {
    ws();
    const key = str();
    ws();
    i++; // ':'
    ws();
    if (key.toLowerCase() === 'sysctl' && text[i] === '{') {
      i++;
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          const k = str();
          if (seen.has(k)) return k;
          seen.add(k);
          ws();
          i++; // ':'
          value();
          ws();
          if (text[i++] === '}') break;
        }
      }
    } else {
      value();
    }
    ws();
    if (text[i++] === '}') return undefined;
  }
}

/** Reject duplicate keys in `sysctl` (CNI error 7, naming the key). */
export function checkDuplicateSysctlKeys(stdin: Buffer | string): void {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    return; // syntax errors are reported by the configuration parser
  }
  const dup = duplicateSysctlKey(text);
  if (dup !== undefined) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `duplicated sysctl keys are not allowed: ${JSON.stringify(dup)} occurs more than once in "sysctl"`,
    );
  }
}

// --- sysctl keys ----------------------------------------------------------------------------

/** Go's validateArgs: the interface name becomes part of paths. */
export function checkIfName(ifName: string): void {
  if (ifName.includes('/')) {
    throw new CniError(
      ErrCode.InvalidEnvironmentVariables,
      `Interface name (${ifName}) contains an invalid character /`,
    );
  }
}

/**
 * The /proc/sys file of a sysctl key, as the reference computes it: every `.` becomes `/`,
 * then the first `IFNAME` becomes the interface name (so dotted names such as `eth0.100`
 * survive). The path must lie under /proc/sys/net/: absolute keys, empty, `.` and `..`
 * components and NUL bytes are rejected (CNI error 7) — nothing is cleaned up silently.
 * Symbolic links are checked against the real file system by `resolveSysctlFile`.
 */
export function sysctlFile(key: string, ifName: string, base = SYSCTL_BASE): string {
  const bad = (why: string) =>
    new CniError(ErrCode.InvalidNetworkConfig, `invalid net sysctl key: ${JSON.stringify(key)}: ${why}`);
  if (key === '') throw bad('empty key');
  if (key.includes('\0')) throw bad('contains a NUL byte');
  checkIfName(ifName);
  const rel = key.replaceAll('.', '/').replace('IFNAME', ifName);
  if (rel.startsWith('/')) throw bad('absolute paths are not allowed');
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw bad(`the path "${rel}" has an empty, "." or ".." component`);
  }
  if (parts[0] !== 'net' || parts.length < 2) throw bad(`only keys under ${NET_SYSCTL_BASE} are allowed`);
  return base + rel;
}

// --- allowlist ------------------------------------------------------------------------------

/** The allowlist file: $CNI_TUNING_ALLOWLIST when set and not empty, else the reference's path. */
export function allowlistPath(env: Record<string, string | undefined> | undefined): string {
  const v = env?.[ALLOWLIST_ENV] ?? process.env[ALLOWLIST_ENV];
  return v ? v : DEFAULT_ALLOWLIST;
}

/** The allowlist's regular expressions (trimmed non-empty lines); undefined when there is no file. */
export function readAllowlist(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CniError(ErrCode.IOFailure, `failed to read sysctl allowlist ${path}: ${(e as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * Every sysctl key (as written in the config) must match one of the allowlist's regular
 * expressions (unanchored, as Go's regexp.MatchString). No allowlist file → everything passes.
 */
export function checkAllowlist(keys: Iterable<string>, allowlist: string[] | undefined, path: string): void {
  if (!allowlist) return;
  const res = allowlist.map((src) => {
    try {
      return new RegExp(src, 'u');
    } catch (e) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `invalid regular expression ${JSON.stringify(src)} in sysctl allowlist ${path}: ${(e as Error).message}`,
      );
    }
  });
  for (const key of keys) {
    if (!res.some((re) => re.test(key))) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `Sysctl ${key} is not allowed. Only the following sysctls are allowed: [${allowlist.join(' ')}]`,
      );
    }
  }
}

/**
 * Resolve a sysctl file for real (run it inside the container namespace): it must exist, be a
 * regular file and lie under `<base>net/` once symbolic links are followed. Returns its current
 * value ('' for write-only knobs) for rollback.
 */
export function resolveSysctlFile(key: string, file: string, base = SYSCTL_BASE): string {
  const netBase = `${base}net/`;
  const bad = (why: string) =>
    new CniError(
      ErrCode.InvalidNetworkConfig,
      `invalid net sysctl key: ${JSON.stringify(key)}: ${file}: ${why}`,
    );
  let real: string;
  try {
    real = realpathSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bad(code === 'ENOENT' ? 'no such sysctl in the container namespace' : (e as Error).message);
  }
  if (!real.startsWith(netBase)) throw bad(`resolves to ${real}, outside ${netBase}`);
  if (!statSync(real).isFile()) throw bad('not a sysctl');
  try {
    return readFileSync(real, 'utf8');
  } catch {
    return '';
  }
}
