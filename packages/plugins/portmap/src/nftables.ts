// portmap, nftables backend: tables `cni_hostport` in families ip and ip6, as the reference.
import { Nft, NftError, nftQuote } from '@cni/iptables';
import type { NetNS } from '@cni/ns';
import type { PortMapConf } from './config.js';
import { mappingTarget } from './iptables.js';

export const NFT_TABLE = 'cni_hostport';
const HOSTPORTS = 'hostports';
const HOSTIP_HOSTPORTS = 'hostip_hostports';
const HOSTPORTS_ALL = 'hostports_all';
const MASQUERADING = 'masquerading';

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

/** Delete the rules of `containerID` from our chains of one family (commands; [] if none). */
function deleteCommands(nft: Nft, ipX: 'ip' | 'ip6', containerID: string): string[] {
  const out: string[] = [];
  for (const chain of [HOSTPORTS, HOSTIP_HOSTPORTS, MASQUERADING]) {
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
    const stale = deleteCommands(nft, ipX, conf.containerID);
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
    retry(() => {
      const cmds = deleteCommands(nft, ipX, conf.containerID);
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
