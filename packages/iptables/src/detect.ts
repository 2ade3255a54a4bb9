// Backend choice, as the reference (iptables unless it is unusable and nftables is usable),
// plus: an explicit choice always wins, and when the iptables binary is missing and an nftables
// engine is present, nftables is chosen even if probing it is not permitted (reference #1280).
import type { NetNS } from '@cni/ns';
import { findBinary } from './exec.js';
import { IPTables } from './iptables.js';
import { Nft } from './nft.js';

export type Backend = 'iptables' | 'nftables';

export function isBackend(v: unknown): v is Backend {
  return v === 'iptables' || v === 'nftables';
}

/** Usable = the binary runs and can read a table in `ns` (v4). Never throws. */
export function supportsIPTables(ns?: NetNS): boolean {
  return new IPTables(4, { ns }).usable();
}

/** Usable = libnftables or nft can read the ruleset in `ns`. Never throws. */
export function supportsNFTables(ns?: NetNS): boolean {
  return new Nft({ ns }).usable();
}

export function detectBackend(explicit?: Backend | null, ns?: NetNS): Backend {
  if (explicit) return explicit;
  if (supportsIPTables(ns)) return 'iptables';
  if (supportsNFTables(ns)) return 'nftables';
  if (!findBinary('iptables') && new Nft({ ns }).engine()) return 'nftables';
  return 'iptables';
}

/**
 * Run `op` on the explicit backend or, without one, on the backend detectBackend would pick,
 * without probing first: iptables is tried at once, and only if that fails is the backend
 * detected — nftables then runs `op` again when it is the one picked, otherwise the iptables
 * error stands. The outcome is the reference's (iptables unless it is unusable and nftables is
 * usable); the probe (an `iptables` run, ~5 ms) is spent only on hosts where iptables fails.
 */
export function withBackend<T>(
  explicit: Backend | null | undefined,
  ns: NetNS | undefined,
  op: (b: Backend) => T,
): T {
  if (explicit) return op(explicit);
  try {
    return op('iptables');
  } catch (err) {
    if (detectBackend(null, ns) !== 'nftables') throw err;
    return op('nftables');
  }
}
