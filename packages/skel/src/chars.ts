// Character-class checks written as loops. The regular expressions they replace ran in every
// plugin process, where V8 compiles a regexp to native code on its second use (~0.1-0.5 ms each).

const isDigitCode = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHexCode = (c: number): boolean =>
  isDigitCode(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const isAlnumCode = (c: number): boolean =>
  isDigitCode(c) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);

function every(s: string, from: number, ok: (c: number) => boolean): boolean {
  for (let i = from; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false;
  return true;
}

/** /^[0-9]{1,max}$/ */
export function isDecimal(s: string, max = Number.POSITIVE_INFINITY): boolean {
  return s.length >= 1 && s.length <= max && every(s, 0, isDigitCode);
}

/** /^[0-9a-fA-F]{1,max}$/ */
export function isHex(s: string, max = Number.POSITIVE_INFINITY): boolean {
  return s.length >= 1 && s.length <= max && every(s, 0, isHexCode);
}

/** /^[+-]?[0-9]+$/ (Go's strconv.Atoi syntax) */
export function isSignedDecimal(s: string): boolean {
  const c = s.charCodeAt(0);
  return c === 0x2b || c === 0x2d ? isDecimal(s.slice(1)) : isDecimal(s);
}

/** /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ (Go's container ID and network name rule) */
export function isCniName(s: string): boolean {
  return (
    s.length >= 1 &&
    isAlnumCode(s.charCodeAt(0)) &&
    every(s, 1, (c) => isAlnumCode(c) || c === 0x5f || c === 0x2e || c === 0x2d)
  );
}

/** /[/:\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u: '/', ':' or Go's unicode.IsSpace */
export function hasSlashColonOrGoSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2f || c === 0x3a || c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
    if (c < 0x85) continue;
    if (c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)) return true;
    if (c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000) return true;
  }
  return false;
}
