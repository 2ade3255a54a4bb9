// The CNI bandwidth plugin (cni-reference §3.16): a chained plugin that shapes the traffic of
// a veth-attached container. Ingress (into the container): a TBF root qdisc on the host veth.
// Egress (out of the container): the host veth's ingress traffic is redirected (u32 + mirred)
// to an ifb device `bwp<hash>` whose root qdisc is a TBF.
import { getVethPeerIfindex, ifbDeviceName, msg, openNetNS, Rollback } from '@cni/ip';
import { isNotFound, type Link, Netlink } from '@cni/netlink';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  getKey,
  type Interface,
  type PluginDef,
  type Result,
  versionsFrom,
} from '@cni/skel';
import { type BandwidthEntry, isZero, parseConf } from './config.js';
import { type TbfParams, tbfParams, tickInUsec } from './tbf.js';

export {
  type BandwidthConf,
  type BandwidthEntry,
  isZero,
  parseConf,
  validateRateAndBurst,
} from './config.js';
export {
  goUint32,
  LATENCY_MS,
  parsePsched,
  TIME_UNITS_PER_SEC,
  type TbfParams,
  tbfParams,
  tickInUsec,
} from './tbf.js';
export { ifbDeviceName } from '@cni/ip';

const ROOT_HANDLE = 0x00010000; // 1:
const INGRESS_HANDLE = 0xffff0000; // ffff:

const fail = (m: string): CniError => new CniError(ErrCode.Internal, m);

/**
 * The host-side interface of the container's veth: the peer of `ifName` (by ifindex), which
 * must be listed in prevResult as an interface outside any sandbox.
 */
export function getHostInterface(
  interfaces: readonly Interface[],
  ifName: string,
  contNsPath: string,
  host: Netlink,
): { iface: Interface; link: Link } {
  if (interfaces.length === 0) throw fail('no interfaces provided');
  const contNs = openNetNS(contNsPath);
  let peerIndex = -1;
  let why = '';
  try {
    const cnl = Netlink.open(contNs);
    try {
      peerIndex = getVethPeerIfindex(cnl, ifName).peerIndex;
    } catch (e) {
      why = msg(e);
    } finally {
      cnl.close();
    }
  } finally {
    contNs.close();
  }
  if (peerIndex <= 0) throw fail(`container interface ${ifName} has no veth peer: ${why}`);
  let link: Link;
  try {
    link = host.linkByIndex(peerIndex);
  } catch {
    throw fail(`veth peer with index ${peerIndex} is not in host ns`);
  }
  const iface = interfaces.find((i) => !i.sandbox && i.name === link.name);
  if (!iface) throw fail('no veth peer of container interface found in host ns');
  return { iface, link };
}

function requirePositive(p: TbfParams, dir: 'ingress' | 'egress', conf: BandwidthEntry): void {
  // The reference would hand the kernel a zero rate or buffer here; refuse before creating anything.
  if (p.rate <= 0)
    throw fail(`invalid ${dir}Rate ${String(conf[`${dir}Rate`])}: less than 8 bits/s (1 byte/s)`);
  if (p.buffer <= 0)
    throw fail(`invalid ${dir}Burst ${String(conf[`${dir}Burst`])}: the burst gives a zero TBF buffer`);
}

function addTbf(nl: Netlink, index: number, p: TbfParams): void {
  nl.qdiscAddTbf(index, { handle: ROOT_HANDLE, rate: p.rate, buffer: p.buffer, limit: p.limit });
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const { netConf, bandwidth } = parseConf(args.stdinData);
  const prev = netConf.prevResult;
  if (!prev) throw fail('must be called as chained plugin');
  if (!bandwidth || isZero(bandwidth)) return prev;

  const tick = tickInUsec();
  const ingress =
    bandwidth.ingressRate > 0 && bandwidth.ingressBurst > 0
      ? tbfParams(bandwidth.ingressRate, bandwidth.ingressBurst, tick)
      : undefined;
  const egress =
    bandwidth.egressRate > 0 && bandwidth.egressBurst > 0
      ? tbfParams(bandwidth.egressRate, bandwidth.egressBurst, tick)
      : undefined;
  if (ingress) requirePositive(ingress, 'ingress', bandwidth);
  if (egress) requirePositive(egress, 'egress', bandwidth);

  const result: Result = { ...prev, interfaces: [...(prev.interfaces ?? [])] };
  const nl = Netlink.open();
  const rb = new Rollback();
  try {
    const { link: host } = getHostInterface(result.interfaces ?? [], args.ifName, args.netns, nl);
    if (ingress) {
      try {
        addTbf(nl, host.index, ingress);
      } catch (e) {
        throw fail(`create qdisc: ${msg(e)}`);
      }
      rb.push(`delete the tbf qdisc of ${host.name}`, () => nl.qdiscDel(host.index, 'root'));
    }
    if (egress) {
      const name = ifbDeviceName(netConf.name, args.containerID);
      let ifb: Link;
      try {
        // txqlen 0 as the reference (its ifb carries only the tbf)
        ifb = nl.linkAdd({ kind: 'ifb', name, mtu: host.mtu, txQLen: 0 });
      } catch (e) {
        throw fail(`adding link: ${msg(e)}`);
      }
      rb.push(`delete ${name}`, () => nl.linkDel(ifb.index));
      try {
        // The alias says whose ifb this is, so that GC of one network leaves the others' alone.
        nl.linkSetAlias(ifb.index, ifbAlias(netConf.name, args.containerID));
        nl.linkSetUp(ifb.index);
      } catch (e) {
        throw fail(`adding link: ${msg(e)}`);
      }
      result.interfaces?.push({ name, mac: ifb.mac });
      try {
        nl.qdiscAddIngress(host.index);
      } catch (e) {
        throw fail(`create ingress qdisc: ${msg(e)}`);
      }
      rb.push(`delete the ingress qdisc of ${host.name}`, () => nl.qdiscDel(host.index, 'ingress'));
      try {
        nl.filterAddU32MirredRedirect(host.index, INGRESS_HANDLE, ifb.index, {
          controls: ['stolen', 'pass'],
        });
      } catch (e) {
        throw fail(`add filter: ${msg(e)}`);
      }
      try {
        addTbf(nl, ifb.index, egress);
      } catch (e) {
        throw fail(`create ifb qdisc: create qdisc: ${msg(e)}`);
      }
    }
    return result;
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    nl.close();
  }
}

/** Delete the ifb of this attachment (missing → success); the host veth's qdiscs go with it. */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const { netConf } = parseConf(args.stdinData);
  const name = ifbDeviceName(netConf.name, args.containerID);
  const nl = Netlink.open();
  try {
    nl.linkDel(name);
  } catch (e) {
    if (!isNotFound(e)) throw fail(`failed to delete ${name}: ${msg(e)}`);
  } finally {
    nl.close();
  }
}

/** Compare rate, limit and buffer of the TBF qdiscs (up to the first non-TBF one), as the reference. */
function checkTbf(nl: Netlink, index: number, p: TbfParams): void {
  const qdiscs = nl.qdiscList(index).filter((q) => q.kind !== 'pfifo_fast');
  if (qdiscs.length === 0) throw fail('Failed to find qdisc');
  for (const q of qdiscs) {
    if (q.kind !== 'tbf' || !q.tbf) break;
    if (q.tbf.rate !== p.rate) throw fail(`Rate doesn't match (have ${q.tbf.rate}, want ${p.rate})`);
    if (q.tbf.limit !== p.limit) throw fail(`Limit doesn't match (have ${q.tbf.limit}, want ${p.limit})`);
    if (q.tbf.buffer !== p.buffer)
      throw fail(`Buffer doesn't match (have ${q.tbf.buffer}, want ${p.buffer})`);
  }
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const { netConf, bandwidth } = parseConf(args.stdinData);
  const prev = netConf.prevResult;
  if (!prev) throw fail('must be called as a chained plugin');
  const nl = Netlink.open();
  try {
    const { iface } = getHostInterface(prev.interfaces ?? [], args.ifName, args.netns, nl);
    let host: Link;
    try {
      host = nl.linkByName(iface.name);
    } catch (e) {
      throw fail(msg(e));
    }
    if (!bandwidth || isZero(bandwidth)) return;
    const tick = tickInUsec();
    if (bandwidth.ingressRate > 0 && bandwidth.ingressBurst > 0) {
      checkTbf(nl, host.index, tbfParams(bandwidth.ingressRate, bandwidth.ingressBurst, tick));
    }
    if (bandwidth.egressRate > 0 && bandwidth.egressBurst > 0) {
      const name = ifbDeviceName(netConf.name, args.containerID);
      let ifb: Link;
      try {
        ifb = nl.linkByName(name);
      } catch (e) {
        throw fail(`get ifb device: ${isNotFound(e) ? `Link not found (${name})` : msg(e)}`);
      }
      checkTbf(nl, ifb.index, tbfParams(bandwidth.egressRate, bandwidth.egressBurst, tick));
    }
  } finally {
    nl.close();
  }
}

/** Nothing to ask: the plugin needs no daemon or store. */
export async function cmdStatus(args: CmdArgs): Promise<void> {
  parseConf(args.stdinData);
}

const IFB_NAME_RE = /^bwp[0-9a-f]{12}$/;
const ALIAS_PREFIX = 'cni-bandwidth';

/** The ifalias ADD gives the ifb: `cni-bandwidth <network> <containerID>` (max 255 bytes). */
export function ifbAlias(network: string, containerID: string): string {
  return `${ALIAS_PREFIX} ${network} ${containerID}`.slice(0, 255);
}

/**
 * Delete the `bwp<hash>` ifb links (in the plugin's own namespace) of this network's attachments
 * that are not in `cni.dev/valid-attachments`. An ifb is this network's when its alias (set by
 * our ADD) names the network: the ifb name alone, a hash, cannot tell networks apart. ifbs without
 * our alias (made by the Go plugin, or by hand) are never touched.
 */
export async function cmdGC(args: CmdArgs): Promise<void> {
  const { netConf } = parseConf(args.stdinData);
  const list = getKey(netConf.raw, 'cni.dev/valid-attachments');
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to load netconf: key "cni.dev/valid-attachments" must be an array, got ${typeof list}`,
    );
  }
  const keep = new Set<string>();
  for (const [i, a] of (list ?? []).entries()) {
    const id =
      typeof a === 'object' && a !== null ? getKey(a as Record<string, unknown>, 'containerID') : undefined;
    if (typeof id !== 'string') {
      throw new CniError(
        ErrCode.DecodingFailure,
        `failed to load netconf: key "cni.dev/valid-attachments[${i}].containerID" must be a string, got ${JSON.stringify(id ?? null)}`,
      );
    }
    keep.add(ifbDeviceName(netConf.name, id));
  }
  const nl = Netlink.open();
  const errors: string[] = [];
  try {
    for (const l of nl.linkList()) {
      if (l.kind !== 'ifb' || !IFB_NAME_RE.test(l.name) || keep.has(l.name)) continue;
      if (!l.alias?.startsWith(`${ALIAS_PREFIX} ${netConf.name} `)) continue;
      try {
        nl.linkDel(l.index);
      } catch (e) {
        if (!isNotFound(e)) errors.push(`failed to delete ${l.name}: ${msg(e)}`);
      }
    }
  } finally {
    nl.close();
  }
  if (errors.length > 0) throw fail(errors.join('; '));
}

export const plugin: PluginDef = {
  type: 'bandwidth',
  versions: versionsFrom('0.3.0'),
  about: 'CNI bandwidth plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
