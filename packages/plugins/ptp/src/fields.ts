// Typed reads of plugin keys, matched case-insensitively like Go's encoding/json. A wrong type
// is CNI error 6 and an out-of-range value CNI error 7, both naming the key and the value.
import { CniError, ErrCode, getKey } from '@cni/skel';

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
