// The portmap verbs. The plugin acts on the namespace it runs in (the host), or on `hostNS`.
import { readFileSync } from 'node:fs';
import { type Backend, detectBackend, supportsIPTables, supportsNFTables, withBackend } from '@cni/iptables';
import { type NetNS, sysctlSetIn } from '@cni/ns';
import {
  ERR_INTERNAL,
  ERR_INVALID_CONFIG,
  ERR_NOT_AVAILABLE,
  getKey,
  type PortMapConf,
  PortmapError,
  parseConfig,
  type ResultLike,
} from './config.js';
import { checkPortsIPTables, forwardPortsIPTables, gcIPTables, unforwardPortsIPTables } from './iptables.js';
import { checkPortsNFT, forwardPortsNFT, gcNFT, unforwardPortsNFT } from './nftables.js';

export interface CmdArgs {
  containerID: string;
  netns: string;
  ifName: string;
  args?: string;
  path?: string;
  stdinData: string | Buffer;
}

export interface VerbOptions {
  /** The namespace whose firewall is changed (default: the one the process runs in). */
  hostNS?: NetNS | undefined;
  /** Backend detection override (tests). */
  detect?: () => Backend;
  /**
   * Deletes conntrack entries of a UDP destination port in one family, in the host namespace.
   * Supplied by @cni/netlink's conntrack support; without it stale UDP flows are left alone.
   */
  deleteConntrack?: ((port: number, family: 4 | 6) => void) | undefined;
  /** Warnings (stderr in the plugin). */
  log?: (msg: string) => void;
}

function conf(args: CmdArgs, opts: VerbOptions): PortMapConf {
  return parseConfig(args.stdinData, {
    ifName: args.ifName,
    containerID: args.containerID,
    detect: opts.detect ?? (() => detectBackend(null, opts.hostNS)),
    // No probe up front unless a test supplies the detection: see onBackend.
    lazy: opts.detect === undefined,
  });
}

/** Run `op` on the conf's backend; a provisional one is confirmed only if iptables fails. */
function onBackend(c: PortMapConf, opts: VerbOptions, op: () => void): void {
  if (!c.backendProvisional) {
    op();
    return;
  }
  withBackend(null, opts.hostNS, (b) => {
    c.backend = b;
    op();
  });
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PortmapError) throw err;
    throw new PortmapError(ERR_INTERNAL, what, (err as Error).message);
  }
}

/** The host interface whose route covers `ip` (longest prefix in /proc/net/route). */
export function routableHostIF(ip: string, ns?: NetNS): string | undefined {
  const text = (
    ns ? ns.run(() => readFileSync('/proc/net/route', 'utf8')) : readFileSync('/proc/net/route', 'utf8')
  )
    .split('\n')
    .slice(1);
  const parts = ip.split('.').map(Number);
  const target =
    (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
  const le = (hex: string) => {
    const n = Number.parseInt(hex, 16) >>> 0;
    return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
  };
  let best: { ifname: string; bits: number; metric: number } | undefined;
  for (const line of text) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [ifname = '', dst = '0', , flags = '0', , , metric = '0', mask = '0'] = f;
    if ((Number.parseInt(flags, 16) & 1) === 0) continue; // RTF_UP
    const m = le(mask);
    if ((target & m) >>> 0 !== le(dst)) continue;
    const bits = m.toString(2).replace(/0/g, '').length;
    const met = Number(metric);
    if (!best || bits > best.bits || (bits === best.bits && met < best.metric))
      best = { ifname, bits, metric: met };
  }
  return best?.ifname;
}

function forward(c: PortMapConf, net: string, opts: VerbOptions): void {
  if (c.backend === 'iptables') forwardPortsIPTables(c, net, opts.hostNS);
  else forwardPortsNFT(c, net, opts.hostNS);
}

function flushConntrack(c: PortMapConf, family: 4 | 6, opts: VerbOptions): void {
  for (const pm of c.portMappings) {
    if (pm.protocol.toLowerCase() !== 'udp') continue;
    try {
      opts.deleteConntrack?.(pm.hostPort, family);
    } catch (err) {
      opts.log?.(
        `failed to delete stale UDP conntrack entries for port ${pm.hostPort}: ${(err as Error).message}`,
      );
    }
  }
}

/** ADD: forward the ports of both families; the output is prevResult unchanged. */
export function cmdAdd(args: CmdArgs, opts: VerbOptions = {}): ResultLike {
  const c = conf(args, opts);
  if (!c.prevResult) throw new PortmapError(ERR_INVALID_CONFIG, 'must be called as chained plugin');
  if (c.portMappings.length === 0) return c.prevResult;
  wrap('failed to set up port forwarding', () =>
    onBackend(c, opts, () => {
      if (c.contIPv4) {
        forward(c, c.contIPv4, opts);
        flushConntrack(c, 4, opts);
        if (c.snat) {
          const ifname = routableHostIF(c.contIPv4.split('/')[0] as string, opts.hostNS);
          if (ifname) sysctlSetIn(opts.hostNS, `net/ipv4/conf/${ifname}/route_localnet`, '1');
        }
      }
      if (c.contIPv6) {
        forward(c, c.contIPv6, opts);
        flushConntrack(c, 6, opts);
      }
    }),
  );
  return c.prevResult;
}

/** DEL: remove exactly this attachment's rules; no mappings → nothing is touched. */
export function cmdDel(args: CmdArgs, opts: VerbOptions = {}): void {
  const c = conf(args, opts);
  if (c.portMappings.length === 0) return;
  wrap('failed to remove port forwarding', () =>
    onBackend(c, opts, () => {
      if (c.backend === 'iptables') unforwardPortsIPTables(c, opts.hostNS);
      else unforwardPortsNFT(c, opts.hostNS);
    }),
  );
}

/** CHECK: the rules of each family the container has an address in must exist. */
export function cmdCheck(args: CmdArgs, opts: VerbOptions = {}): void {
  const c = conf(args, opts);
  if (!c.prevResult) throw new PortmapError(ERR_INVALID_CONFIG, 'Required prevResult missing');
  if (c.portMappings.length === 0) return;
  wrap('port forwarding check failed', () =>
    onBackend(c, opts, () => {
      // Unlike the reference, a family the container has no address in is not checked.
      for (const net of [c.contIPv4, c.contIPv6]) {
        if (!net) continue;
        if (c.backend === 'iptables') checkPortsIPTables(c, net, opts.hostNS);
        else checkPortsNFT(c, net, opts.hostNS);
      }
    }),
  );
}

/**
 * GC: remove the port forwarding of this network's attachments not in cni.dev/valid-attachments,
 * iptables (`CNI-DN-` chains) and nftables (rules of recorded attachments).
 */
export function cmdGC(args: CmdArgs, opts: VerbOptions = {}): void {
  const raw = JSON.parse(args.stdinData.toString()) as Record<string, unknown>;
  const name = getKey(raw, 'name');
  const valid = getKey(raw, 'cni.dev/valid-attachments') ?? [];
  if (typeof name !== 'string') throw new PortmapError(ERR_INVALID_CONFIG, 'name: expected a string');
  if (!Array.isArray(valid))
    throw new PortmapError(
      ERR_INVALID_CONFIG,
      'cni.dev/valid-attachments: expected an array',
      JSON.stringify(valid),
    );
  const ids = valid.map((a, i) => {
    const id =
      typeof a === 'object' && a !== null ? getKey(a as Record<string, unknown>, 'containerID') : undefined;
    if (typeof id !== 'string')
      throw new PortmapError(
        ERR_INVALID_CONFIG,
        `cni.dev/valid-attachments[${i}].containerID: expected a string`,
      );
    return id;
  });
  // Both backends: the configured one may have changed since the stale attachments were added.
  wrap('garbage collection failed', () => {
    gcIPTables(name, ids, opts.hostNS);
    if (supportsNFTables(opts.hostNS)) gcNFT(name, ids, opts.hostNS);
  });
}

/** STATUS: error 50 when no netfilter backend can be used. */
export function cmdStatus(args: CmdArgs, opts: VerbOptions = {}): void {
  const raw = JSON.parse(args.stdinData.toString()) as Record<string, unknown>;
  const backend = getKey(raw, 'backend');
  const ipt = () => supportsIPTables(opts.hostNS);
  const nft = () => supportsNFTables(opts.hostNS);
  const ok = backend === 'iptables' ? ipt() : backend === 'nftables' ? nft() : ipt() || nft();
  if (!ok)
    throw new PortmapError(
      ERR_NOT_AVAILABLE,
      'no usable netfilter backend',
      backend
        ? `backend ${JSON.stringify(backend)} is not usable`
        : 'neither iptables nor nftables is usable',
    );
}
