// IP forwarding, written only when not already on (the reference's EnableIP4Forward /
// EnableIP6Forward): a read-only /proc/sys stays untouched when nothing needs changing.
import { type NetNS, sysctlGetIn, sysctlSetIn } from '@cni/ns';

export const IPV4_FORWARD_KEY = 'net/ipv4/ip_forward';
export const IPV6_FORWARD_KEY = 'net/ipv6/conf/all/forwarding';

function ensureOne(ns: NetNS | undefined, key: string): void {
  let current = '';
  try {
    current = sysctlGetIn(ns, key);
  } catch {
    // unreadable: try the write, which reports the real error
  }
  if (current === '1') return;
  try {
    sysctlSetIn(ns, key, '1');
  } catch (err) {
    throw new Error(`failed to enable forwarding (${key}=1): ${(err as Error).message}`, { cause: err });
  }
}

export function enableIP4Forward(ns?: NetNS): void {
  ensureOne(ns, IPV4_FORWARD_KEY);
}

export function enableIP6Forward(ns?: NetNS): void {
  ensureOne(ns, IPV6_FORWARD_KEY);
}

/** Forwarding for the families present in `ips` (addresses 'ip/prefix'). */
export function enableForward(ips: readonly { address: string }[], ns?: NetNS): void {
  let v4 = false;
  let v6 = false;
  for (const ip of ips) {
    if (ip.address.includes(':')) v6 = true;
    else v4 = true;
  }
  if (v4) enableIP4Forward(ns);
  if (v6) enableIP6Forward(ns);
}
