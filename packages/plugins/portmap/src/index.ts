export {
  backendOfConditions,
  getKey,
  type PortMapConf,
  type PortMapEntry,
  PortmapError,
  parseConfig,
} from './config.js';
export {
  dnatChainName,
  dnatComment,
  dnatEntryRules,
  dnatRules,
  MARK_MASQ_CHAIN,
  oldSnatChainName,
  SET_MARK_CHAIN,
  TOP_LEVEL_DNAT_CHAIN,
} from './iptables.js';
export { attachmentsChain, forwardCommands, gcNFT, NFT_TABLE } from './nftables.js';
export {
  type CmdArgs,
  cmdAdd,
  cmdCheck,
  cmdDel,
  cmdGC,
  cmdStatus,
  routableHostIF,
  type VerbOptions,
} from './verbs.js';

import { conntrackDeleteByDstPort } from '@cni/netlink';
import { type CmdArgs as SkelArgs, type PluginDef, parseResult, type Result, versionsFrom } from '@cni/skel';
import { getKey as key } from './config.js';
import * as verbs from './verbs.js';

function toResult(prev: Record<string, unknown>, stdin: Buffer): Result {
  const conf = JSON.parse(stdin.toString()) as Record<string, unknown>;
  const version = key(conf, 'cniVersion');
  return parseResult(prev, typeof version === 'string' && version ? version : undefined);
}

/** The plugin for @cni/skel's pluginMain / runPlugin (all spec versions, as the reference). */
export const plugin: PluginDef = {
  type: 'portmap',
  versions: versionsFrom('0.1.0'),
  about: 'CNI portmap plugin',
  add: (a: SkelArgs) =>
    toResult(
      verbs.cmdAdd(a, {
        log: (m) => process.stderr.write(`${m}\n`),
        // Stale UDP flows to a mapped host port would keep going to the old container.
        deleteConntrack: (port, family) => {
          conntrackDeleteByDstPort(undefined, family, 'udp', port);
        },
      }),
      a.stdinData,
    ),
  del: (a: SkelArgs) => verbs.cmdDel(a),
  check: (a: SkelArgs) => verbs.cmdCheck(a),
  gc: (a: SkelArgs) => verbs.cmdGC(a),
  status: (a: SkelArgs) => verbs.cmdStatus(a),
};
