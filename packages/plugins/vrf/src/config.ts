// vrf configuration and the table choice (cni-reference §3.10). Nothing here touches the kernel.
import { optInt, optString, UINT32_MAX } from '@cni/ip';
import { CniError, ErrCode, type NetConf, parseNetConf } from '@cni/skel';

export interface VrfConf extends NetConf {
  vrfName: string;
  /** 0 = automatic (the lowest table no other VRF uses) */
  table: number;
}

/** Parse and validate the configuration; `vrfname` is required. */
export function parseConf(stdin: Buffer | string): VrfConf {
  const conf = parseNetConf(stdin);
  const raw = conf.raw;
  const vrfName = optString(raw, 'vrfname');
  if (vrfName === '') {
    throw new CniError(ErrCode.InvalidNetworkConfig, 'configuration is expected to have a valid vrf name');
  }
  if (Buffer.byteLength(vrfName) > 15 || /[/:\s]/u.test(vrfName) || vrfName === '.' || vrfName === '..') {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `invalid "vrfname" ${JSON.stringify(vrfName)}: not a valid interface name`,
    );
  }
  const table = optInt(raw, 'table', 0, UINT32_MAX) ?? 0;
  return { ...conf, vrfName, table };
}

/** The kernel's reserved tables (default, main, local): never chosen automatically. */
const RESERVED_TABLES = new Set([253, 254, 255]);

/** The lowest table ≥ 1 that no VRF in `taken` uses (and not a reserved one). */
export function freeTable(taken: Iterable<number>): number {
  const used = new Set(taken);
  for (let t = 1; t <= UINT32_MAX; t++) {
    if (!used.has(t) && !RESERVED_TABLES.has(t)) return t;
  }
  throw new CniError(ErrCode.Internal, 'findFreeRoutingTableID: Failed to find an available routing id');
}
