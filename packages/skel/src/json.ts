// JSON helpers with Go encoding/json semantics where the wire format depends on them.

/** Go's json.Marshal escapes <, >, & and U+2028/U+2029 inside strings; so do we. */
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Stringify like Go: `indent` 0 gives compact output (json.Marshal), 4 gives
 * json.MarshalIndent(v, "", "    "). No trailing newline.
 */
export function goStringify(value: unknown, indent = 0): string {
  const s = indent > 0 ? JSON.stringify(value, null, indent) : JSON.stringify(value);
  // These characters can only occur inside string literals of JSON text.
  return (s ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/**
 * Go-style case-insensitive key lookup (encoding/json matches struct fields that way):
 * the exact key wins; otherwise the last key equal to it ignoring case.
 */
export function getKey<T = unknown>(obj: Record<string, unknown> | undefined, key: string): T | undefined {
  if (obj === undefined || obj === null || typeof obj !== 'object') return undefined;
  if (Object.hasOwn(obj, key)) return obj[key] as T;
  const lower = key.toLowerCase();
  let found: T | undefined;
  for (const k of Object.keys(obj)) {
    if (k.toLowerCase() === lower) found = obj[k] as T;
  }
  return found;
}

/** The JSON type name Go uses in "cannot unmarshal X into …" messages. */
export function goTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
