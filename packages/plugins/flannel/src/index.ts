// @cni/plugin-flannel: the flannel meta plugin. It reads flanneld's subnet.env, renders a
// config for a real plugin (bridge + host-local on Linux, win-bridge/win-overlay on Windows),
// saves it, delegates to it and passes its result through.
import { type CmdArgs, type PluginDef, SPEC_VERSIONS } from '@cni/skel';
import * as verbs from './verbs.js';

export { ipNetString, maskedCIDR, parseCIDR, parseIP } from './cidr.js';
export {
  type Attachment,
  DEFAULT_DATA_DIR,
  DEFAULT_SUBNET_FILE,
  type FlannelConf,
  loadFlannelConf,
} from './config.js';
export {
  buildDelegateIPAM,
  buildLinuxDelegate,
  buildWindowsDelegate,
  GoStruct,
  goMarshal,
  reencodeRoute,
  validateDelegate,
} from './delegate.js';
export { listScratch, readScratch, removeScratch, saveScratch, scratchName } from './store.js';
export { loadSubnetEnv, parseSubnetEnv, type SubnetEnv } from './subnet-env.js';
export type { FlannelOptions } from './verbs.js';

/** The flannel plugin; `platform` selects Linux or Windows behaviour (default: this machine's). */
export function createFlannelPlugin(opts: verbs.FlannelOptions = {}): PluginDef {
  return {
    type: 'flannel',
    versions: SPEC_VERSIONS,
    about: 'CNI flannel plugin (cni-ts)',
    add: (args) => verbs.add(args, opts),
    del: (args) => verbs.del(args, opts),
    check: verbs.check,
    status: (args) => verbs.status(args, opts),
    gc: (args) => verbs.gc(args, opts),
  };
}

export const cmdAdd = (args: CmdArgs) => verbs.add(args);
export const cmdDel = (args: CmdArgs) => verbs.del(args);
export const cmdCheck = (args: CmdArgs) => verbs.check(args);
export const cmdStatus = (args: CmdArgs) => verbs.status(args);
export const cmdGC = (args: CmdArgs) => verbs.gc(args);

export const plugin: PluginDef = createFlannelPlugin();
