// Names and comments derived from hashes, bit for bit as the reference's pkg/utils: chain
// names (iptables), IFB device names (bandwidth), rule comments.
// SHA-512 is our own (sha.ts): hashing a name does not load node:crypto.
import { sha512Hex } from './sha.js';

/** iptables limits chain names to 28 characters (29 with the NUL). */
export const MAX_CHAIN_LENGTH = 28;
const CHAIN_PREFIX = 'CNI-';
const SHA512_HEX_LENGTH = 128;

/**
 * `prefix` + hex(sha512(toHash)), cut to `length` characters. Throws (the reference panics)
 * when the prefix leaves no room for the hash or `length` exceeds the hash.
 */
export function mustFormatHashWithPrefix(length: number, prefix: string, toHash: string): string {
  if (!Number.isInteger(length) || prefix.length >= length || length > SHA512_HEX_LENGTH) {
    throw new RangeError(`mustFormatHashWithPrefix: invalid length ${length} for prefix "${prefix}"`);
  }
  return `${prefix}${sha512Hex(toHash)}`.slice(0, length);
}

/** `CNI-` + the hash of name+id, 28 characters: formatChainName('mynet','abc123') → 'CNI-70a29d9dc18bc4d652ea5d59'. */
export function formatChainName(name: string, id: string): string {
  return mustFormatChainNameWithPrefix(name, id, '');
}

/** `CNI-<prefix>` + the hash of name+id (portmap's `DN-`/`SN-` chains). */
export function mustFormatChainNameWithPrefix(name: string, id: string, prefix: string): string {
  return mustFormatHashWithPrefix(MAX_CHAIN_LENGTH, CHAIN_PREFIX + prefix, name + id);
}

/** Go's `%q` for a string: the same escapes, so comments match the reference's text. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && ch !== ' ')) {
      out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** The iptables comment the reference puts on per-attachment rules: `name: "<net>" id: "<cid>"`. */
export function formatComment(name: string, id: string): string {
  return `name: ${goQuote(name)} id: ${goQuote(id)}`;
}

/** IFB devices of the bandwidth plugin: `bwp` + hash of network name + container ID, 15 characters. */
export function ifbDeviceName(networkName: string, containerID: string): string {
  return mustFormatHashWithPrefix(15, 'bwp', networkName + containerID);
}
