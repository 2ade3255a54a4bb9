// The reference's naming schemes (pkg/utils), bit for bit, from @cni/ip: chains created by the Go
// plugins are found by ours and the other way round. sha256Hex is for portmap's nftables record
// chains (SHA-256 without node:crypto).
export {
  formatChainName,
  formatComment,
  mustFormatChainNameWithPrefix as formatChainNameWithPrefix,
  mustFormatHashWithPrefix as formatHashWithPrefix,
  sha256Hex,
} from '@cni/ip';

/** iptables comments are at most 255 characters: longer ones become 253 characters + `...`. */
export function trimComment(value: string): string {
  return value.length <= 255 ? value : `${value.slice(0, 253)}...`;
}
