// The CNI loopback plugin: brings `lo` up in the container (cni-reference §3.6). CNI_IFNAME is
// ignored: this only ever works on `lo`.
import { parseCIDR } from '@cni/ip';
import { Netlink } from '@cni/netlink';
import { isNSPathNotExist, NetNS } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  compareVersions,
  ErrCode,
  goStringify,
  type IPConfig,
  type PluginDef,
  type RawOutput,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';

const LO = 'lo';
const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function isLoopback(address: string): boolean {
  const n = parseCIDR(address);
  if (!n) return false;
  if (n.ip.family === 4) return n.ip.value >> 24n === 127n;
  return n.ip.value === 1n;
}

function openNS(path: string): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    throw new CniError(ErrCode.InvalidNetNS, `failed to open netns ${JSON.stringify(path)}: ${msg(e)}`);
  }
}

/** Run `fn` with a netlink handle in the namespace at `path`. */
function inNetNS<T>(path: string, fn: (nl: Netlink) => T): T {
  const ns = openNS(path);
  try {
    const nl = Netlink.open(ns);
    try {
      return fn(nl);
    } catch (e) {
      if (e instanceof CniError) throw e;
      throw new CniError(ErrCode.Internal, msg(e));
    } finally {
      nl.close();
    }
  } finally {
    ns.close();
  }
}

/**
 * ADD: `lo` up. A prevResult is passed through unchanged; otherwise the result is `lo` with
 * its first IPv4 and first IPv6 address. A non-loopback address on `lo` is an error.
 */
export async function cmdAdd(args: CmdArgs): Promise<Result | RawOutput> {
  const conf = parseNetConf(args.stdinData);
  const firsts = inNetNS(args.netns, (nl) => {
    const lo = nl.linkByName(LO);
    nl.linkSetUp(lo.index);
    const out: string[] = [];
    for (const family of [4, 6] as const) {
      const addrs = nl.addrList({ index: lo.index, family });
      for (const a of addrs) {
        if (!isLoopback(a.address))
          throw new CniError(
            ErrCode.Internal,
            `loopback interface found with non-loopback address ${JSON.stringify(a.address.split('/')[0])}`,
          );
      }
      if (addrs[0]) out.push(addrs[0].address);
    }
    return out;
  });
  if (conf.prevResult) return conf.prevResult;
  const ips: IPConfig[] = firsts.map((address) => ({ interface: 0, address }));
  const result: Result = {
    cniVersion: conf.cniVersion,
    interfaces: [{ name: LO, mac: '00:00:00:00:00:00', sandbox: args.netns }],
    ...(ips.length > 0 ? { ips } : {}),
  };
  if (compareVersions(conf.cniVersion, '1.0.0') >= 0) return result;
  // The reference labels a 1.0 result with the config's older version, so its conversion is
  // skipped and the 1.0 shape is printed as is (with the `dns` object 0.x results carry).
  // Runtimes have always received that from loopback: print the same.
  return { rawStdout: goStringify({ ...result, dns: {} }, 4) };
}

/** DEL: `lo` down; an empty CNI_NETNS or a namespace that is gone is success. */
export async function cmdDel(args: CmdArgs): Promise<void> {
  parseNetConf(args.stdinData);
  if (args.netns === '') return;
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (isNSPathNotExist(e)) return;
    throw new CniError(ErrCode.InvalidNetNS, `failed to open netns ${JSON.stringify(args.netns)}: ${msg(e)}`);
  }
  ns.close();
  inNetNS(args.netns, (nl) => nl.linkSetDown(nl.linkByName(LO).index));
}

/** CHECK: `lo` must be up. */
export async function cmdCheck(args: CmdArgs): Promise<void> {
  parseNetConf(args.stdinData);
  inNetNS(args.netns, (nl) => {
    if (!nl.linkByName(LO).up) throw new CniError(ErrCode.Internal, 'loopback interface is down');
  });
}

/** STATUS and GC: loopback has nothing to report or collect (the reference has neither). */
export async function cmdStatus(args: CmdArgs): Promise<void> {
  parseNetConf(args.stdinData);
}

export const plugin: PluginDef = {
  type: 'loopback',
  versions: versionsFrom('0.1.0'),
  about: 'CNI loopback plugin v1.0.0',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdStatus,
};
