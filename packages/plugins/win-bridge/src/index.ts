// @cni/plugin-win-bridge: attaches a Windows container to an existing L2Bridge / L2Tunnel HNS
// network through an HNS v1 (apiVersion 1) or HCN v2 (apiVersion 2) endpoint.
import {
  applyLoopbackDSR,
  applyOutboundNat,
  applyPortMappings,
  bridgeGateway,
  endpointName,
  execIpam,
  HcnV2,
  hcnEndpointPolicies,
  hcnResult,
  HnsV1,
  hnsEndpointPolicies,
  hnsResult,
  type IpamDelegate,
  IpamSession,
  loadWindowsApi,
  type Policy,
  parseWindowsNetConf,
  provisionV1,
  provisionV2,
  removeV1,
  removeV2,
  sameId,
  type WindowsApi,
  type WindowsNetConf,
  v1EndpointDocument,
  v2EndpointDocument,
} from '@cni/hns';
import { type CmdArgs, CniError, ErrCode, type PluginDef, type Result, versionsFrom } from '@cni/skel';

export interface Deps {
  /** the Windows API (the koffi binding by default; a FakeWindows in tests) */
  api: () => WindowsApi;
  ipam: IpamDelegate;
}

const defaults: Deps = { api: loadWindowsApi, ipam: execIpam };

const BRIDGE_TYPES = ['l2bridge', 'l2tunnel'];

function networkV1(hns: HnsV1, name: string) {
  let n: ReturnType<HnsV1['getNetworkByName']>;
  try {
    n = hns.getNetworkByName(name);
  } catch (e) {
    throw new CniError(ErrCode.Internal, `error while getting network ${name}: ${(e as Error).message}`);
  }
  if (!BRIDGE_TYPES.includes(n.Type.toLowerCase())) {
    throw new CniError(ErrCode.Internal, `network ${name} is of an unexpected type: ${n.Type}`);
  }
  return n;
}

function networkV2(hcn: HcnV2, name: string) {
  let n: ReturnType<HcnV2['getNetworkByName']>;
  try {
    n = hcn.getNetworkByName(name);
  } catch (e) {
    throw new CniError(
      ErrCode.Internal,
      `error while getting network ${name}: ${(e as CniError).msg ?? (e as Error).message}`,
    );
  }
  if (n.Type !== 'L2Bridge' && n.Type !== 'L2Tunnel') {
    throw new CniError(ErrCode.Internal, `network ${name} is of an unexpected type: ${n.Type}`);
  }
  return n;
}

/** IPAM (when configured), then the policies in the reference's order. */
async function endpointInputs(
  n: WindowsNetConf,
  ipam: IpamSession | undefined,
  dsr: () => boolean,
  api: 1 | 2,
) {
  let ip: string | undefined;
  let gateway: string | undefined;
  if (ipam) {
    const address = await ipam.add();
    ip = address.slice(0, address.indexOf('/'));
    gateway = bridgeGateway(address);
  }
  const policies: Policy[] = [...n.policies];
  applyOutboundNat(policies, api, n.ipMasqNetwork);
  applyPortMappings(policies, api, n.portMappings);
  if (n.loopbackDSR && ip) applyLoopbackDSR(policies, api, ip, dsr());
  return { ip, gateway, policies };
}

export function makePlugin(deps: Partial<Deps> = {}): PluginDef & {
  cmdAdd: (a: CmdArgs) => Promise<Result>;
  cmdDel: (a: CmdArgs) => Promise<void>;
  cmdCheck: (a: CmdArgs) => Promise<void>;
  cmdStatus: (a: CmdArgs) => Promise<void>;
} {
  const d: Deps = { ...defaults, ...deps };

  async function cmdAdd(args: CmdArgs): Promise<Result> {
    const n = parseWindowsNetConf(args.stdinData);
    const api = d.api();
    const hns = new HnsV1(api.vmcompute);
    const ipam = n.ipamType ? new IpamSession(n.ipamType, args.stdinData, d.ipam) : undefined;
    const epName = endpointName(args.containerID, args.netns, n.name);
    try {
      if (n.apiVersion === 2) {
        const hcn = new HcnV2(api.hcn);
        const network = networkV2(hcn, n.name);
        const ep = await provisionV2(hcn, {
          epName,
          networkID: network.ID,
          namespace: args.netns,
          build: async () => {
            const x = await endpointInputs(n, ipam, () => hns.dsrSupported(), 2);
            return v2EndpointDocument(
              { name: epName, networkID: network.ID, ...opt(x.ip, x.gateway), dns: n.dns },
              hcnEndpointPolicies(x.policies),
            );
          },
        });
        return hcnResult(network, ep);
      }
      const network = networkV1(hns, n.name);
      const ep = await provisionV1(hns, {
        epName,
        networkID: network.ID,
        containerID: args.containerID,
        netns: args.netns,
        build: async () => {
          const x = await endpointInputs(n, ipam, () => hns.dsrSupported(), 1);
          return v1EndpointDocument(
            { name: epName, networkID: network.ID, ...opt(x.ip, x.gateway), dns: n.dns },
            hnsEndpointPolicies(x.policies),
          );
        },
      });
      return hnsResult(network, ep);
    } catch (e) {
      await ipam?.rollback();
      throw e;
    }
  }

  async function cmdDel(args: CmdArgs): Promise<void> {
    const n = parseWindowsNetConf(args.stdinData);
    if (n.ipamType) await d.ipam.del(n.ipamType, args.stdinData);
    const api = d.api();
    const epName = endpointName(args.containerID, args.netns, n.name);
    if (n.apiVersion === 2) removeV2(new HcnV2(api.hcn), { epName });
    else removeV1(new HnsV1(api.vmcompute), { epName, containerID: args.containerID, netns: args.netns });
  }

  async function cmdCheck(args: CmdArgs): Promise<void> {
    const n = parseWindowsNetConf(args.stdinData);
    const api = d.api();
    const epName = endpointName(args.containerID, args.netns, n.name);
    const want = n.conf.prevResult?.ips?.[0]?.address;
    const wantIP = want ? want.slice(0, want.indexOf('/')) : undefined;
    let got: string | undefined;
    if (n.apiVersion === 2) {
      const hcn = new HcnV2(api.hcn);
      const network = networkV2(hcn, n.name);
      const ep = hcn.getEndpointByName(epName);
      if (!ep || !sameId(ep.HostComputeNetwork, network.ID)) throw notFound(epName, n.name);
      if (!sameId(ep.HostComputeNamespace, args.netns)) {
        throw new CniError(ErrCode.Internal, `endpoint ${epName} is not in namespace ${args.netns}`);
      }
      got = ep.IpConfigurations?.[0]?.IpAddress;
    } else {
      const hns = new HnsV1(api.vmcompute);
      const network = networkV1(hns, n.name);
      const ep = hns.getEndpointByName(epName);
      if (!ep || !sameId(ep.VirtualNetwork, network.ID)) throw notFound(epName, n.name);
      got = ep.IPAddress;
    }
    if (wantIP && got !== wantIP) {
      throw new CniError(
        ErrCode.Internal,
        `endpoint ${epName} has IP ${got ?? '(none)'}, prevResult has ${wantIP}`,
      );
    }
  }

  async function cmdStatus(args: CmdArgs): Promise<void> {
    const n = parseWindowsNetConf(args.stdinData);
    if (n.ipamType) await d.ipam.status(n.ipamType, args.stdinData);
  }

  return {
    type: 'win-bridge',
    versions: versionsFrom('0.1.0'),
    about: 'CNI win-bridge plugin',
    add: cmdAdd,
    del: cmdDel,
    check: cmdCheck,
    status: cmdStatus,
    cmdAdd,
    cmdDel,
    cmdCheck,
    cmdStatus,
  };
}

const opt = (ip: string | undefined, gateway: string | undefined) => ({
  ...(ip ? { ip } : {}),
  ...(gateway ? { gateway } : {}),
});

const notFound = (ep: string, net: string) =>
  new CniError(ErrCode.Internal, `endpoint ${ep} not found on network ${net}`);

export const plugin = makePlugin();
export const { cmdAdd, cmdDel, cmdCheck, cmdStatus } = plugin;
