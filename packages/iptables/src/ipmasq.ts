// IP masquerading for bridge and ptp (the reference's pkg/ip ipmasq), in both backends.
import type { NetNS } from '@cni/ns';
import { nftTableExists } from '@cni/netlink';
import { type Backend, supportsIPTables, supportsNFTables, withBackend } from './detect.js';
import { formatChainName, formatComment, formatHashWithPrefix } from './hash.js';
import { type IPFamily, IPTables, jumpTarget, ruleComment } from './iptables.js';
import { canonicalAddress } from './rules.js';
import { Nft, NftError, nftQuote } from './nft.js';

export const IPMASQ_TABLE = 'cni_plugins_masquerade';
export const IPMASQ_CHAIN = 'masq_checks';
const NFT_COMMENT_MAX = 128;

export interface IPMasqArgs {
  /** Container addresses with their prefix, e.g. `10.22.0.5/16` (as in a CNI result). */
  ipns: readonly string[];
  network: string;
  ifname: string;
  containerID: string;
  /** Namespace whose firewall is changed (default: where the thread is, the host). */
  ns?: NetNS | undefined;
}

export interface GCAttachment {
  containerID: string;
  ifname: string;
}

function familyOf(cidr: string): IPFamily {
  return cidr.includes(':') ? 6 : 4;
}

function addrOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

// ---------------------------------------------------------------- iptables

function setupIPTables(a: IPMasqArgs): void {
  const chain = formatChainName(a.network, a.containerID);
  const comment = formatComment(a.network, a.containerID);
  for (const family of [4, 6] as const) {
    const ipns = a.ipns.filter((c) => familyOf(c) === family);
    if (ipns.length === 0) continue;
    const mcast = family === 4 ? '224.0.0.0/4' : 'ff00::/8';
    new IPTables(family, { ns: a.ns }).update('nat', (t) => {
      t.ensureChain(chain);
      for (const ipn of ipns) {
        t.appendUnique(chain, ['-d', ipn, '-j', 'ACCEPT', '-m', 'comment', '--comment', comment]);
        t.appendUnique(chain, ['!', '-d', mcast, '-j', 'MASQUERADE', '-m', 'comment', '--comment', comment]);
        t.appendUnique('POSTROUTING', [
          '-s',
          addrOf(ipn),
          '-j',
          chain,
          '-m',
          'comment',
          '--comment',
          comment,
        ]);
      }
    });
  }
}

function teardownIPTables(a: IPMasqArgs): void {
  const chain = formatChainName(a.network, a.containerID);
  const families = new Set(a.ipns.map(familyOf));
  for (const family of families.size > 0 ? families : new Set<IPFamily>([4, 6])) {
    new IPTables(family, { ns: a.ns }).update('nat', (t) => {
      // Both the current `-s IP` and the legacy `-s IP/prefix` forms jump to the chain.
      t.deleteRulesWhere('POSTROUTING', (r) => jumpTarget(r) === chain);
      t.deleteChain(chain);
    });
  }
}

function gcIPTables(network: string, valid: readonly GCAttachment[], ns?: NetNS): void {
  const keep = new Set(valid.map((v) => formatChainName(network, v.containerID)));
  const prefix = `name: "${network}" id: "`;
  for (const family of [4, 6] as const) {
    const ipt = new IPTables(family, { ns });
    ipt.update('nat', (t) => {
      const stale = new Set<string>();
      for (const r of t.rules('POSTROUTING')) {
        const comment = ruleComment(r);
        const target = jumpTarget(r);
        if (!comment?.startsWith(prefix) || !target || keep.has(target)) continue;
        const id = comment.slice(prefix.length, -1);
        if (formatChainName(network, id) === target) stale.add(target);
      }
      for (const c of stale) t.deleteChain(c);
    });
  }
}

// ---------------------------------------------------------------- nftables

function hashForNetwork(network: string): string {
  return formatHashWithPrefix(16, '', network);
}

export function ipMasqInstanceHash(network: string, ifname: string, containerID: string): string {
  return `${hashForNetwork(network)}-${formatHashWithPrefix(16, '', `${ifname}:${containerID}`)}`;
}

/** The nftables rule comment: hash first, then a readable (possibly cut) description. */
export function ipMasqComment(network: string, ifname: string, containerID: string): string {
  const strip = (s: string) => s.replaceAll('"', '');
  const c = `${ipMasqInstanceHash(network, ifname, containerID)}, net: ${strip(network)}, if: ${strip(ifname)}, id: ${strip(containerID)}`;
  return c.length > NFT_COMMENT_MAX ? c.slice(0, NFT_COMMENT_MAX) : c;
}

const T = `inet ${IPMASQ_TABLE}`;

function withRetry(fn: () => void): void {
  let last: unknown;
  for (let i = 0; i < 4; i++) {
    try {
      fn();
      return;
    } catch (err) {
      // A rule listed a moment ago may have been deleted by a concurrent caller: list again.
      if (!(err instanceof NftError)) throw err;
      last = err;
    }
  }
  throw last;
}

function findRules(nft: Nft, prefix: string) {
  return nft.rules('inet', IPMASQ_TABLE, IPMASQ_CHAIN).filter((r) => r.comment?.startsWith(prefix));
}

function setupNFT(a: IPMasqArgs): void {
  const nft = new Nft({ ns: a.ns });
  const comment = ipMasqComment(a.network, a.ifname, a.containerID);
  withRetry(() => {
    const stale = findRules(nft, ipMasqInstanceHash(a.network, a.ifname, a.containerID));
    const cmds = [
      `add table ${T} { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }`,
      `add chain ${T} ${IPMASQ_CHAIN} { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }`,
      `add chain ${T} postrouting { type nat hook postrouting priority srcnat ; }`,
      `flush chain ${T} postrouting`,
      `add rule ${T} postrouting ip daddr == 224.0.0.0/4 return`,
      `add rule ${T} postrouting ip6 daddr == ff00::/8 return`,
      `add rule ${T} postrouting goto ${IPMASQ_CHAIN}`,
      ...stale.map((r) => `delete rule ${T} ${IPMASQ_CHAIN} handle ${r.handle}`),
    ];
    for (const ipn of a.ipns) {
      const ip = familyOf(ipn) === 4 ? 'ip' : 'ip6';
      cmds.push(
        `add rule ${T} ${IPMASQ_CHAIN} ${ip} saddr == ${addrOf(ipn)} ${ip} daddr != ${canonicalAddress(ipn)} masquerade comment ${nftQuote(comment)}`,
      );
    }
    nft.run(`${cmds.join('\n')}\n`);
  });
}

function deleteNFT(nft: Nft, pick: () => { handle: number }[]): void {
  withRetry(() => {
    const rules = pick();
    if (rules.length === 0) return;
    nft.run(`${rules.map((r) => `delete rule ${T} ${IPMASQ_CHAIN} handle ${r.handle}`).join('\n')}\n`);
  });
}

function teardownNFT(a: IPMasqArgs): void {
  // Without the table there is nothing to delete: one netlink request says so, and libnftables
  // (or the nft binary) is not loaded for it.
  if (nftTableExists(a.ns, 'inet', IPMASQ_TABLE) === false) return;
  const nft = new Nft({ ns: a.ns });
  const hash = ipMasqInstanceHash(a.network, a.ifname, a.containerID);
  deleteNFT(nft, () => findRules(nft, hash));
}

function gcNFT(network: string, valid: readonly GCAttachment[], ns?: NetNS): void {
  if (nftTableExists(ns, 'inet', IPMASQ_TABLE) === false) return;
  const nft = new Nft({ ns });
  const keep = new Set(valid.map((v) => ipMasqComment(network, v.ifname, v.containerID)));
  deleteNFT(nft, () => findRules(nft, hashForNetwork(network)).filter((r) => !keep.has(r.comment ?? '')));
}

// ---------------------------------------------------------------- public API

/** Masquerade traffic from the container addresses (bridge/ptp `ipMasq: true`). */
export function setupIPMasq(a: IPMasqArgs & { backend?: Backend | null | undefined }): void {
  withBackend(a.backend, a.ns, (b) => (b === 'iptables' ? setupIPTables(a) : setupNFT(a)));
}

function collect(parts: [() => void, () => boolean][]): void {
  const errs: string[] = [];
  for (const [run, usable] of parts) {
    try {
      run();
    } catch (err) {
      if (usable()) errs.push((err as Error).message);
    }
  }
  if (errs.length > 0) throw new Error(errs.join('\n'));
}

/** Remove this attachment's masquerading in both backends (errors only from usable ones). */
export function teardownIPMasq(a: IPMasqArgs): void {
  collect([
    [() => teardownIPTables(a), () => supportsIPTables(a.ns)],
    [() => teardownNFT(a), () => supportsNFTables(a.ns)],
  ]);
}

/** Remove masquerading of `network` whose attachment is not in `valid`, in both backends. */
export function gcIPMasq(network: string, valid: readonly GCAttachment[], ns?: NetNS): void {
  collect([
    [() => gcIPTables(network, valid, ns), () => supportsIPTables(ns)],
    [() => gcNFT(network, valid, ns), () => supportsNFTables(ns)],
  ]);
}
