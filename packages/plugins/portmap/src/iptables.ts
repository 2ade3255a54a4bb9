// portmap, iptables backend (nat table): the reference's chains, rule texts and comments.
import {
  formatChainNameWithPrefix,
  type IPFamily,
  IPTables,
  jumpTarget,
  ruleComment,
  type TableEdit,
  trimComment,
} from '@cni/iptables';
import type { NetNS } from '@cni/ns';
import type { PortMapConf, PortMapEntry } from './config.js';

export const TOP_LEVEL_DNAT_CHAIN = 'CNI-HOSTPORT-DNAT';
export const SET_MARK_CHAIN = 'CNI-HOSTPORT-SETMARK';
export const MARK_MASQ_CHAIN = 'CNI-HOSTPORT-MASQ';
export const OLD_TOP_LEVEL_SNAT_CHAIN = 'CNI-HOSTPORT-SNAT';

export function dnatChainName(network: string, containerID: string): string {
  return formatChainNameWithPrefix(network, containerID, 'DN-');
}

export function oldSnatChainName(network: string, containerID: string): string {
  return formatChainNameWithPrefix(network, containerID, 'SN-');
}

export function dnatComment(network: string, containerID: string): string {
  return trimComment(`dnat name: "${network}" id: "${containerID}"`);
}

function markDef(bit: number): string {
  const v = (1 << bit) >>> 0;
  return `0x${v.toString(16)}/0x${v.toString(16)}`;
}

function familyOf(cidr: string): IPFamily {
  return cidr.includes(':') ? 6 : 4;
}

/** Does this mapping apply to the family? And with which destination address? */
export function mappingTarget(e: PortMapEntry, family: IPFamily): { use: boolean; dst?: string } {
  if (!e.hostIP) return { use: true };
  const hostFamily: IPFamily = e.hostIP.includes(':') ? 6 : 4;
  if (hostFamily !== family) return { use: false };
  const unspecified = e.hostIP === '0.0.0.0' || /^[0:]+$/.test(e.hostIP) || e.hostIP === '::';
  return unspecified ? { use: true } : { use: true, dst: e.hostIP };
}

/** Entry rules of `CNI-DN-…` in `CNI-HOSTPORT-DNAT`: per protocol (sorted), ports by 15. */
export function dnatEntryRules(conf: PortMapConf, family: IPFamily): string[][] {
  const chain = dnatChainName(conf.name, conf.containerID);
  const comment = dnatComment(conf.name, conf.containerID);
  const byProto = new Map<string, number[]>();
  for (const e of conf.portMappings) {
    const list = byProto.get(e.protocol) ?? [];
    list.push(e.hostPort);
    byProto.set(e.protocol, list);
  }
  const conditions = (family === 6 ? conf.conditionsV6 : conf.conditionsV4) ?? [];
  const out: string[][] = [];
  for (const proto of [...byProto.keys()].sort()) {
    const ports = byProto.get(proto) ?? [];
    for (let i = 0; i < ports.length; i += 15) {
      out.push([
        '-m',
        'comment',
        '--comment',
        comment,
        '-m',
        'multiport',
        '-p',
        proto,
        '--destination-ports',
        ports.slice(i, i + 15).join(','),
        ...conditions,
        '-j',
        chain,
      ]);
    }
  }
  return out;
}

/** Rules of `CNI-DN-…`: hairpin/localhost mark rules and the DNAT, per mapping. */
export function dnatRules(conf: PortMapConf, containerNet: string): string[][] {
  const family = familyOf(containerNet);
  const ip = containerNet.split('/')[0] as string;
  const setMark = conf.externalSetMarkChain ?? SET_MARK_CHAIN;
  const rules: string[][] = [];
  for (const e of conf.portMappings) {
    const t = mappingTarget(e, family);
    if (!t.use) continue;
    const base = ['-p', e.protocol, '--dport', String(e.hostPort)];
    if (t.dst) base.push('-d', t.dst);
    if (conf.snat) {
      const masqCIDR = conf.masqAll ? (family === 6 ? '::/0' : '0.0.0.0/0') : containerNet;
      rules.push([...base, '-s', masqCIDR, '-j', setMark]);
      if (family === 4 && !conf.masqAll) rules.push([...base, '-s', '127.0.0.1', '-j', setMark]);
    }
    const to = family === 6 ? `[${ip}]:${e.containerPort}` : `${ip}:${e.containerPort}`;
    rules.push([...base, '-j', 'DNAT', '--to-destination', to]);
  }
  return rules;
}

function setupShared(t: TableEdit, conf: PortMapConf): void {
  if (conf.snat && conf.externalSetMarkChain === undefined) {
    const mark = markDef(conf.markMasqBit);
    t.ensureChain(SET_MARK_CHAIN);
    t.appendUnique(SET_MARK_CHAIN, [
      '-m',
      'comment',
      '--comment',
      'CNI portfwd masquerade mark',
      '-j',
      'MARK',
      '--set-xmark',
      mark,
    ]);
    t.ensureChain(MARK_MASQ_CHAIN);
    t.appendUnique(MARK_MASQ_CHAIN, ['-m', 'mark', '--mark', mark, '-j', 'MASQUERADE']);
    t.insertUnique(
      'POSTROUTING',
      ['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', MARK_MASQ_CHAIN],
      true,
    );
  }
  t.ensureChain(TOP_LEVEL_DNAT_CHAIN);
  for (const entry of ['PREROUTING', 'OUTPUT'])
    t.appendUnique(entry, ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', TOP_LEVEL_DNAT_CHAIN]);
}

export function forwardPortsIPTables(conf: PortMapConf, containerNet: string, ns?: NetNS): void {
  const family = familyOf(containerNet);
  const chain = dnatChainName(conf.name, conf.containerID);
  new IPTables(family, { ns }).update('nat', (t) => {
    setupShared(t, conf);
    // The per-attachment chain is rebuilt whole, so a repeated ADD leaves exactly one copy.
    t.clearChain(chain);
    for (const r of dnatRules(conf, containerNet)) t.append(chain, r);
    t.deleteRulesWhere(TOP_LEVEL_DNAT_CHAIN, (r) => jumpTarget(r) === chain);
    for (const r of dnatEntryRules(conf, family)) t.append(TOP_LEVEL_DNAT_CHAIN, r);
  });
}

function teardown(t: TableEdit, conf: PortMapConf): void {
  const dn = dnatChainName(conf.name, conf.containerID);
  const sn = oldSnatChainName(conf.name, conf.containerID);
  // deleteChain also removes every rule jumping to the chain (entry rules, whatever their text).
  t.deleteChain(dn);
  t.deleteChain(sn);
}

/** Remove this attachment's rules in both families; missing chains/binaries are fine. */
export function unforwardPortsIPTables(conf: PortMapConf, ns?: NetNS): void {
  const errs: string[] = [];
  let usable = 0;
  for (const family of [4, 6] as const) {
    const ipt = new IPTables(family, { ns });
    try {
      // Once a family was torn down through the tools (so iptables works here), a family without
      // a nat table (asked of the kernel) has nothing to remove: no tool is run for it. Not before:
      // a first family that fails must still fail, so that DEL falls back to nftables.
      if (usable > 0 && ipt.tableAbsent('nat')) {
        usable++;
        continue;
      }
      ipt.update('nat', (t) => teardown(t, conf));
      usable++;
    } catch (err) {
      errs.push(`(${ipt.command}) ${(err as Error).message}`);
    }
  }
  if (usable === 0) throw new Error(`neither iptables nor ip6tables is usable, ${errs.join(', ')}`);
}

/** CHECK: the DN chain and every rule (ours textually, else the kernel's own comparison). */
export function checkPortsIPTables(conf: PortMapConf, containerNet: string, ns?: NetNS): void {
  const family = familyOf(containerNet);
  const chain = dnatChainName(conf.name, conf.containerID);
  const ipt = new IPTables(family, { ns });
  ipt.view('nat', (t) => {
    if (!t.hasChain(chain)) throw new Error(`chain ${chain} not found in ${ipt.command} table nat`);
    const want: [string, string[]][] = [
      ...dnatRules(conf, containerNet).map((r): [string, string[]] => [chain, r]),
      ...dnatEntryRules(conf, family).map((r): [string, string[]] => [TOP_LEVEL_DNAT_CHAIN, r]),
    ];
    for (const [c, r] of want) {
      if (!t.hasRule(c, r) && !ipt.check('nat', c, r))
        throw new Error(`rule ${r.join(' ')} in chain ${c} not found in ${ipt.command} table nat`);
    }
  });
}

/** GC: drop the DN chains of this network whose container is not a valid attachment. */
export function gcIPTables(network: string, validIDs: readonly string[], ns?: NetNS): void {
  const keep = new Set(validIDs.map((id) => dnatChainName(network, id)));
  const prefix = `dnat name: "${network}" id: "`;
  for (const family of [4, 6] as const) {
    const ipt = new IPTables(family, { ns });
    if (ipt.tableAbsent('nat') || !ipt.usable()) continue;
    ipt.update('nat', (t) => {
      const stale = new Set<string>();
      for (const r of t.rules(TOP_LEVEL_DNAT_CHAIN)) {
        const target = jumpTarget(r);
        if (target?.startsWith('CNI-DN-') && !keep.has(target) && ruleComment(r)?.startsWith(prefix))
          stale.add(target);
      }
      for (const c of stale) t.deleteChain(c);
    });
  }
}

/** Is iptables (either family) usable for STATUS? */
export function iptablesUsable(ns?: NetNS): boolean {
  return new IPTables(4, { ns }).usable() || new IPTables(6, { ns }).usable();
}
