// The "master" (parent) interface of the link-on-a-parent plugins (macvlan, ipvlan, vlan):
// its resolution (configured, prevResult's interface, or the default-route interface; in the
// host or, with linkInContainer, in the container namespace) and the creation of the child
// link under a temporary name directly in the container, renamed to CNI_IFNAME.
import { type Link, type LinkSpec, Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import { CniError, ErrCode, type Result } from '@cni/skel';
import { msg, type Rollback } from './plugin-steps.js';
import { delLinkByName, linkByNameOrUndefined, randomVethName, renameLink } from './veth.js';

/** The part of a plugin's configuration that master resolution reads (and fills in). */
export interface MasterConf {
  /** '' = not configured */
  master: string;
  /** 0 = the kernel's default (the master's MTU) */
  mtu: number;
  linkInContainer: boolean;
  prevResult?: Result;
}

export interface ResolveMasterOptions {
  /**
   * When `master` is empty and a prevResult exists, use its single named interface
   * (ipvlan; macvlan too, issue #901). Default true.
   */
  fromPrevResult?: boolean;
}

/** The interface of the first default route (IPv4 first, then IPv6) seen through `nl`. */
export function defaultRouteInterface(nl: Netlink): Link {
  for (const family of [4, 6] as const) {
    for (const r of nl.routeList({ family })) {
      if (r.dst !== undefined && !r.dst.endsWith('/0')) continue;
      const oif = r.oif ?? r.multipath?.[0]?.oif;
      if (oif !== undefined) return nl.linkByIndex(oif);
    }
  }
  throw new CniError(ErrCode.Internal, 'no default route interface found');
}

/**
 * Fill in `master` when it is not configured: the single named interface of prevResult when
 * chained, else the default-route interface of the namespace the master lives in (the
 * container's with `linkInContainer`, else `hostNs` — undefined = this process's). Then check
 * that it exists and bound the MTU by its MTU. Returns the master link.
 */
export function resolveMaster(
  conf: MasterConf,
  hostNs: NetNS | undefined,
  contNs: NetNS | undefined,
  opts: ResolveMasterOptions = {},
): Link {
  const where = conf.linkInContainer ? contNs : hostNs;
  const nl = Netlink.open(where);
  try {
    if (conf.master === '') {
      if (conf.prevResult && opts.fromPrevResult !== false) {
        const ifs = conf.prevResult.interfaces ?? [];
        if (ifs.length !== 1 || !ifs[0]?.name) {
          throw new CniError(
            ErrCode.InvalidNetworkConfig,
            'chained master failure. PrevResult lacks a single named interface',
          );
        }
        conf.master = ifs[0].name;
      } else {
        conf.master = defaultRouteInterface(nl).name;
      }
    }
    const m = linkByNameOrUndefined(nl, conf.master);
    if (!m) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `failed to lookup master ${JSON.stringify(conf.master)}: Link not found`,
      );
    }
    if (conf.mtu > m.mtu) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `invalid MTU ${conf.mtu}, must be [0, master MTU(${m.mtu})]`,
      );
    }
    return m;
  } finally {
    nl.close();
  }
}

type Distribute<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A child link of a master: everything but the name and the namespace, which are chosen here. */
export type ChildLinkSpec = Distribute<Extract<LinkSpec, { parent: number }>, 'name' | 'nsFd'>;

export interface CreatedLink {
  name: string;
  mac: string;
  index: number;
}

/**
 * Create a child link of a master under a random `veth%08x` name directly in the container
 * namespace (in the host namespace with IFLA_NET_NS_FD, or inside the container with
 * `linkInContainer`), rename it to `ifName` (deleting it if that fails) and register its
 * deletion on the rollback. `kind` words the errors ("failed to create ipvlan: …").
 */
export function createChildLink(
  spec: ChildLinkSpec,
  ifName: string,
  contNs: NetNS,
  linkInContainer: boolean,
  rb: Rollback,
): CreatedLink {
  const tmpName = randomVethName();
  const kind = spec.kind;
  const nl = Netlink.open(linkInContainer ? contNs : undefined);
  try {
    nl.linkAdd({ ...spec, name: tmpName, ...(linkInContainer ? {} : { nsFd: contNs.fd }) } as LinkSpec);
  } catch (e) {
    throw new CniError(ErrCode.Internal, `failed to create ${kind}: ${msg(e)}`);
  } finally {
    nl.close();
  }
  const cnl = Netlink.open(contNs);
  try {
    try {
      renameLink(cnl, tmpName, ifName);
    } catch (e) {
      try {
        cnl.linkDel(tmpName);
      } catch {
        // already gone
      }
      throw new CniError(
        ErrCode.Internal,
        `failed to rename ${kind} to ${JSON.stringify(ifName)}: ${msg(e)}`,
      );
    }
    rb.push(`delete ${ifName}`, () => {
      const n = Netlink.open(contNs);
      try {
        delLinkByName(n, ifName);
      } finally {
        n.close();
      }
    });
    const link = cnl.linkByName(ifName);
    return { name: ifName, mac: link.mac, index: link.index };
  } finally {
    cnl.close();
  }
}
