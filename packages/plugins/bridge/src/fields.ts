// Typed reads of plugin keys, matched case-insensitively like Go's encoding/json. A wrong type
// is CNI error 6 and an out-of-range value CNI error 7, both naming the key and the value.
import { formatMAC, isUnicastMAC, isZeroMAC, parseMAC } from '@cni/ip';
import { CniError, ErrCode, getKey, parseCniArgs } from '@cni/skel';

const show = (v: unknown): string => String(JSON.stringify(v));
const typeName = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
const absent = (v: unknown): boolean => v === undefined || v === null;

export function wrongType(key: string, want: string, v: unknown): CniError {
  return new CniError(
    ErrCode.DecodingFailure,
    `failed to load netconf: key "${key}" must be ${want}, got ${typeName(v)} ${show(v)}`,
  );
}

export function invalid(key: string, v: unknown, why: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, `invalid "${key}" ${show(v)}: ${why}`);
}

export function optString(o: Record<string, unknown>, key: string, prefix = ''): string {
  const v = getKey(o, key);
  if (absent(v)) return '';
  if (typeof v !== 'string') throw wrongType(prefix + key, 'a string', v);
  return v;
}

export function optBool(o: Record<string, unknown>, key: string, prefix = ''): boolean | undefined {
  const v = getKey(o, key);
  if (absent(v)) return undefined;
  if (typeof v !== 'boolean') throw wrongType(prefix + key, 'a boolean', v);
  return v;
}

/** An integer in [min, max]; absent → undefined. */
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

export const INT32_MAX = 0x7fff_ffff;

/**
 * The MAC of the container interface, later sources winning: `CNI_ARGS` `MAC` <
 * `args.cni.mac` < `runtimeConfig.mac`. Each value is validated; errors name the source.
 */
export function resolveMac(raw: Record<string, unknown>, cniArgs: string): string | undefined {
  let mac = '';
  let from = '';
  if (cniArgs !== '') {
    const env = parseCniArgs(cniArgs, ['MAC']);
    if (env.MAC) {
      mac = env.MAC;
      from = 'CNI_ARGS MAC';
    }
  }
  const args = optObject(raw, 'args');
  const cni = args ? optObject(args, 'cni', 'args.') : undefined;
  const argMac = cni ? optString(cni, 'mac', 'args.cni.') : '';
  if (argMac) {
    mac = argMac;
    from = 'args.cni.mac';
  }
  const rc = optObject(raw, 'runtimeConfig');
  const rcMac = rc ? optString(rc, 'mac', 'runtimeConfig.') : '';
  if (rcMac) {
    mac = rcMac;
    from = 'runtimeConfig.mac';
  }
  if (!mac) return undefined;
  const bytes = parseMAC(mac);
  if (!bytes) throw invalid(from, mac, 'not a MAC address');
  if (!isUnicastMAC(bytes) || isZeroMAC(bytes)) throw invalid(from, mac, 'not a unicast MAC address');
  return formatMAC(bytes);
}
