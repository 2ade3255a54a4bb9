// @cni/plugin-static: the static IPAM plugin. Returns the configured addresses, routes
// and DNS; allocates nothing.
import { type CmdArgs, CniError, ErrCode, type PluginDef, versionsFrom } from '@cni/skel';
import * as verbs from './verbs.js';

export { type Address, type DNS, loadStaticConfig, type Route, type StaticConfig } from './config.js';
export type { IPAMResult } from './verbs.js';

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
  return verbs.add(stdinObject(args), args.args);
}

export function cmdDel(args: CmdArgs): void {
  verbs.del(stdinObject(args), args.args);
}

export function cmdCheck(args: CmdArgs): void {
  verbs.check(stdinObject(args), args.args, args.ifName);
}

/** STATUS: static needs nothing to be ready. */
export function cmdStatus(_args: CmdArgs): void {}

/** GC: static holds no state to collect. */
export function cmdGC(_args: CmdArgs): void {}

export const plugin: PluginDef = {
  type: 'static',
  versions: versionsFrom('0.1.0'),
  about: 'CNI static plugin',
  add: cmdAdd,
  del: cmdDel,
  check: cmdCheck,
  gc: cmdGC,
  status: cmdStatus,
};
