// Steps every main plugin here shares: the IPAM half of ADD with its rollback, the CHECK
// walk over prevResult, STATUS/GC forwarding, and an undo list for ADD.
import { validateExpectedInterfaceIPs, validateExpectedRoute } from './check.js';
import { configureIface } from './iface.js';
import { isNotFound, type Link, Netlink } from '@cni/netlink';
import { isNSPathNotExist, NetNS, sysctlSetIn } from '@cni/ns';
import { delLinkByName } from './veth.js';
import {
  CniError,
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGC,
  delegateStatus,
  ErrCode,
  getKey,
  type CmdArgs,
  type Interface,
  type NetConf,
  parseNetConf,
  type Result,
} from '@cni/skel';

/** Undo actions of an ADD, run newest first when a later step fails. */
export class Rollback {
  #steps: { what: string; fn: () => unknown }[] = [];

  push(what: string, fn: () => unknown): void {
    this.#steps.push({ what, fn });
  }

  /** Run every undo action (errors are reported on stderr, never hide the original error). */
  async run(): Promise<void> {
    for (const s of this.#steps.reverse()) {
      try {
        await s.fn();
      } catch (e) {
        process.stderr.write(`rollback: ${s.what}: ${(e as Error).message}\n`);
      }
    }
    this.#steps = [];
  }
}

/**
 * Open the container namespace with the reference's message; the CNI error code is 999 unless
 * `code` says otherwise (e.g. ErrCode.InvalidNetNS).
 */
export function openNetNS(path: string, code: number = ErrCode.Internal): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    throw new CniError(code, `failed to open netns "${path}": ${(e as Error).message}`);
  }
}

/**
 * Open the namespace for DEL: undefined when it no longer exists (DEL then succeeds after
 * releasing IPAM, as the reference's NSPathNotExistErr handling). `code` as for openNetNS.
 */
export function openNetNSForDel(path: string, code: number = ErrCode.Internal): NetNS | undefined {
  try {
    return NetNS.open(path);
  } catch (e) {
    if (isNSPathNotExist(e)) return undefined;
    throw new CniError(code, `failed to open netns "${path}": ${(e as Error).message}`);
  }
}

/**
 * IPAM ADD for a single-interface plugin: every address goes to interface 0; the delegate is
 * released (IPAM DEL) by the rollback when a later step fails.
 */
export async function ipamAdd(conf: NetConf, stdin: Buffer, rb: Rollback): Promise<Result> {
  const type = conf.ipam?.type ?? '';
  const r = await delegateAdd(type, stdin);
  rb.push(`IPAM DEL (${type})`, () => delegateDel(type, stdin));
  if (!r.ips || r.ips.length === 0)
    throw new CniError(ErrCode.Internal, 'IPAM plugin returned missing IP config');
  for (const ip of r.ips) ip.interface = 0;
  return r;
}

export async function ipamDel(conf: NetConf, stdin: Buffer): Promise<void> {
  if (conf.ipam?.type) await delegateDel(conf.ipam.type, stdin);
}

/**
 * The whole DEL of a plugin that owns one link in the container: IPAM DEL (when configured),
 * then delete `ifName` in `netns`. No netns, a vanished netns, a missing link and a repeated
 * DEL all succeed; nothing but the JSON is read (no master or other host lookup).
 */
export async function delIpamThenLink(
  conf: NetConf,
  stdin: Buffer,
  netns: string,
  ifName: string,
): Promise<void> {
  await ipamDel(conf, stdin);
  if (netns === '') return;
  const contNs = openNetNSForDel(netns);
  if (!contNs) return;
  try {
    const nl = Netlink.open(contNs);
    try {
      delLinkByName(nl, ifName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    } finally {
      nl.close();
    }
  } finally {
    contNs.close();
  }
}

/**
 * `net/ipv4/conf/<if>/arp_notify=1` and `net/ipv6/conf/<if>/ndisc_notify=1` in `ns`, errors
 * ignored as the reference does (e.g. IPv6 disabled).
 */
export function setNotifySysctls(ns: NetNS, ifName: string): void {
  for (const key of [`net/ipv4/conf/${ifName}/arp_notify`, `net/ipv6/conf/${ifName}/ndisc_notify`]) {
    try {
      sysctlSetIn(ns, key, '1');
    } catch {
      // ignored, as the reference
    }
  }
}

export async function forwardStatus(conf: NetConf, stdin: Buffer): Promise<void> {
  if (conf.ipam?.type) await delegateStatus(conf.ipam.type, stdin);
}

export async function forwardGC(conf: NetConf, stdin: Buffer): Promise<void> {
  if (conf.ipam?.type) await delegateGC(conf.ipam.type, stdin);
}

/**
 * The first half of CHECK: IPAM CHECK, the prevResult, and the interface `ifName` whose
 * sandbox is `netns` (the reference's messages).
 */
export async function checkPrelude(
  conf: NetConf,
  stdin: Buffer,
  ifName: string,
  netns: string,
): Promise<{ prev: Result; iface: Interface }> {
  if (conf.ipam?.type) await delegateCheck(conf.ipam.type, stdin);
  if (!conf.rawPrevResult || !conf.prevResult)
    throw new CniError(ErrCode.Internal, 'Required prevResult missing');
  const prev = conf.prevResult;
  const iface = (prev.interfaces ?? []).find((i) => i.name === ifName && i.sandbox === netns);
  if (!iface) {
    throw new CniError(
      ErrCode.Internal,
      `Sandbox in prevResult ${(prev.interfaces ?? []).find((i) => i.name === ifName)?.sandbox ?? ''} doesn't match configured netns: ${netns}`,
    );
  }
  return { prev, iface };
}

/** The second half of CHECK, inside the container: addresses and routes of the result. */
export function checkAddrsRoutes(nl: Netlink, ifName: string, prev: Result): void {
  validateExpectedInterfaceIPs(nl, ifName, prev.ips ?? []);
  validateExpectedRoute(nl, prev.routes ?? []);
}

/** The common interface checks (name, sandbox, MAC) of the reference's validators. */
export function checkIfaceCommon(nl: Netlink, iface: Interface) {
  if (!iface.name) throw new CniError(ErrCode.Internal, 'Container interface name missing in prevResult: ');
  let link: ReturnType<Netlink['linkByName']>;
  try {
    link = nl.linkByName(iface.name);
  } catch {
    throw new CniError(ErrCode.Internal, `Container Interface name in prevResult: ${iface.name} not found`);
  }
  if (!iface.sandbox) {
    throw new CniError(
      ErrCode.Internal,
      `Error: Container interface ${link.name} should not be in host namespace`,
    );
  }
  if (iface.mac && iface.mac.toLowerCase() !== link.mac) {
    throw new CniError(
      ErrCode.Internal,
      `Interface ${iface.name} Mac ${iface.mac} doesn't match container Mac: ${link.mac}`,
    );
  }
  return link;
}

/**
 * CHECK of the container interface of a single-link plugin: the common checks, then the link's
 * kind (`Error: Container interface <name> not of type <kind>`), then `more` with the open handle.
 */
export function checkContainerLink(
  ns: NetNS,
  iface: Interface,
  kind: string,
  more: (nl: Netlink, link: Link) => void,
): void {
  const nl = Netlink.open(ns);
  try {
    const link = checkIfaceCommon(nl, iface);
    if (link.kind !== kind) {
      throw new CniError(ErrCode.Internal, `Error: Container interface ${link.name} not of type ${kind}`);
    }
    more(nl, link);
  } finally {
    nl.close();
  }
}

/**
 * ADD's frame: the container netns opened (the reference's error when it cannot be), an undo
 * list for `fn` that runs when `fn` throws, the netns closed in every case.
 */
export async function withAddRollback<T>(
  netns: string,
  fn: (contNs: NetNS, rb: Rollback) => Promise<T>,
): Promise<T> {
  const contNs = openNetNS(netns);
  const rb = new Rollback();
  try {
    return await fn(contNs, rb);
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    contNs.close();
  }
}

/**
 * The result of a plugin that puts one link in the container: the link as interface 0, the IPs
 * and routes of `addrs` (IPAM's result, or prevResult's) configured on it — after
 * `arp_notify`/`ndisc_notify` when `notify` — and `dns`. Without `addrs`, just the interface.
 */
export function singleLinkResult(
  contNs: NetNS,
  ifName: string,
  iface: Interface,
  addrs: Result | undefined,
  opts: { notify?: boolean; dns?: Result['dns'] } = {},
): Result {
  const result: Result = { cniVersion: '1.1.0', interfaces: [iface] };
  if (addrs) {
    result.ips = addrs.ips ?? [];
    if (addrs.routes) result.routes = addrs.routes;
    if (opts.notify) setNotifySysctls(contNs, ifName);
    configureIfaceOrFail(contNs, ifName, result);
  }
  if (opts.dns) result.dns = opts.dns;
  return result;
}

/** configureIface, its failure as the reference reports it (code 999, the message alone). */
export function configureIfaceOrFail(ns: NetNS, ifName: string, result: Result): void {
  try {
    configureIface(ns, ifName, result);
  } catch (e) {
    throw new CniError(ErrCode.Internal, msg(e));
  }
}

/** STATUS of a plugin whose only state is its IPAM's: forwarded to the IPAM plugin. */
export async function statusViaIpam(args: CmdArgs): Promise<void> {
  await forwardStatus(parseNetConf(args.stdinData), args.stdinData);
}

/** GC of a plugin of which nothing outlives the container's namespace: IPAM gets the GC. */
export async function gcViaIpam(args: CmdArgs): Promise<void> {
  await forwardGC(parseNetConf(args.stdinData), args.stdinData);
}

/** `message` of anything thrown, for wrapping in the reference's phrases. */
export const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Anything thrown as a CNI error 999 with an optional `prefix: ` (CniErrors pass through). */
export function internal(prefix: string, e: unknown): CniError {
  if (e instanceof CniError) return e;
  return new CniError(ErrCode.Internal, prefix ? `${prefix}: ${msg(e)}` : msg(e));
}

/** One entry of `cni.dev/valid-attachments` (CNI 1.1 GC). */
export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

/** The `cni.dev/valid-attachments` of a GC request; absent → []; a wrong shape is error 6. */
export function validAttachments(raw: Record<string, unknown>): ValidAttachment[] {
  const v = getKey(raw, 'cni.dev/valid-attachments');
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw new CniError(
      ErrCode.DecodingFailure,
      `"cni.dev/valid-attachments" must be an array, got ${JSON.stringify(v)}`,
    );
  return v.map((a, i) => {
    const o = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    const containerID = getKey(o, 'containerID');
    const ifname = getKey(o, 'ifname');
    if (typeof containerID !== 'string' || typeof ifname !== 'string')
      throw new CniError(
        ErrCode.DecodingFailure,
        `"cni.dev/valid-attachments[${i}]" needs string "containerID" and "ifname", got ${JSON.stringify(a)}`,
      );
    return { containerID, ifname };
  });
}
