// The firewall verbs. iptables changes act on the namespace the plugin runs in, or on `hostNS`.
import { supportsIPTables } from '@cni/iptables';
import type { NetNS } from '@cni/ns';
import {
  ERR_INTERNAL,
  ERR_INVALID_CONFIG,
  ERR_NOT_AVAILABLE,
  type FirewallConf,
  FirewallError,
  parseConf,
  type ResultLike,
} from './config.js';
import { addFirewalld, checkFirewalld, delFirewalld, isFirewalldRunning } from './firewalld.js';
import { addIPTables, checkIPTables, delIPTables } from './iptables.js';

export interface CmdArgs {
  containerID: string;
  netns: string;
  ifName: string;
  args?: string;
  path?: string;
  stdinData: string | Buffer;
}

export interface VerbOptions {
  hostNS?: NetNS | undefined;
  /** firewalld detection override (tests). */
  firewalldRunning?: () => boolean;
}

/** `backend`, or firewalld when it is on the system bus, else iptables (as the reference). */
export function chooseBackend(conf: FirewallConf, opts: VerbOptions = {}): 'iptables' | 'firewalld' {
  if (conf.backend) return conf.backend;
  return (opts.firewalldRunning ?? isFirewalldRunning)() ? 'firewalld' : 'iptables';
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FirewallError) throw err;
    throw new FirewallError(ERR_INTERNAL, what, (err as Error).message);
  }
}

export function cmdAdd(args: CmdArgs, opts: VerbOptions = {}): ResultLike {
  const conf = parseConf(args.stdinData);
  if (!conf.prevResult) throw new FirewallError(ERR_INVALID_CONFIG, 'missing prevResult from earlier plugin');
  wrap('failed to set up firewall rules', () => {
    if (chooseBackend(conf, opts) === 'firewalld') {
      addFirewalld(conf);
      // ingressPolicy works on iptables chains whatever the backend (as the reference)
      addIPTables(conf, opts.hostNS, false);
    } else addIPTables(conf, opts.hostNS);
  });
  return conf.prevResult;
}

export function cmdDel(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  // Without prevResult there is nothing to delete (and no firewall is touched).
  if (conf.addresses.length === 0) return;
  wrap('failed to remove firewall rules', () => {
    if (chooseBackend(conf, opts) === 'firewalld') delFirewalld(conf);
    else delIPTables(conf, opts.hostNS);
  });
}

export function cmdCheck(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  if (!conf.prevResult) throw new FirewallError(ERR_INVALID_CONFIG, 'missing prevResult from earlier plugin');
  wrap('firewall check failed', () => {
    if (chooseBackend(conf, opts) === 'firewalld') checkFirewalld(conf);
    else checkIPTables(conf, opts.hostNS);
  });
}

/**
 * GC: the firewall's rules are keyed by address only (no container ID or network in them, in
 * either backend), so there is no attachment to match against cni.dev/valid-attachments; the
 * config is validated and nothing is removed.
 */
export function cmdGC(args: CmdArgs): void {
  parseConf(args.stdinData);
}

/** STATUS: error 50 when the configured (or detected) backend cannot be used. */
export function cmdStatus(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  const backend = chooseBackend(conf, opts);
  const ok =
    backend === 'firewalld' ? (opts.firewalldRunning ?? isFirewalldRunning)() : supportsIPTables(opts.hostNS);
  if (!ok) throw new FirewallError(ERR_NOT_AVAILABLE, `the ${backend} backend is not usable`);
}
