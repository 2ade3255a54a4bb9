// JSON with Go encoding/json semantics where the bytes a plugin or a cache file sees depend on
// them: Go marshals maps with sorted keys and escapes <, >, & in strings; Go's decoder has its
// own error texts.
import { goJSONParse } from '@cni/skel';

/** A value that is already JSON text; written verbatim (keeps a struct's own key order). */
export class RawJSON {
  constructor(readonly text: string) {}
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function str(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

function cmpBytes(a: string, b: string): number {
  // Go sorts map keys by their UTF-8 bytes.
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Compact JSON as Go's json.Marshal writes a value decoded into interface{}: every object's
 * keys sorted (Go maps), `undefined` members dropped, RawJSON written as is.
 */
export function marshalSorted(value: unknown): string {
  if (value instanceof RawJSON) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Buffer.isBuffer(value)) return str(value.toString('base64'));
  if (Array.isArray(value)) return `[${value.map((v) => marshalSorted(v)).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort(cmpBytes);
    return `{${keys.map((k) => `${str(k)}:${marshalSorted(o[k])}`).join(',')}}`;
  }
  return 'null';
}

/** Compact JSON of an object whose keys are written in the given (struct) order. */
export function marshalOrdered(fields: [string, unknown][]): string {
  return `{${fields.map(([k, v]) => `${str(k)}:${marshalSorted(v)}`).join(',')}}`;
}

/** Go's name for a JSON value's kind in "cannot unmarshal X into …" errors. */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number
}

/** Parse JSON text with Go's error text ("invalid character …", "unexpected end of JSON input"). */
export function parseGoJSON(text: string | Buffer): unknown {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  return goJSONParse(s);
}

/** Parse JSON that Go would decode into map[string]interface{} (null gives an empty map). */
export function parseGoMap(text: string | Buffer): Record<string, unknown> {
  const v = parseGoJSON(text);
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`json: cannot unmarshal ${jsonKind(v)} into Go value of type map[string]interface {}`);
  }
  return v as Record<string, unknown>;
}

/** Go's %q for a string (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0x80 && cp <= 0x9f) || cp === 0xad || cp === 0xfeff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** A Go-style text for a Node fs error: `open /x: no such file or directory`. */
export function goFsError(op: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'not a directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
    ENAMETOOLONG: 'file name too long',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  if (code === 'EISDIR' && op === 'open') op = 'read';
  return `${op} ${path}: ${text[code] ?? (e as Error).message}`;
}

/** Go's %T of a value decoded into interface{}. */
export function goDynType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}
