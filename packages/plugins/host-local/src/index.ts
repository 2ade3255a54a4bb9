// @cni/plugin-host-local: the host-local IPAM plugin. Addresses are allocated from range
// sets into a store shared, file for file and lock for lock, with the Go reference.
import { type CmdArgs, CniError, ErrCode, type PluginDef, versionsFrom } from '@cni/skel';
import * as verbs from './verbs.js';

export { type IPAMConfig, loadIPAMConfig, type Route } from './config.js';
export { type DNS, parseResolvConf, parseResolvConfText } from './dns.js';
export { type Attachment, type IPAMResult, validAttachments } from './verbs.js';

function stdinObject(args: CmdArgs): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(args.stdinData).toString('utf8'));
  } catch (err) {
    throw new CniError(
      ErrCode.DecodingFailure,
      `failed to parse network configuration: ${(err as Error).message}`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CniError(ErrCode.DecodingFailure, 'network configuration must be a JSON object');
  }
  return v as Record<string, unknown>;
}

export function cmdAdd(args: CmdArgs): verbs.IPAMResult {
  return verbs.add(stdinObject(args), args.containerID, args.ifName, args.args);
}

export function cmdDel(args: CmdArgs): void {
  verbs.del(stdinObject(args), args.containerID, args.ifName, args.args);
}

export function cmdCheck(args: CmdArgs): void {
  verbs.check(stdinObject(args), args.containerID, args.ifName, args.args);
}

export function cmdGC(args: CmdArgs): void {
  verbs.gc(stdinObject(args));
}

export function cmdStatus(args: CmdArgs): void {
  verbs.status(stdinObject(args));
}

export const plugin: PluginDef = {
  type: 'host-local',
  versions: versionsFrom('0.1.0'),
  about: 'CNI host-local plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  gc: cmdGC,
  status: cmdStatus,
};
