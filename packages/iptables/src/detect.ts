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
