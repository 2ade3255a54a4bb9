import { readFileSync, writeFileSync } from 'node:fs';
import type { NetNS } from './netns.js';

const SYSCTL_BASE = '/proc/sys/';

/**
 * The /proc/sys path of a sysctl key. As the reference (and sysctl.d): when the first
 * separator in the key is a dot, dots and slashes are interchanged, so both
 * `net.ipv4.conf.eth0/100.forwarding` and `net/ipv4/conf/eth0.100/forwarding` name the
 * knob of the interface `eth0.100`. Keys that would leave /proc/sys are rejected.
 */
export function sysctlPath(key: string): string {
  const dot = key.indexOf('.');
  const slash = key.indexOf('/');
  let rel = key;
  if (dot !== -1 && (slash === -1 || dot < slash)) {
    rel = '';
    for (const c of key) rel += c === '.' ? '/' : c === '/' ? '.' : c;
  }
  const parts = rel.split('/');
  if (rel.startsWith('/') || parts.some((p) => p === '..' || p === '.' || p === '') || rel.includes('\0')) {
    throw new Error(`invalid sysctl key "${key}"`);
  }
  return SYSCTL_BASE + rel;
}

/** Read a sysctl in the namespace the calling thread is in; the value is trimmed. */
export function sysctlGet(key: string): string {
  return readFileSync(sysctlPath(key), 'utf8').trim();
}

/** Write a sysctl in the namespace the calling thread is in. */
export function sysctlSet(key: string, value: string): void {
  writeFileSync(sysctlPath(key), value);
}

/** Read a sysctl inside `ns` (or the current namespace when `ns` is undefined). */
export function sysctlGetIn(ns: NetNS | undefined, key: string): string {
  return ns ? ns.run(() => sysctlGet(key)) : sysctlGet(key);
}

/** Write a sysctl inside `ns` (or the current namespace when `ns` is undefined). */
export function sysctlSetIn(ns: NetNS | undefined, key: string, value: string): void {
  if (ns) ns.run(() => sysctlSet(key, value));
  else sysctlSet(key, value);
}
