// MAC spoof check (the reference's pkg/link SpoofChecker) in the nftables `bridge nat` table:
// the host veth's frames must carry the container's MAC as source, anything else is dropped.
import { Nft } from '@cni/iptables';
import type { NetNS } from '@cni/ns';

export const SPOOF_TABLE = 'nat';
export const SPOOF_BASE_CHAIN = 'PREROUTING';

/** `containerID-ifname`: the key of one attachment's chains and comments. */
export const spoofUniqueID = (containerID: string, ifName: string): string => `${containerID}-${ifName}`;
export const spoofIfaceChain = (id: string): string => `cni-br-iface-${id}`;
export const spoofMacChain = (id: string): string => `cni-br-iface-${id}-mac`;
export const spoofComment = (id: string): string => `macspoofchk-${id}`;

const rule = (chain: string, expr: unknown[], comment: string) => ({
  rule: { family: 'bridge', table: SPOOF_TABLE, chain, expr, comment },
});
const chain = (name: string) => ({ chain: { family: 'bridge', table: SPOOF_TABLE, name } });
const jump = (target: string) => ({ jump: { target } });

/**
 * Install the spoof check for one port (`hostVeth`) whose container side has `mac`: one nft
 * JSON transaction (names with any character a container ID may hold need no quoting).
 */
export function setupSpoofCheck(hostVeth: string, mac: string, id: string, ns?: NetNS): void {
  const iface = spoofIfaceChain(id);
  const macChain = spoofMacChain(id);
  const comment = spoofComment(id);
  const doc = {
    nftables: [
      { add: { table: { family: 'bridge', name: SPOOF_TABLE } } },
      {
        add: {
          chain: {
            family: 'bridge',
            table: SPOOF_TABLE,
            name: SPOOF_BASE_CHAIN,
            type: 'filter',
            hook: 'prerouting',
            prio: -300,
            policy: 'accept',
          },
        },
      },
      { add: chain(iface) },
      { add: chain(macChain) },
      { flush: chain(iface) },
      { flush: chain(macChain) },
      {
        add: rule(
          SPOOF_BASE_CHAIN,
          [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: hostVeth } }, jump(iface)],
          comment,
        ),
      },
      { add: rule(iface, [jump(macChain)], comment) },
      {
        add: rule(
          macChain,
          [
            { match: { op: '==', left: { payload: { protocol: 'ether', field: 'saddr' } }, right: mac } },
            { return: null },
          ],
          comment,
        ),
      },
      { add: rule(macChain, [{ drop: null }], comment) },
    ],
  };
  new Nft({ ns }).run(JSON.stringify(doc));
}

/** Remove one attachment's rule from the base chain and its two chains; absent parts are fine. */
export function teardownSpoofCheck(id: string, ns?: NetNS): void {
  const nft = new Nft({ ns });
  const comment = spoofComment(id);
  const cmds: unknown[] = [];
  for (const r of nft.rules('bridge', SPOOF_TABLE, SPOOF_BASE_CHAIN)) {
    if (r.comment === comment)
      cmds.push({
        delete: { rule: { family: 'bridge', table: SPOOF_TABLE, chain: SPOOF_BASE_CHAIN, handle: r.handle } },
      });
  }
  const chains = new Set(nft.chains('bridge', SPOOF_TABLE));
  const mine = [spoofIfaceChain(id), spoofMacChain(id)].filter((c) => chains.has(c));
  for (const c of mine) cmds.push({ flush: chain(c) });
  for (const c of mine) cmds.push({ delete: chain(c) });
  if (cmds.length > 0) nft.run(JSON.stringify({ nftables: cmds }));
}

const COMMENT_PREFIX = 'macspoofchk-';
const IFACE_CHAIN_PREFIX = 'cni-br-iface-';

/** The `iifname` a base-chain rule matches (our rules and Go's have the same shape). */
function iifnameOf(expr: unknown[] | undefined): string | undefined {
  for (const e of expr ?? []) {
    const m = (e as { match?: { left?: { meta?: { key?: string } }; right?: unknown } }).match;
    if (m?.left?.meta?.key === 'iifname' && typeof m.right === 'string') return m.right;
  }
  return undefined;
}

export interface SpoofGCOptions {
  /** The `containerID-ifname` keys (spoofUniqueID) of the valid attachments. */
  valid: ReadonlySet<string>;
  /**
   * Does the host port `iifname` belong to another network (it exists and is a port of another
   * bridge)? Such rules are left alone: the chains carry no network name.
   */
  foreign: (iifname: string) => boolean;
  ns?: NetNS | undefined;
}

/**
 * GC of the spoof check: remove the base-chain rules and the chains of every attachment that is
 * not valid, unless its host port still exists on another bridge (another network's
 * attachment). Chains that no remaining rule or valid attachment accounts for (inert leftovers)
 * go too. One transaction; returns the removed attachment keys and leftover chain names.
 */
export function gcSpoofCheck(opts: SpoofGCOptions): string[] {
  const nft = new Nft({ ns: opts.ns });
  const staleRules: number[] = [];
  const removed: string[] = [];
  const kept = new Set<string>(opts.valid);
  for (const r of nft.rules('bridge', SPOOF_TABLE, SPOOF_BASE_CHAIN)) {
    if (!r.comment?.startsWith(COMMENT_PREFIX)) continue;
    const id = r.comment.slice(COMMENT_PREFIX.length);
    const iif = iifnameOf(r.expr);
    if (opts.valid.has(id) || (iif !== undefined && opts.foreign(iif))) {
      kept.add(id);
      continue;
    }
    staleRules.push(r.handle);
    removed.push(id);
  }
  const explained = new Set<string>();
  for (const id of kept) explained.add(spoofIfaceChain(id)).add(spoofMacChain(id));
  const chains = nft
    .chains('bridge', SPOOF_TABLE)
    .filter((c) => c.startsWith(IFACE_CHAIN_PREFIX) && !explained.has(c));
  for (const c of chains) {
    const id = c.slice(IFACE_CHAIN_PREFIX.length);
    if (!removed.includes(id) && !removed.includes(id.replace(/-mac$/, ''))) removed.push(c);
  }
  if (staleRules.length === 0 && chains.length === 0) return [];
  const cmds: unknown[] = [
    ...staleRules.map((handle) => ({
      delete: { rule: { family: 'bridge', table: SPOOF_TABLE, chain: SPOOF_BASE_CHAIN, handle } },
    })),
    ...chains.map((c) => ({ flush: chain(c) })),
    ...chains.map((c) => ({ delete: chain(c) })),
  ];
  nft.run(JSON.stringify({ nftables: cmds }));
  return removed;
}
