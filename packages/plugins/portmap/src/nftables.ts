// portmap, nftables backend: tables `cni_hostport` in families ip and ip6, as the reference.
// The reference's rules carry only the container ID (comment); for GC each network also keeps a
// record chain `attachments_<hash of the network name>` (never jumped to) with one `return` rule
// per attachment, commented with the container ID.
import { Nft, NftError, nftQuote, sha256Hex } from '@cni/iptables';
import { nftTableExists } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import type { PortMapConf } from './config.js';
import { mappingTarget } from './iptables.js';

export const NFT_TABLE = 'cni_hostport';
const HOSTPORTS = 'hostports';
const HOSTIP_HOSTPORTS = 'hostip_hostports';
const HOSTPORTS_ALL = 'hostports_all';
const MASQUERADING = 'masquerading';
const ATTACHMENTS_PREFIX = 'attachments_';

/** The record chain of a network's attachments: `attachments_` + 16 hex of SHA-256(name). */
export function attachmentsChain(network: string): string {
  return `${ATTACHMENTS_PREFIX}${sha256Hex(network).slice(0, 16)}`;
}

function familyOf(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}

/** The nft commands of one ADD for one family (one transaction). */
export function forwardCommands(conf: PortMapConf, containerNet: string): string[] {
  const family = familyOf(containerNet);
  const ipX = family === 6 ? 'ip6' : 'ip';
  const T = `${ipX} ${NFT_TABLE}`;
  const ip = containerNet.split('/')[0] as string;
  const conditions = ((family === 6 ? conf.conditionsV6 : conf.conditionsV4) ?? []).join(' ');
  const cond = conditions ? `${conditions} ` : '';
  const comment = nftQuote(conf.containerID);
  const cmds = [
    `add table ${T} { comment "CNI portmap plugin" ; }`,
    `add chain ${T} ${HOSTPORTS}`,
    `add chain ${T} ${HOSTIP_HOSTPORTS}`,
    `add chain ${T} ${HOSTPORTS_ALL}`,
    `flush chain ${T} ${HOSTPORTS_ALL}`,
    `add rule ${T} ${HOSTPORTS_ALL} jump ${HOSTIP_HOSTPORTS}`,
    `add rule ${T} ${HOSTPORTS_ALL} jump ${HOSTPORTS}`,
    `add chain ${T} prerouting { type nat hook prerouting priority -100 ; }`,
    `flush chain ${T} prerouting`,
    `add rule ${T} prerouting ${cond}fib daddr type local jump ${HOSTPORTS_ALL}`,
    `add chain ${T} output { type nat hook output priority -100 ; }`,
    `flush chain ${T} output`,
    `add rule ${T} output ${cond}fib daddr type local jump ${HOSTPORTS_ALL}`,
  ];
  if (conf.snat) cmds.push(`add chain ${T} ${MASQUERADING} { type nat hook postrouting priority 100 ; }`);
  const record = attachmentsChain(conf.name);
  cmds.push(`add chain ${T} ${record}`, `add rule ${T} ${record} return comment ${comment}`);
  for (const e of conf.portMappings) {
    const t = mappingTarget(e, family);
    if (!t.use) continue;
    const to = family === 6 ? `[${ip}]:${e.containerPort}` : `${ip}:${e.containerPort}`;
    const dst = t.dst ? `${ipX} daddr ${t.dst} ` : '';
    cmds.push(
      `add rule ${T} ${HOSTPORTS} ${dst}${e.protocol} dport ${e.hostPort} dnat to ${to} comment ${comment}`,
    );
  }
  if (conf.snat) {
    const src = conf.masqAll ? (family === 6 ? '::/0' : '0.0.0.0/0') : ip;
    cmds.push(
      `add rule ${T} ${MASQUERADING} ${ipX} saddr ${src} ${ipX} daddr ${ip} masquerade comment ${comment}`,
    );
    if (family === 4 && !conf.masqAll)
      cmds.push(
        `add rule ${T} ${MASQUERADING} ${ipX} saddr 127.0.0.1 ${ipX} daddr ${ip} masquerade comment ${comment}`,
      );
  }
  return cmds;
}

/**
 * Delete the rules of `containerID` from our chains of one family and its record in the
 * network's record chain (commands; [] if none).
 */
function deleteCommands(nft: Nft, ipX: 'ip' | 'ip6', containerID: string, network: string): string[] {
  const out: string[] = [];
  for (const chain of [HOSTPORTS, HOSTIP_HOSTPORTS, MASQUERADING, attachmentsChain(network)]) {
    for (const r of nft.rules(ipX, NFT_TABLE, chain)) {
      if (r.comment === containerID) out.push(`delete rule ${ipX} ${NFT_TABLE} ${chain} handle ${r.handle}`);
    }
  }
  return out;
}

function retry(fn: () => void): void {
  let last: unknown;
  for (let i = 0; i < 4; i++) {
    try {
      fn();
      return;
    } catch (err) {
      if (!(err instanceof NftError)) throw err;
      last = err;
    }
  }
  throw last;
}

export function forwardPortsNFT(conf: PortMapConf, containerNet: string, ns?: NetNS): void {
  const nft = new Nft({ ns });
  const ipX = familyOf(containerNet) === 6 ? 'ip6' : 'ip';
  retry(() => {
    // A repeated ADD replaces this container's rules instead of duplicating them.
    const stale = deleteCommands(nft, ipX, conf.containerID, conf.name);
    try {
      nft.run(`${[...stale, ...forwardCommands(conf, containerNet)].join('\n')}\n`);
    } catch (err) {
      throw err instanceof NftError
        ? new NftError(`unable to set up nftables rules for port mappings: ${err.message}`, err.notFound)
        : err;
    }
  });
}

export function unforwardPortsNFT(conf: PortMapConf, ns?: NetNS): void {
  const nft = new Nft({ ns });
  for (const ipX of ['ip', 'ip6'] as const) {
    // A family without the table has nothing to delete (one netlink request, no libnftables).
    if (nftTableExists(ns, ipX, NFT_TABLE) === false) continue;
    retry(() => {
      const cmds = deleteCommands(nft, ipX, conf.containerID, conf.name);
      if (cmds.length > 0) nft.run(`${cmds.join('\n')}\n`);
    });
  }
}

export function checkPortsNFT(conf: PortMapConf, containerNet: string, ns?: NetNS): void {
  const family = familyOf(containerNet);
  const ipX = family === 6 ? 'ip6' : 'ip';
  const nft = new Nft({ ns });
  const hostPorts = conf.portMappings.filter((e) => mappingTarget(e, family).use).length;
  const masq = conf.snat ? (family === 4 && !conf.masqAll ? 2 : 1) : 0;
  for (const [chain, n] of [
    [HOSTPORTS, hostPorts],
    [MASQUERADING, masq],
  ] as const) {
    if (n === 0) continue;
    const found = nft.rules(ipX, NFT_TABLE, chain).filter((r) => r.comment === conf.containerID).length;
    if (found < n) throw new Error(`missing hostport rules in "${chain}" chain (${ipX} ${NFT_TABLE})`);
  }
}

/**
 * GC: in both families, the records of `network` whose container ID is not valid go, with the
 * rules carrying that container ID — unless another network still records the same container
 * ID (the rules cannot be told apart; that network's DEL or GC removes them). Attachments added
 * by the Go plugin have no record and are left alone. Returns the removed container IDs.
 */
export function gcNFT(network: string, validIDs: readonly string[], ns?: NetNS): string[] {
  const nft = new Nft({ ns });
  const valid = new Set(validIDs);
  const own = attachmentsChain(network);
  const removed = new Set<string>();
  for (const ipX of ['ip', 'ip6'] as const) {
    retry(() => {
      const records = nft.rules(ipX, NFT_TABLE, own);
      if (records.length === 0) return;
      const elsewhere = new Set<string>();
      for (const c of nft.chains(ipX, NFT_TABLE)) {
        if (c === own || !c.startsWith(ATTACHMENTS_PREFIX)) continue;
        for (const r of nft.rules(ipX, NFT_TABLE, c)) if (r.comment) elsewhere.add(r.comment);
      }
      const cmds: string[] = [];
      const stale = new Set<string>();
      for (const r of records) {
        if (r.comment === undefined || valid.has(r.comment)) continue;
        cmds.push(`delete rule ${ipX} ${NFT_TABLE} ${own} handle ${r.handle}`);
        stale.add(r.comment);
      }
      for (const chain of [HOSTPORTS, HOSTIP_HOSTPORTS, MASQUERADING]) {
        for (const r of nft.rules(ipX, NFT_TABLE, chain)) {
          if (r.comment !== undefined && stale.has(r.comment) && !elsewhere.has(r.comment))
            cmds.push(`delete rule ${ipX} ${NFT_TABLE} ${chain} handle ${r.handle}`);
        }
      }
      if (cmds.length > 0) nft.run(`${cmds.join('\n')}\n`);
      for (const id of stale) removed.add(id);
    });
  }
  return [...removed];
}
