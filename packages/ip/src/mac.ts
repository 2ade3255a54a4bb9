// MAC address helpers: parse/format in the reference's text form (lower case, colons).
import { randomBytes } from './random.js';

/** Parse `aa:bb:cc:dd:ee:ff` (also `-` separated, any case); undefined when not a 6-byte MAC. */
export function parseMAC(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text))
    return undefined;
  return Buffer.from(text.split(/[:-]/).map((x) => Number.parseInt(x, 16)));
}

/** Go's net.HardwareAddr.String(): lower-case hex pairs joined by colons. */
export function formatMAC(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Canonical text of a MAC (`AA-BB-…` → `aa:bb:…`); undefined when invalid. */
export function normalizeMAC(text: string): string | undefined {
  const b = parseMAC(text);
  return b ? formatMAC(b) : undefined;
}

/** A random locally administered unicast MAC (the kernel's eth_random_addr rule). */
export function randomMAC(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return formatMAC(b);
}

/** `0a:58:` + the IPv4 address bytes: the MAC the reference's hwaddr helper derived from an IP. */
export function macFromIPv4(ip: string): string {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`macFromIPv4: invalid IPv4 address "${ip}"`);
  }
  return formatMAC(Buffer.from([0x0a, 0x58, ...parts.map(Number)]));
}

export const isUnicastMAC = (mac: Uint8Array): boolean => mac.length === 6 && (mac[0]! & 1) === 0;
export const isZeroMAC = (mac: Uint8Array): boolean => mac.every((b) => b === 0);
