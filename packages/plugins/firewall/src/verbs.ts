// The firewall verbs. iptables changes act on the namespace the plugin runs in, or on `hostNS`.
import { supportsIPTables } from '@cni/iptables';
import type { NetNS } from '@cni/ns';
import {
  ERR_INTERNAL,
  ERR_INVALID_CONFIG,
  ERR_NOT_AVAILABLE,
  type FirewallConf,
  FirewallError,
  hostCIDR,
  parseConf,
  type ResultLike,
} from './config.js';
import { addFirewalld, checkFirewalld, delFirewalld, isFirewalldRunning } from './firewalld.js';
import { addIPTables, checkIPTables, delIPTables } from './iptables.js';
import {
  type AttachmentRecord,
  listRecords,
  readRecord,
  recordPath,
  removeRecord,
  writeRecord,
} from './state.js';

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
  const backend = chooseBackend(conf, opts);
  // The record first (so that GC finds even a half-done ADD); restored if the rules fail.
  const rec: AttachmentRecord = {
    containerID: args.containerID,
    ifname: args.ifName,
    network: conf.name,
    backend,
    firewalldZone: conf.firewalldZone,
    addresses: conf.addresses,
  };
  recordPath(conf.dataDir, rec.network, rec.containerID, rec.ifname); // validates the names
  const before = readRecord(conf.dataDir, rec.network, rec.containerID, rec.ifname);
  wrap('failed to record the attachment', () => writeRecord(conf.dataDir, rec));
  try {
    wrap('failed to set up firewall rules', () => {
      if (backend === 'firewalld') {
        addFirewalld(conf);
        // ingressPolicy works on iptables chains whatever the backend (as the reference)
        addIPTables(conf, opts.hostNS, false);
      } else addIPTables(conf, opts.hostNS);
    });
  } catch (err) {
    try {
      if (before) writeRecord(conf.dataDir, before);
      else removeRecord(conf.dataDir, rec.network, rec.containerID, rec.ifname);
    } catch {
      // the ADD error is the one to report
    }
    throw err;
  }
  return conf.prevResult;
}

/** The record of this attachment for DEL; undefined when absent or the names cannot name one. */
function recordFor(conf: FirewallConf, args: CmdArgs): AttachmentRecord | undefined {
  try {
    return readRecord(conf.dataDir, conf.name, args.containerID, args.ifName);
  } catch {
    return undefined;
  }
}

/**
 * DEL: remove the per-address rules of prevResult's addresses or, without prevResult, of the
 * attachment's record; then the record.
 */
export function cmdDel(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  const rec = recordFor(conf, args);
  if (conf.addresses.length > 0) {
    wrap('failed to remove firewall rules', () => {
      if (chooseBackend(conf, opts) === 'firewalld') delFirewalld(conf);
      else delIPTables(conf, opts.hostNS);
    });
  } else if (rec && rec.addresses.length > 0) {
    const fromRecord = { ...conf, firewalldZone: rec.firewalldZone, addresses: rec.addresses };
    wrap('failed to remove firewall rules', () => {
      if (rec.backend === 'firewalld') delFirewalld(fromRecord);
      else delIPTables(fromRecord, opts.hostNS);
    });
  }
  // Without prevResult and record there is nothing to delete (and no firewall is touched). The
  // record file goes even when it could not be read.
  let path: string | undefined;
  try {
    path = recordPath(conf.dataDir, conf.name, args.containerID, args.ifName);
  } catch {
    path = undefined; // names that cannot name a record: ADD never wrote one
  }
  if (path)
    wrap('failed to remove the attachment record', () =>
      removeRecord(conf.dataDir, conf.name, args.containerID, args.ifName),
    );
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
 * GC: the records of this network whose attachment is not in cni.dev/valid-attachments lose
 * their per-address rules (in the backend they were written with) and then the record. An
 * address that another record (a valid attachment, or one of another network) still holds is
 * left alone: the rules are keyed by address only. Each stale attachment is handled on its own;
 * the first failure is reported after all were tried, and its record stays for the next GC.
 */
export function cmdGC(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  const valid = new Set(conf.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`));
  const records = listRecords(conf.dataDir);
  const isStale = (r: AttachmentRecord) =>
    r.network === conf.name && !valid.has(`${r.containerID}\0${r.ifname}`);
  const held = new Set(records.filter((r) => !isStale(r)).flatMap((r) => r.addresses.map(hostCIDR)));
  const errors: string[] = [];
  for (const r of records.filter(isStale)) {
    const addresses = r.addresses.filter((a) => !held.has(hostCIDR(a)));
    const target = { ...conf, firewalldZone: r.firewalldZone, addresses };
    try {
      if (addresses.length > 0) {
        // A firewalld that is not running has lost its runtime zone sources already.
        if (r.backend === 'firewalld') {
          if ((opts.firewalldRunning ?? isFirewalldRunning)()) delFirewalld(target);
        } else delIPTables(target, opts.hostNS);
      }
      removeRecord(conf.dataDir, r.network, r.containerID, r.ifname);
    } catch (err) {
      errors.push(`${r.containerID}/${r.ifname}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0)
    throw new FirewallError(ERR_INTERNAL, 'garbage collection failed', errors.join('; '));
}

/** STATUS: error 50 when the configured (or detected) backend cannot be used. */
export function cmdStatus(args: CmdArgs, opts: VerbOptions = {}): void {
  const conf = parseConf(args.stdinData);
  const backend = chooseBackend(conf, opts);
  const ok =
    backend === 'firewalld' ? (opts.firewalldRunning ?? isFirewalldRunning)() : supportsIPTables(opts.hostNS);
  if (!ok) throw new FirewallError(ERR_NOT_AVAILABLE, `the ${backend} backend is not usable`);
}
