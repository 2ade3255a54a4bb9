// MAC spoof check (the reference's pkg/link SpoofChecker) in the nftables `bridge nat` table:
// the host veth's frames must carry the container's MAC as source, anything else is dropped.
import { Nft, type NftRule } from '@cni/iptables';
import type { NetNS } from '@cni/ns';

export const SPOOF_TABLE = 'nat';
export const SPOOF_BASE_CHAIN = 'PREROUTING';
const T = `bridge ${SPOOF_TABLE}`;

/** `containerID-ifname`: the key of one attachment's chains and comments. */
export const spoofUniqueID = (containerID: string, ifName: string): string => `${containerID}-${ifName}`;
export const spoofIfaceChain = (id: string): string => `cni-br-iface-${id}`;
export const spoofMacChain = (id: string): string => `cni-br-iface-${id}-mac`;
export const spoofComment = (id: string): string => `macspoofchk-${id}`;

const q = (s: string): string => JSON.stringify(s);

/** Install the spoof check for one port (`hostVeth`) whose container side has `mac`. */
export function setupSpoofCheck(hostVeth: string, mac: string, id: string, ns?: NetNS): void {
  const iface = spoofIfaceChain(id);
  const macChain = spoofMacChain(id);
  const c = `comment ${q(spoofComment(id))}`;
  new Nft({ ns }).run(
    [
      `add table ${T}`,
      `add chain ${T} ${SPOOF_BASE_CHAIN} { type filter hook prerouting priority -300 ; policy accept ; }`,
      `add chain ${T} ${q(iface)}`,
      `add chain ${T} ${q(macChain)}`,
      `flush chain ${T} ${q(iface)}`,
      `flush chain ${T} ${q(macChain)}`,
      `add rule ${T} ${SPOOF_BASE_CHAIN} iifname ${q(hostVeth)} jump ${q(iface)} ${c}`,
      `add rule ${T} ${q(iface)} jump ${q(macChain)} ${c}`,
      `add rule ${T} ${q(macChain)} ether saddr ${mac} return ${c}`,
      `add rule ${T} ${q(macChain)} drop ${c}`,
      '',
    ].join('\n'),
  );
}

/** Remove one attachment's rule from the base chain and its two chains; absent parts are fine. */
export function teardownSpoofCheck(id: string, ns?: NetNS): void {
  const nft = new Nft({ ns });
  const comment = spoofComment(id);
  const cmds: string[] = [];
  let base: NftRule[] = [];
  base = nft.rules('bridge', SPOOF_TABLE, SPOOF_BASE_CHAIN);
  for (const r of base) {
    if (r.comment === comment) cmds.push(`delete rule ${T} ${SPOOF_BASE_CHAIN} handle ${r.handle}`);
  }
  const chains = new Set(nft.chains('bridge', SPOOF_TABLE));
  for (const ch of [spoofIfaceChain(id), spoofMacChain(id)]) {
    if (chains.has(ch)) cmds.push(`flush chain ${T} ${q(ch)}`);
  }
  for (const ch of [spoofIfaceChain(id), spoofMacChain(id)]) {
    if (chains.has(ch)) cmds.push(`delete chain ${T} ${q(ch)}`);
  }
  if (cmds.length > 0) nft.run(`${cmds.join('\n')}\n`);
}
