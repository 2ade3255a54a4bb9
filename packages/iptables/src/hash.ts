// The reference's naming schemes (pkg/utils), bit for bit: chains created by the Go plugins are
// found by ours and the other way round.
import { createHash } from 'node:crypto';

const MAX_CHAIN_LENGTH = 28;
const CHAIN_PREFIX = 'CNI-';

function sha512Hex(s: string): string {
  return createHash('sha512').update(s, 'utf8').digest('hex');
}

/** (prefix + hex(sha512(s))) cut to `length` characters. */
export function formatHashWithPrefix(length: number, prefix: string, s: string): string {
  const out = prefix + sha512Hex(s);
  if (length > out.length) throw new Error(`hash length ${length} is longer than ${out.length}`);
  return out.slice(0, length);
}

/** `CNI-` + sha512(name + id), 28 characters: the ipMasq chain (`mynet`,`abc123` → `CNI-70a29d9dc18bc4d652ea5d59`). */
export function formatChainName(name: string, id: string): string {
  return formatHashWithPrefix(MAX_CHAIN_LENGTH, CHAIN_PREFIX, name + id);
}

/** `CNI-<prefix>` + sha512(name + id), 28 characters (portmap's `DN-` and legacy `SN-`). */
export function formatChainNameWithPrefix(name: string, id: string, prefix: string): string {
  return formatHashWithPrefix(MAX_CHAIN_LENGTH, CHAIN_PREFIX + prefix, name + id);
}

/** `name: "<name>" id: "<id>"` — the comment of ipMasq rules. */
export function formatComment(name: string, id: string): string {
  return `name: "${name}" id: "${id}"`;
}

/** iptables comments are at most 255 characters: longer ones become 253 characters + `...`. */
export function trimComment(value: string): string {
  return value.length <= 255 ? value : `${value.slice(0, 253)}...`;
}
