// @cni/plugin-dhcp: the dhcp IPAM plugin (a thin client of the daemon) and, as `dhcp daemon`,
// the daemon that acts as DHCPv4 client for containers.
import { resolve } from 'node:path';
import { validateNetNSPath } from '@cni/ns';
import { type CmdArgs, CniError, ErrCode, type PluginDef, type Result, versionsFrom } from '@cni/skel';
import { runDaemon } from './daemon.js';
import { type DhcpIpamConfig, loadIpamConfig } from './options.js';
import { call, DaemonUnreachable, type LeaseArgs, type Request, type Response } from './protocol.js';

export {
  Daemon,
  type DaemonFlags,
  DEFAULT_STATE_DIR,
  parseDuration,
  parseFlags,
  runDaemon,
} from './daemon.js';
export {
  clientIdFor,
  DEFAULT_SOCKET_PATH,
  type DhcpIpamConfig,
  type LeaseResult,
  loadIpamConfig,
  prepareOptions,
  resultFromAck,
} from './options.js';
export { call, type LeaseArgs, type LeaseInfo, type Request, type Response } from './protocol.js';

type Obj = Record<string, unknown>;

interface Conf {
  name: string;
  cniVersion: string;
  ipam: DhcpIpamConfig;
  raw: Obj;
}

function loadConf(args: CmdArgs): Conf {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(args.stdinData).toString('utf8'));
  } catch (err) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to parse network configuration: ${(err as Error).message}`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CniError(ErrCode.DecodingFailure, 'network configuration must be a JSON object');
  const raw = v as Obj;
  const name = typeof raw.name === 'string' ? raw.name : '';
  const cniVersion = typeof raw.cniVersion === 'string' ? raw.cniVersion : '';
  return { name, cniVersion, ipam: loadIpamConfig(raw.ipam ?? {}), raw };
}

function leaseArgs(args: CmdArgs, conf: Conf): LeaseArgs {
  return {
    containerID: args.containerID,
    netns: args.netns ? resolve(args.netns) : '',
    ifName: args.ifName,
    network: conf.name,
    cniArgs: args.args,
    provide: conf.ipam.provide,
    request: conf.ipam.request,
  };
}

async function ask(conf: Conf, req: Request): Promise<Response & { ok: true }> {
  let res: Response;
  try {
    res = await call(conf.ipam.daemonSocketPath, req);
  } catch (err) {
    if (err instanceof DaemonUnreachable)
      throw new CniError(
        ErrCode.PluginNotAvailable,
        `${err.message} (is the dhcp daemon running? start it with "dhcp daemon -socketpath ${conf.ipam.daemonSocketPath}")`,
      );
    throw new CniError(ErrCode.IOFailure, (err as Error).message);
  }
  if (!res.ok) throw new CniError(res.error.code, res.error.msg);
  return res;
}

/** The container's namespace must exist before the daemon is asked (ADD, CHECK). */
function checkNetNS(args: CmdArgs): void {
  const path = resolve(args.netns);
  try {
    validateNetNSPath(path);
  } catch (err) {
    throw new CniError(ErrCode.Internal, `failed to open netns "${path}": ${(err as Error).message}`);
  }
}

export async function cmdAdd(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  checkNetNS(args);
  const res = await ask(conf, { method: 'allocate', args: leaseArgs(args, conf) });
  if (!res.result) throw new CniError(ErrCode.Internal, 'the DHCP daemon returned no lease');
  const prio = conf.ipam.priority;
  return {
    cniVersion: conf.cniVersion,
    ips: res.result.ips,
    routes: res.result.routes.map((r) => (prio !== undefined && prio > 0 ? { ...r, priority: prio } : r)),
  };
}

export async function cmdDel(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  try {
    await call(conf.ipam.daemonSocketPath, { method: 'release', args: leaseArgs(args, conf) }).then((res) => {
      if (!res.ok) throw new CniError(res.error.code, res.error.msg);
    });
  } catch (err) {
    if (err instanceof DaemonUnreachable) {
      // Nothing to release without the daemon (its leases are released when it cannot renew
      // them, and a resumed daemon drops leases whose interface is gone).
      process.stderr.write(`dhcp: DEL: ${err.message}; nothing released\n`);
      return;
    }
    if (err instanceof CniError) throw err;
    throw new CniError(ErrCode.IOFailure, (err as Error).message);
  }
}

export async function cmdCheck(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  checkNetNS(args);
  const res = await ask(conf, { method: 'check', args: leaseArgs(args, conf) });
  // the lease's address must be the one the runtime holds in prevResult (when it lists any)
  const prev = conf.raw.prevResult as { ips?: { address?: unknown }[] } | undefined;
  const held = res.result?.ips[0]?.address;
  const listed = Array.isArray(prev?.ips)
    ? prev.ips.map((i) => i?.address).filter((a) => typeof a === 'string')
    : [];
  if (held && listed.length > 0 && !listed.includes(held))
    throw new CniError(
      ErrCode.Internal,
      `the DHCP lease holds ${held}, but prevResult has ${listed.join(', ')}`,
    );
}

export async function cmdStatus(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  await ask(conf, { method: 'status' });
}

/** The valid attachments of a GC request (`cni.dev/valid-attachments`). */
function validAttachments(raw: Obj): { containerID: string; ifname: string }[] {
  const list = raw['cni.dev/valid-attachments'] ?? raw['cni.dev/attachments'];
  if (list === undefined || list === null)
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'GC needs the list of valid attachments in "cni.dev/valid-attachments"',
    );
  if (!Array.isArray(list))
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `cni.dev/valid-attachments: expected an array, got ${JSON.stringify(list)}`,
    );
  return list.map((a, i) => {
    const o = (typeof a === 'object' && a !== null ? a : {}) as Obj;
    if (typeof o.containerID !== 'string' || typeof o.ifname !== 'string')
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `cni.dev/valid-attachments[${i}]: expected {"containerID": string, "ifname": string}, got ${JSON.stringify(a)}`,
      );
    return { containerID: o.containerID, ifname: o.ifname };
  });
}

export async function cmdGC(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  const valid = validAttachments(conf.raw);
  await ask(conf, { method: 'gc', args: { network: conf.name, validAttachments: valid } });
}

export const plugin: PluginDef = {
  type: 'dhcp',
  versions: versionsFrom('0.1.0'),
  about: 'CNI dhcp plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  gc: cmdGC,
  status: cmdStatus,
  subcommands: { daemon: runDaemon },
};
