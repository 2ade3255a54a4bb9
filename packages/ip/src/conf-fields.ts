// Typed reads of plugin-specific configuration keys, matched case-insensitively like Go's
// encoding/json. A wrong type is a CNI error 6 naming the key and the value; nothing is
// created before these checks pass.
import { formatMAC, isUnicastMAC, isZeroMAC, parseMAC } from './mac.js';
import { CniError, ErrCode, getKey, parseCniArgs } from '@cni/skel';

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v)));
const typeName = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

export function wrongType(key: string, want: string, v: unknown): CniError {
  return new CniError(
    ErrCode.DecodingFailure,
    `failed to load netconf: key "${key}" must be ${want}, got ${typeName(v)} ${show(v)}`,
  );
}

export function invalid(key: string, v: unknown, why: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, `invalid "${key}" ${show(v)}: ${why}`);
}

const absent = (v: unknown): boolean => v === undefined || v === null;

export function optString(o: Record<string, unknown>, key: string, prefix = ''): string {
  const v = getKey(o, key);
  if (absent(v)) return '';
  if (typeof v !== 'string') throw wrongType(prefix + key, 'a string', v);
  return v;
}

export function optBool(o: Record<string, unknown>, key: string, prefix = ''): boolean {
  const v = getKey(o, key);
  if (absent(v)) return false;
  if (typeof v !== 'boolean') throw wrongType(prefix + key, 'a boolean', v);
  return v;
}

/** A JSON object (not an array); absent → undefined. */
export function optObject(
  o: Record<string, unknown>,
  key: string,
  prefix = '',
): Record<string, unknown> | undefined {
  const v = getKey(o, key);
  if (absent(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(prefix + key, 'an object', v);
  return v as Record<string, unknown>;
}

/** An integer in [min, max] (Go int / uint32 fields); absent → undefined. */
export function optInt(
  o: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  prefix = '',
): number | undefined {
  const v = getKey(o, key);
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(prefix + key, 'an integer', v);
  if (v < min || v > max) throw invalid(prefix + key, v, `must be in [${min}, ${max}]`);
  return v;
}

export const UINT32_MAX = 0xffff_ffff;
export const INT32_MAX = 0x7fff_ffff;

/**
 * The MAC to give the interface, with the reference's precedence: config `mac` <
 * `CNI_ARGS` `MAC` < `runtimeConfig.mac`. Every given value is validated; the error names
 * where the value came from.
 */
export function resolveMac(raw: Record<string, unknown>, cniArgs: string): string | undefined {
  let mac = optString(raw, 'mac');
  let from = 'mac';
  if (cniArgs !== '') {
    const env = parseCniArgs(cniArgs, ['MAC']);
    if (env.MAC) {
      mac = env.MAC;
      from = 'CNI_ARGS MAC';
    }
  }
  const rc = getKey(raw, 'runtimeConfig');
  if (!absent(rc) && typeof rc === 'object' && !Array.isArray(rc)) {
    const m = optString(rc as Record<string, unknown>, 'mac', 'runtimeConfig.');
    if (m) {
      mac = m;
      from = 'runtimeConfig.mac';
    }
  }
  if (!mac) return undefined;
  const bytes = parseMAC(mac);
  if (!bytes) throw invalid(from, mac, 'not a MAC address');
  if (!isUnicastMAC(bytes) || isZeroMAC(bytes)) throw invalid(from, mac, 'not a unicast MAC address');
  return formatMAC(bytes);
}
