// The CNI tuning meta plugin (cni-reference §3.14): writes network sysctls inside the
// container namespace and changes link attributes (MAC, promisc, MTU, allmulti, txqueuelen)
// of CNI_IFNAME, saving the originals so DEL can restore them. Output = prevResult.
import { readFileSync, writeFileSync } from 'node:fs';
import { msg, openNetNS, openNetNSForDel, Rollback } from '@cni/ip';
import { isNotFound, type Link, Netlink } from '@cni/netlink';
import type { NetNS } from '@cni/ns';
import {
  type CmdArgs,
  CniError,
  ErrCode,
  getKey,
  type PluginDef,
  parseNetConf,
  type Result,
  versionsFrom,
} from '@cni/skel';
import {
  type Backup,
  backupFile,
  gcBackups,
  parseBackup,
  readBackupText,
  removeBackup,
  writeBackup,
} from './backup.js';
import {
  allowlistPath,
  checkAllowlist,
  checkDuplicateSysctlKeys,
  checkIfName,
  parseConf,
  readAllowlist,
  resolveSysctlFile,
  sysctlFile,
  type TuningConf,
  touchesLink,
} from './config.js';

export {
  type Backup,
  backupFile,
  formatBackup,
  gcBackups,
  networkFile,
  parseBackup,
} from './backup.js';
export {
  ALLOWLIST_ENV,
  allowlistPath,
  checkAllowlist,
  checkDuplicateSysctlKeys,
  DEFAULT_ALLOWLIST,
  DEFAULT_DATA_DIR,
  duplicateSysctlKey,
  parseConf,
  readAllowlist,
  resolveSysctlFile,
  sysctlFile,
  type TuningConf,
  touchesLink,
} from './config.js';

const fail = (m: string) => new CniError(ErrCode.Internal, m);

/** key → /proc/sys file for every configured sysctl (pure checks; nothing touched yet). */
function sysctlFiles(conf: TuningConf, ifName: string): { key: string; file: string; value: string }[] {
  return [...conf.sysctl].map(([key, value]) => ({ key, file: sysctlFile(key, ifName), value }));
}

/** Inside the container namespace: resolve every file (see resolveSysctlFile); the old values. */
const resolveSysctls = (files: { key: string; file: string }[]): string[] =>
  files.map(({ key, file }) => resolveSysctlFile(key, file));

function withLink<T>(ns: NetNS, fn: (nl: Netlink) => T): T {
  const nl = Netlink.open(ns);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

function lookup(nl: Netlink, ifName: string): Link {
  try {
    return nl.linkByName(ifName);
  } catch (e) {
    throw fail(`failed to get ${JSON.stringify(ifName)}: ${msg(e)}`);
  }
}

/** The originals of the attributes the config changes. */
function snapshot(conf: TuningConf, link: Link): Backup {
  const b: Backup = {};
  if (conf.mac !== undefined) b.mac = link.mac;
  if (conf.promisc) b.promisc = link.promisc;
  if (conf.mtu !== 0) b.mtu = link.mtu;
  if (conf.allmulti !== undefined) b.allmulti = link.allmulti;
  if (conf.txQLen !== undefined) b.txQLen = link.txQLen ?? 0;
  return b;
}

/** Restore saved attributes in the reference's order; returns the failures. */
function restore(nl: Netlink, index: number, b: Backup): string[] {
  const errs: string[] = [];
  const step = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      errs.push(`failed to restore ${what}: ${msg(e)}`);
    }
  };
  if (b.mtu) step('MTU', () => nl.linkSetMtu(index, b.mtu as number));
  if (b.mac) step('MAC address', () => nl.linkSetMac(index, b.mac as string));
  if (b.promisc !== undefined) step('promiscuous mode', () => nl.linkSetPromisc(index, b.promisc as boolean));
  if (b.allmulti !== undefined)
    step('all-multicast mode', () => nl.linkSetAllmulti(index, b.allmulti as boolean));
  if (b.txQLen !== undefined)
    step('transmit queue length', () => nl.linkSetTxQLen(index, b.txQLen as number));
  return errs;
}

/** Checks shared by ADD and CHECK that need no kernel. */
function prepare(args: CmdArgs): TuningConf {
  const conf = parseConf(args.stdinData, args.args);
  checkDuplicateSysctlKeys(args.stdinData);
  return conf;
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = prepare(args);
  const listPath = allowlistPath(args.env);
  checkAllowlist(conf.sysctl.keys(), readAllowlist(listPath), listPath);
  checkIfName(args.ifName);
  if (!conf.rawPrevResult || !conf.prevResult) throw fail('Required prevResult missing');
  const result = conf.prevResult;
  const files = sysctlFiles(conf, args.ifName);

  const contNs = openNetNS(args.netns);
  const rb = new Rollback();
  try {
    const old = contNs.run(() => resolveSysctls(files));
    const link = touchesLink(conf) ? withLink(contNs, (nl) => lookup(nl, args.ifName)) : undefined;

    contNs.run(() => {
      files.forEach(({ key, file, value }, i) => {
        try {
          writeFileSync(file, value);
        } catch (e) {
          throw fail(`failed to set sysctl ${key} (${file}) to ${JSON.stringify(value)}: ${msg(e)}`);
        }
        const before = old[i] ?? '';
        if (before !== '') {
          rb.push(`restore sysctl ${key}`, () => contNs.run(() => writeFileSync(file, before.trim())));
        }
      });
    });

    if (link) {
      // The values before this ADD; a backup left by an earlier ADD of the same attachment
      // (no DEL in between) keeps its originals, so DEL still restores the first state.
      const now = snapshot(conf, link);
      const priorText = readBackupText(conf.dataDir, args.containerID, args.ifName);
      const prior = priorText === undefined ? undefined : parseBackup(priorText);
      const b: Backup = { ...now, ...prior };
      try {
        writeBackup(conf.dataDir, args.containerID, args.ifName, conf.name, b);
      } catch (e) {
        if (priorText === undefined) removeBackup(conf.dataDir, args.containerID, args.ifName);
        throw fail(`failed to save the original attributes of ${JSON.stringify(args.ifName)}: ${msg(e)}`);
      }
      rb.push('restore link attributes', () => {
        withLink(contNs, (nl) => restore(nl, link.index, now));
        if (priorText !== undefined && prior) {
          writeFileSync(backupFile(conf.dataDir, args.containerID, args.ifName), priorText, { mode: 0o600 });
        } else {
          removeBackup(conf.dataDir, args.containerID, args.ifName);
        }
      });
      withLink(contNs, (nl) => {
        const set = (what: string, fn: () => void) => {
          try {
            fn();
          } catch (e) {
            throw fail(`failed to set ${what} of ${JSON.stringify(args.ifName)}: ${msg(e)}`);
          }
        };
        if (conf.mac !== undefined) {
          const mac = conf.mac;
          set(`MAC address to ${mac}`, () => nl.linkSetMac(link.index, mac));
          for (const i of result.interfaces ?? []) if (i.name === args.ifName) i.mac = mac;
        }
        if (conf.promisc) set('promiscuous mode on', () => nl.linkSetPromisc(link.index, true));
        if (conf.mtu !== 0) set(`MTU to ${conf.mtu}`, () => nl.linkSetMtu(link.index, conf.mtu));
        if (conf.allmulti !== undefined) {
          const on = conf.allmulti;
          set(`all-multicast mode ${on ? 'on' : 'off'}`, () => nl.linkSetAllmulti(link.index, on));
        }
        if (conf.txQLen !== undefined) {
          const q = conf.txQLen;
          set(`transmit queue length to ${q}`, () => nl.linkSetTxQLen(link.index, q));
        }
      });
    }
    return result;
  } catch (e) {
    await rb.run();
    throw e;
  } finally {
    contNs.close();
  }
}

/**
 * DEL restores the saved attributes and removes the backup. Sysctls are not reverted (the
 * reference does not either). Always succeeds once the configuration parses: problems are
 * reported on stderr. A backup that can no longer be applied (namespace or link gone) is
 * removed; one whose restore failed is kept for a later DEL.
 */
export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, args.args);
  const { dataDir } = conf;
  const warn = (m: string) => process.stderr.write(`tuning: ${m}\n`);
  let text: string | undefined;
  try {
    text = readBackupText(dataDir, args.containerID, args.ifName);
  } catch (e) {
    warn(`cannot read the backup of ${args.containerID}/${args.ifName}: ${msg(e)}`);
    return;
  }
  if (text === undefined) {
    removeBackup(dataDir, args.containerID, args.ifName); // a marker left by a Go DEL
    return;
  }
  const b = parseBackup(text);
  if (!b) {
    warn(`ignoring an unreadable backup for ${args.containerID}/${args.ifName}`);
    removeBackup(dataDir, args.containerID, args.ifName);
    return;
  }
  let contNs: NetNS | undefined;
  if (args.netns !== '') {
    try {
      contNs = openNetNSForDel(args.netns);
    } catch (e) {
      warn(msg(e));
      return;
    }
  }
  if (!contNs) {
    removeBackup(dataDir, args.containerID, args.ifName);
    return;
  }
  try {
    const errs = withLink(contNs, (nl) => {
      let link: Link;
      try {
        link = nl.linkByName(args.ifName);
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
      return restore(nl, link.index, b);
    });
    if (errs.length > 0) warn(errs.join('; '));
    else removeBackup(dataDir, args.containerID, args.ifName);
  } catch (e) {
    warn(msg(e));
  } finally {
    contNs.close();
  }
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = prepare(args);
  if (!conf.rawPrevResult || !conf.prevResult) throw fail('Required prevResult missing');
  const files = sysctlFiles(conf, args.ifName);
  const contNs = openNetNS(args.netns);
  try {
    contNs.run(() => {
      resolveSysctls(files);
      for (const { file, value } of files) {
        const cur = readFileSync(file, 'utf8').replace(/\n$/, '');
        // Whitespace-insensitive: multi-value knobs read back with tabs ("4096\t87380\t…").
        const norm = (s: string) => s.trim().split(/\s+/).join(' ');
        if (norm(cur) !== norm(value)) {
          throw fail(`Error: Tuning configured value of ${file} is ${value}, current value is ${cur}`);
        }
      }
    });
    withLink(contNs, (nl) => {
      let link: Link;
      try {
        link = nl.linkByName(args.ifName);
      } catch {
        throw fail(`Cannot find container link ${args.ifName}`);
      }
      const name = args.ifName;
      if (conf.mac !== undefined && conf.mac !== link.mac) {
        throw fail(
          `Error: Tuning configured Ethernet of ${name} is ${conf.mac}, current value is ${link.mac}`,
        );
      }
      // As the reference: promisc must be on when configured, and off when not.
      if (conf.promisc !== link.promisc) {
        throw fail(
          `Error: Tuning link ${name} configured promisc is ${conf.promisc}, current value is ${link.promisc ? 1 : 0}`,
        );
      }
      if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
        throw fail(`Error: Tuning configured MTU of ${name} is ${conf.mtu}, current value is ${link.mtu}`);
      }
      if (conf.allmulti !== undefined && conf.allmulti !== link.allmulti) {
        throw fail(
          `Error: Tuning configured all-multicast mode of ${name} is ${conf.allmulti}, current value is ${link.allmulti}`,
        );
      }
      if (conf.txQLen !== undefined && conf.txQLen !== link.txQLen) {
        throw fail(
          `Error: Tuning configured Transmit Queue Length of ${name} is ${conf.txQLen}, current value is ${link.txQLen}`,
        );
      }
    });
  } finally {
    contNs.close();
  }
}

/** Nothing to report: tuning has no daemon or shared resource. */
export async function cmdStatus(args: CmdArgs): Promise<void> {
  parseNetConf(args.stdinData);
}

/**
 * GC removes the backups this network wrote for attachments that are no longer valid
 * (`cni.dev/valid-attachments`). Without that key nothing is removed.
 */
export async function cmdGC(args: CmdArgs): Promise<void> {
  const conf = parseConf(args.stdinData, '');
  const list = getKey(conf.raw, 'cni.dev/valid-attachments');
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    throw new CniError(ErrCode.DecodingFailure, 'key "cni.dev/valid-attachments" must be an array');
  }
  const valid = new Set<string>();
  for (const a of list) {
    if (typeof a !== 'object' || a === null) continue;
    const cid = getKey(a as Record<string, unknown>, 'containerID');
    const ifn = getKey(a as Record<string, unknown>, 'ifname');
    if (typeof cid === 'string' && typeof ifn === 'string') valid.add(`${cid}_${ifn}`);
  }
  try {
    gcBackups(conf.dataDir, conf.name, valid);
  } catch (e) {
    throw new CniError(ErrCode.IOFailure, `failed to collect tuning backups in ${conf.dataDir}: ${msg(e)}`);
  }
}

export const plugin: PluginDef = {
  type: 'tuning',
  versions: versionsFrom('0.1.0'),
  about: 'CNI tuning plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  status: cmdStatus,
  gc: cmdGC,
};
