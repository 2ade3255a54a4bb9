import { CniError, ErrCode } from './errors.js';
import { isSignedDecimal } from './chars.js';

/** Every spec version, oldest first. */
export const SPEC_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/** The version this library implements; VERSION answers carry it. */
export const CURRENT_VERSION = '1.1.0';

/** The spec versions from `min` (inclusive) up to the current one, e.g. `versionsFrom('0.3.0')`. */
export function versionsFrom(min: string): string[] {
  return SPEC_VERSIONS.filter((v) => compareVersions(v, min) >= 0);
}

function atoi(part: string, which: string): number {
  // Go's strconv.Atoi: optional sign, decimal digits.
  if (!isSignedDecimal(part)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to convert ${which} version part ${JSON.stringify(part)}: strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`,
    );
  }
  const n = Number(part);
  if (!Number.isSafeInteger(n)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to convert ${which} version part ${JSON.stringify(part)}: strconv.Atoi: parsing ${JSON.stringify(part)}: value out of range`,
    );
  }
  return n;
}

/**
 * Parse a version like Go's `version.ParseVersion`: `''` is 0.1.0, up to three numeric parts
 * (missing parts are 0), four or more parts are invalid. Throws CniError 6.
 */
export function parseVersion(version: string): [number, number, number] {
  if (version === '') return [0, 1, 0];
  const parts = version.split('.');
  if (parts.length >= 4) {
    throw new CniError(ErrCode.DecodingFailure, `invalid version ${JSON.stringify(version)}: too many parts`);
  }
  const major = atoi(parts[0] ?? '', 'major');
  const minor = parts.length >= 2 ? atoi(parts[1] ?? '', 'minor') : 0;
  const micro = parts.length >= 3 ? atoi(parts[2] ?? '', 'micro') : 0;
  return [major, minor, micro];
}

/** Numeric comparison of two versions: negative, 0 or positive. Throws CniError 6 on garbage. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** True when `v` is one of the known spec versions (exact string). */
export function isSpecVersion(v: string): v is SpecVersion {
  return (SPEC_VERSIONS as readonly string[]).includes(v);
}
