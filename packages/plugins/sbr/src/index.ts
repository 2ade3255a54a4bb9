// The CNI sbr (source-based routing) meta plugin (cni-reference §3.18): traffic from each
// address of CNI_IFNAME leaves through that interface, whatever the main table says, by a
// `from <ip> lookup <table>` rule per address and (without a fixed `table`) a table per address
// holding the interface's routes. Every change is made inside the container namespace while
// holding an flock on the namespace file, as the reference does, so that sbr runs for several
// interfaces of one container do not pick the same table.
import { isNotFound, Netlink, type Route, type Rule } from '@cni/netlink';
import { flock, LOCK_EX, type NetNS } from '@cni/ns';
import { type CmdArgs, CniError, ErrCode, type PluginDef, type Result, versionsFrom } from '@cni/skel';
import { msg, openNetNS, openNetNSForDel, parseIP } from '@cni/ip';
import {
  FIRST_TABLE_ID,
  gatewayFor,
  hostSource,
  nextFreeTable,
  parseConf,
  relevantIPs,
  routeFollows,
  type SbrConf,
  type SbrIP,
  subnetOf,
} from './config.js';

export {
  FIRST_TABLE_ID,
  gatewayFor,
  hostSource,
  nextFreeTable,
  parseConf,
  relevantIPs,
  routeFollows,
  type SbrConf,
  type SbrIP,
  subnetOf,
} from './config.js';

const RT_TABLE_MAIN = 254;

/** Undo steps of an ADD, run newest first and synchronously (the socket and lock are held). */
class Undo {
  #steps: { what: string; fn: () => void }[] = [];
  push(what: string, fn: () => void): void {
    this.#steps.push({ what, fn });
  }
  run(): void {
    for (const s of this.#steps.reverse()) {
      try {
        s.fn();
      } catch (e) {
        process.stderr.write(`sbr: rollback: ${s.what}: ${msg(e)}\n`);
      }
    }
    this.#steps = [];
  }
}
const RT_SCOPE_LINK = 253;

/**
 * Run `fn` with a netlink socket in the namespace at `ns`, holding an exclusive flock on the
 * namespace file (the reference's lock, so Go and TypeScript sbr runs exclude each other). The
 * lock goes with the file descriptor when `ns` is closed.
 */
function withLockedNetlink<T>(ns: NetNS, fn: (nl: Netlink) => T): T {
  try {
    flock(ns.fd, LOCK_EX);
  } catch (e) {
    throw new CniError(ErrCode.Internal, `failed to lock netns "${ns.path}": ${msg(e)}`);
  }
  const nl = Netlink.open(ns);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

/** Rules of both families; IPv6 rules are absent when the kernel has no IPv6. */
function allRules(nl: Netlink): Rule[] {
  const rules = nl.ruleList(4);
  try {
    rules.push(...nl.ruleList(6));
  } catch {
    // no IPv6 in this kernel
  }
  return rules;
}

function ruleFor(a: SbrIP, table: number): Rule {
  return { family: a.ip.family, src: hostSource(a), table };
}

/** `table` given: one rule per address, nothing else. */
function addRulesOnly(nl: Netlink, ips: SbrIP[], table: number, rb: Undo): void {
  for (const a of ips) {
    const rule = ruleFor(a, table);
    try {
      nl.ruleAdd(rule);
    } catch (e) {
      throw new CniError(ErrCode.Internal, `failed to add rule from ${rule.src} lookup ${table}: ${msg(e)}`);
    }
    rb.push(`rule del from ${rule.src} lookup ${table}`, () => nl.ruleDel(rule));
  }
}

/**
 * No `table`: per address, the first table ≥ 100 that no rule and no route uses; a rule to it;
 * a default route via the static or the address's gateway; the interface's main-table routes
 * that belong to the address copied in. Then the interface's main-table routes are removed
 * (or, with addSourceHints, reduced to link routes with `src <ip>`).
 */
function addRoutesAndRules(nl: Netlink, ips: SbrIP[], ifName: string, conf: SbrConf, rb: Undo): void {
  if (ips.length === 0) return;
  const used = new Set<number>();
  for (const r of allRules(nl)) used.add(r.table);
  for (const r of nl.routeList({ table: 0 })) if (r.table !== undefined) used.add(r.table);

  let link: ReturnType<Netlink['linkByName']>;
  try {
    link = nl.linkByName(ifName);
  } catch (e) {
    throw new CniError(ErrCode.Internal, `Cannot find network interface ${ifName}: ${msg(e)}`);
  }
  // The interface's routes in main (the reference lists main only, and no multipath routes).
  const routes = nl.routeList({ oif: link.index }).filter((r) => r.oif === link.index);

  let table = nextFreeTable(used, FIRST_TABLE_ID);
  for (const a of ips) {
    const rule = ruleFor(a, table);
    try {
      nl.ruleAdd(rule);
    } catch (e) {
      throw new CniError(ErrCode.Internal, `Failed to add rule from ${rule.src} lookup ${table}: ${msg(e)}`);
    }
    rb.push(`rule del from ${rule.src} lookup ${table}`, () => nl.ruleDel(rule));
    used.add(table);

    const gw = gatewayFor(conf, a);
    if (gw !== undefined) {
      const family = a.ip.family;
      const def: Route = {
        family,
        dst: family === 4 ? '0.0.0.0/0' : '::/0',
        gw,
        table,
        oif: link.index,
      };
      if (parseIP(gw)?.family !== family) {
        throw new CniError(
          ErrCode.Internal,
          `Failed to add default route to ${gw}: gateway is not IPv${family} like ${a.cidr}`,
        );
      }
      try {
        nl.routeAdd(def);
      } catch (e) {
        throw new CniError(ErrCode.Internal, `Failed to add default route to ${gw}: ${msg(e)}`);
      }
      rb.push(`route del default via ${gw} table ${table}`, () => nl.routeDel(def));
    }

    for (const r of routes) {
      if (!routeFollows(a, r)) continue;
      // Flags (e.g. onlink, or those of a route the kernel made) are reset as in the reference.
      const { onlink: _onlink, ...rest } = r;
      const copy: Route = { ...rest, table };
      try {
        nl.routeAdd(copy, 'replace');
      } catch (e) {
        throw new CniError(
          ErrCode.Internal,
          `Failed to readd route ${describe(r)} to table ${table}: ${msg(e)}`,
        );
      }
      rb.push(`route del ${describe(r)} table ${table}`, () => {
        try {
          nl.routeDel(copy);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      });
    }
    table = nextFreeTable(used, table + 1);
  }

  if (conf.addSourceHints) {
    for (const a of ips) {
      const hint: Route = {
        family: a.ip.family,
        dst: subnetOf(a),
        src: hostSource(a).split('/')[0] as string,
        table: RT_TABLE_MAIN,
        scope: RT_SCOPE_LINK,
        oif: link.index,
      };
      try {
        nl.routeAdd(hint, 'replace');
      } catch (e) {
        // the reference only warns
        process.stderr.write(
          `sbr: warning: failed to add subnet route ${hint.dst} src ${hint.src}: ${msg(e)}\n`,
        );
      }
    }
    for (const r of routes) {
      if (r.scope === RT_SCOPE_LINK) continue;
      try {
        nl.routeDel(r);
      } catch (e) {
        if (!isNotFound(e))
          process.stderr.write(`sbr: warning: failed to delete route ${describe(r)}: ${msg(e)}\n`);
      }
    }
    return;
  }
  // Removed only now: several addresses of one subnet all need the routes while copying.
  for (const r of routes) {
    try {
      nl.routeDel(r);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw new CniError(ErrCode.Internal, `Failed to delete route ${describe(r)}: ${msg(e)}`);
    }
    rb.push(`route add ${describe(r)}`, () => nl.routeAdd(r, 'replace'));
  }
}

function describe(r: Route): string {
  return `${r.dst ?? 'default'}${r.gw ? ` via ${r.gw}` : ''}${r.src ? ` src ${r.src}` : ''}`;
}

function requirePrev(conf: SbrConf): Result {
  if (!conf.prevResult) throw new CniError(ErrCode.Internal, 'This plugin must be called as chained plugin');
  return conf.prevResult;
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  const prev = requirePrev(conf);
  const ips = relevantIPs(prev, args.ifName);
  const ns = openNetNS(args.netns);
  const rb = new Undo();
  try {
    withLockedNetlink(ns, (nl) => {
      try {
        if (conf.table !== undefined) addRulesOnly(nl, ips, conf.table, rb);
        else addRoutesAndRules(nl, ips, args.ifName, conf, rb);
      } catch (e) {
        // undo while the socket is open and the lock held
        rb.run();
        throw e;
      }
    });
  } finally {
    ns.close();
  }
  return prev;
}

/** Same address, whatever the prefix length of its text. */
function sameIP(a: string, b: string): boolean {
  const x = parseIP(a.split('/')[0] ?? '');
  const y = parseIP(b.split('/')[0] ?? '');
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

/**
 * DEL removes the rules (all, or those of `table`) whose source is an address currently on
 * CNI_IFNAME. The tables' routes go with the interface. Missing netns, missing interface and
 * a second DEL succeed.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  if (args.netns === '') return;
  const ns = openNetNSForDel(args.netns);
  if (!ns) return;
  try {
    withLockedNetlink(ns, (nl) => {
      let rules = allRules(nl);
      if (conf.table !== undefined) rules = rules.filter((r) => r.table === conf.table);
      let index: number;
      try {
        index = nl.linkByName(args.ifName).index;
      } catch (e) {
        if (isNotFound(e)) return;
        throw new CniError(ErrCode.Internal, `Failed to get link ${args.ifName}: ${msg(e)}`);
      }
      const addrs = nl.addrList({ index }).map((a) => a.address);
      let failure: CniError | undefined;
      for (const rule of rules) {
        if (rule.src === undefined) continue;
        const src = rule.src;
        if (!addrs.some((a) => sameIP(a, src))) continue;
        try {
          nl.ruleDel(rule);
        } catch (e) {
          if (isNotFound(e)) continue;
          // keep going, report the last failure (as the reference)
          failure = new CniError(
            ErrCode.Internal,
            `Failed to delete rule from ${src} lookup ${rule.table}: ${msg(e)}`,
          );
        }
      }
      if (failure) throw failure;
    });
  } finally {
    ns.close();
  }
}

/**
 * The reference's CHECK does nothing. Here: prevResult is required and every address of
 * CNI_IFNAME has its `from <ip>` rule (to `table` when one is configured).
 */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  if (!conf.prevResult) throw new CniError(ErrCode.Internal, 'Required prevResult missing');
  const ips = relevantIPs(conf.prevResult, args.ifName);
  const ns = openNetNS(args.netns);
  try {
    const nl = Netlink.open(ns);
    try {
      const rules = allRules(nl);
      for (const a of ips) {
        const src = hostSource(a);
        const found = rules.some(
          (r) =>
            r.src !== undefined &&
            sameIP(r.src, src) &&
            r.src.endsWith(`/${a.ip.family === 4 ? 32 : 128}`) &&
            (conf.table === undefined || r.table === conf.table),
        );
        if (!found) {
          const where = conf.table === undefined ? '' : ` lookup ${conf.table}`;
          throw new CniError(ErrCode.Internal, `no rule "from ${src}${where}" for ${args.ifName}`);
        }
      }
    } finally {
      nl.close();
    }
  } finally {
    ns.close();
  }
}

/** sbr has no IPAM and keeps nothing outside the container: STATUS and GC succeed. */
export async function cmdStatus(args: CmdArgs): Promise<void> {
  parseConf(args.stdinData);
}

export async function cmdGC(args: CmdArgs): Promise<void> {
  parseConf(args.stdinData);
}

export const plugin: PluginDef = {
  type: 'sbr',
  versions: versionsFrom('0.1.0'),
  about: 'CNI sbr (source-based routing) plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
