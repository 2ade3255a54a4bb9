// The CNI vrf meta plugin (cni-reference §3.10): puts CNI_IFNAME into a VRF (created on first
// use, inside the container namespace) so that its routes live in the VRF's table. Enslaving
// flushes the interface's global IPv6 addresses and moves its routes out of main, so they are
// captured before and put back into the VRF's table after, as the reference does.
import { msg, openNetNS, openNetNSForDel, parseIP, sleepSync } from '@cni/ip';
import {
  IFA_F_NODAD,
  isExists,
  isNotFound,
  type Link,
  Netlink,
  RT_SCOPE_UNIVERSE,
  type Route,
} from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import { type CmdArgs, CniError, ErrCode, type PluginDef, type Result, versionsFrom } from '@cni/skel';
import { freeTable, parseConf } from './config.js';

export { freeTable, parseConf, type VrfConf } from './config.js';

const fail = (text: string) => new CniError(ErrCode.Internal, text);

/** The VRF named `name`; undefined when there is no such link; an error when it is not a VRF. */
function findVRF(nl: Netlink, name: string): Link | undefined {
  let link: Link;
  try {
    link = nl.linkByName(name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw fail(`failed to look up VRF ${name}: ${msg(e)}`);
  }
  if (link.kind !== 'vrf') throw fail(`Netlink ${name} is not a VRF`);
  return link;
}

const vrfTable = (l: Link): number => l.info?.vrfTable ?? 0;

/** Create the VRF with `table` (0 = the lowest one no other VRF uses) and set it up. */
function createVRF(nl: Netlink, name: string, table: number): { link: Link; created: boolean } {
  const t =
    table !== 0
      ? table
      : freeTable(
          nl
            .linkList()
            .filter((l) => l.kind === 'vrf')
            .map(vrfTable),
        );
  let link: Link;
  try {
    link = nl.linkAdd({ kind: 'vrf', name, table: t });
  } catch (e) {
    // another ADD in this namespace made it first
    if (isExists(e)) {
      const other = findVRF(nl, name);
      if (other) return { link: checkTable(other, name, table), created: false };
    }
    throw fail(`could not add VRF ${name}: ${msg(e)}`);
  }
  try {
    nl.linkSetUp(link.index);
  } catch (e) {
    try {
      nl.linkDel(link.index);
    } catch {
      // gone already
    }
    throw fail(`could not set link up for VRF ${name}: ${msg(e)}`);
  }
  return { link: nl.linkByIndex(link.index), created: true };
}

function checkTable(vrf: Link, name: string, table: number): Link {
  if (table !== 0 && vrfTable(vrf) !== table) {
    throw fail(`VRF ${name} already exist with different routing table ${vrfTable(vrf)}`);
  }
  return vrf;
}

const isGlobal = (scope: number) => scope === RT_SCOPE_UNIVERSE;

/** Same address (IPv6 text may differ in form). */
function sameAddr(a: string, b: string): boolean {
  const [ia, pa] = a.split('/');
  const [ib, pb] = b.split('/');
  const x = parseIP(ia ?? '');
  const y = parseIP(ib ?? '');
  return pa === pb && x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

/**
 * Enslave `ifName` to `vrf`, keeping its global IPv6 addresses and its universe-scope routes
 * (now in the VRF's table). `undo` collects what to reverse when a later step fails.
 */
function addInterface(nl: Netlink, vrf: Link, ifName: string, undo: (() => void)[]): void {
  let link: Link;
  try {
    link = nl.linkByName(ifName);
  } catch (e) {
    throw fail(`could not get link by name ${ifName}: ${msg(e)}`);
  }
  if (link.master) {
    let master = String(link.master);
    try {
      master = nl.linkByIndex(link.master).name;
    } catch {
      // keep the index
    }
    throw fail(`interface ${ifName} has already a master set: ${master}`);
  }
  const table = vrfTable(vrf);
  const before = nl.addrList({ index: link.index, family: 6 }).filter((a) => isGlobal(a.scope));
  // Routes that are not local or connected: enslaving removes them from main.
  const routes = nl
    .routeList({ oif: link.index })
    .filter((r) => r.oif === link.index && (r.scope ?? 0) === RT_SCOPE_UNIVERSE);

  try {
    nl.linkSetMaster(link.index, vrf.index);
  } catch (e) {
    throw fail(`could not set vrf ${vrf.name} as master of ${ifName}: ${msg(e)}`);
  }
  undo.push(() => nl.linkSetMaster(link.index, 0));

  const after = nl.addrList({ index: link.index, family: 6 }).filter((a) => isGlobal(a.scope));
  for (const a of before) {
    if (after.some((b) => sameAddr(a.address, b.address))) continue;
    try {
      nl.addrAdd(link.index, a.address, { noDad: (a.flags & IFA_F_NODAD) !== 0 });
    } catch (e) {
      if (!isExists(e))
        throw fail(`could not restore address ${a.address} to ${ifName} @ ${vrf.name}: ${msg(e)}`);
    }
    // The kernel adds the address's local route to the VRF's table asynchronously.
    const host = `${a.address.split('/')[0]}/128`;
    for (let retry = 0; ; retry++) {
      const found = nl
        .routeList({ table, oif: link.index, family: 6 })
        .some((r) => r.dst !== undefined && sameAddr(r.dst, host));
      if (found) break;
      if (retry === 8) {
        throw fail(
          `failed getting local/host addresses for ${ifName} in table ${table} with dst ${a.address}`,
        );
      }
      sleepSync(10 * 2 ** retry);
    }
  }

  for (const r of routes) {
    const moved: Route = { ...r, table };
    try {
      nl.routeAdd(moved, 'replace');
    } catch (e) {
      throw fail(
        `could not add route '${r.dst ?? 'default'}${r.gw ? ` via ${r.gw}` : ''}' to table ${table}: ${msg(e)}`,
      );
    }
  }
}

function withNetlink<T>(ns: NetNS, fn: (nl: Netlink) => T): T {
  const nl = Netlink.open(ns);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = parseConf(args.stdinData);
  if (!conf.prevResult) throw fail('missing prevResult from earlier plugin');
  const prev = conf.prevResult;
  const ns = openNetNS(args.netns);
  try {
    withNetlink(ns, (nl) => {
      const undo: (() => void)[] = [];
      try {
        let vrf = findVRF(nl, conf.vrfName);
        if (vrf) checkTable(vrf, conf.vrfName, conf.table);
        else {
          const made = createVRF(nl, conf.vrfName, conf.table);
          vrf = made.link;
          const index = vrf.index;
          if (made.created) undo.push(() => nl.linkDel(index));
        }
        addInterface(nl, vrf, args.ifName, undo);
      } catch (e) {
        for (const u of undo.reverse()) {
          try {
            u();
          } catch (err) {
            process.stderr.write(`vrf: rollback: ${msg(err)}\n`);
          }
        }
        throw CniError.from(e);
      }
    });
  } finally {
    ns.close();
  }
  return prev;
}

/**
 * DEL: take CNI_IFNAME out of the VRF and delete the VRF when nothing is left in it. A missing
 * netns, VRF or interface is not an error (the latter as reference PR #1282).
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  if (args.netns === '') return;
  const ns = openNetNSForDel(args.netns);
  if (!ns) return;
  try {
    withNetlink(ns, (nl) => {
      const vrf = findVRF(nl, conf.vrfName);
      if (!vrf) return;
      let link: Link | undefined;
      try {
        link = nl.linkByName(args.ifName);
      } catch (e) {
        if (!isNotFound(e)) throw fail(`resetMaster: could not get link by name ${args.ifName}: ${msg(e)}`);
      }
      if (link && link.master === vrf.index) {
        try {
          nl.linkSetMaster(link.index, 0);
        } catch (e) {
          throw fail(`resetMaster: could not reset master of ${args.ifName}: ${msg(e)}`);
        }
      }
      if (!nl.linkList().some((l) => l.master === vrf.index)) {
        try {
          nl.linkDel(vrf.index);
        } catch (e) {
          if (!isNotFound(e)) throw fail(`could not delete VRF ${conf.vrfName}: ${msg(e)}`);
        }
      }
    });
  } finally {
    ns.close();
  }
}

/** CHECK: the VRF exists (with the configured table, when one is set) and has CNI_IFNAME. */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData);
  if (!conf.prevResult) throw fail('missing prevResult from earlier plugin');
  const ns = openNetNS(args.netns);
  try {
    withNetlink(ns, (nl) => {
      const vrf = findVRF(nl, conf.vrfName);
      if (!vrf) throw fail(`VRF ${conf.vrfName} not found`);
      checkTable(vrf, conf.vrfName, conf.table);
      const member = nl.linkList().some((l) => l.master === vrf.index && l.name === args.ifName);
      if (!member) throw fail(`failed to find ${args.ifName} associated to vrf ${conf.vrfName}`);
    });
  } finally {
    ns.close();
  }
}

/** vrf has no IPAM and keeps nothing outside the container: STATUS and GC succeed. */
export async function cmdStatus(args: CmdArgs): Promise<void> {
  parseConf(args.stdinData);
}

export async function cmdGC(args: CmdArgs): Promise<void> {
  parseConf(args.stdinData);
}

export const plugin: PluginDef = {
  type: 'vrf',
  versions: versionsFrom('0.3.1'),
  about: 'CNI vrf plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
