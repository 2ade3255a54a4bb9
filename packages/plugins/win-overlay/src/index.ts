// @cni/plugin-win-overlay: attaches a Windows container to an existing Overlay (VXLAN) HNS
// network through an HNS v1 (apiVersion 1) or HCN v2 (apiVersion 2) endpoint.
import {
  applyDefaultPA,
  applyLoopbackDSR,
  applyOutboundNat,
  applyPortMappings,
  checkMacPrefix,
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
  overlayMac,
  type Policy,
  parseIP,
  parseWindowsNetConf,
  provisionV1,
  provisionV2,
  removeV1,
  removeV2,
  sameId,
  to4,
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

/** The v1 view of the Overlay network: gateway, management IP and subnet come from it. */
function networkV1(hns: HnsV1, name: string) {
  let n: ReturnType<HnsV1['getNetworkByName']>;
  try {
    n = hns.getNetworkByName(name);
  } catch {
    throw new CniError(ErrCode.Internal, `network ${name} not found`);
  }
  if (n.Type.toLowerCase() !== 'overlay') {
    throw new CniError(ErrCode.Internal, `network ${name} is of an unexpected type: ${n.Type}`);
  }
  return n;
}

function networkV2(hcn: HcnV2, name: string) {
  let n: ReturnType<HcnV2['getNetworkByName']>;
  try {
    n = hcn.getNetworkByName(name);
  } catch {
    throw new CniError(ErrCode.Internal, `network ${name} not found`);
  }
  if (n.Type.toLowerCase() !== 'overlay') {
    throw new CniError(ErrCode.Internal, `network ${name} is of an unexpected type: ${n.Type}`);
  }
  return n;
}

/** IPAM is required here: win-overlay always needs a pod IPv4 address for the MAC. */
async function podIPv4(ipam: IpamSession | undefined): Promise<string> {
  if (!ipam) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'win-overlay needs an IPAM plugin: set ipam.type (e.g. host-local)',
    );
  }
  const address = await ipam.add();
  const ip = address.slice(0, address.indexOf('/'));
  const b = parseIP(ip);
  if (!b || !to4(b)) throw new CniError(ErrCode.Internal, "win-overlay doesn't support IPv6 now");
  return ip;
}

export function makePlugin(deps: Partial<Deps> = {}): PluginDef & {
  cmdAdd: (a: CmdArgs) => Promise<Result>;
  cmdDel: (a: CmdArgs) => Promise<void>;
  cmdCheck: (a: CmdArgs) => Promise<void>;
  cmdStatus: (a: CmdArgs) => Promise<void>;
} {
  const d: Deps = { ...defaults, ...deps };

  function endpointPolicies(
    n: WindowsNetConf,
    api: 1 | 2,
    ip: string,
    pa: string,
    subnet: string,
    dsr: () => boolean,
  ) {
    const policies: Policy[] = [...n.policies];
    const doDSR = () => {
      if (n.loopbackDSR) applyLoopbackDSR(policies, api, ip, dsr());
    };
    // the reference's orders: v1 user, PA, ipMasq NAT, DSR; v2 user, DSR, PA, ipMasq NAT
    if (api === 2) doDSR();
    applyDefaultPA(policies, api, pa);
    if (n.ipMasq) applyOutboundNat(policies, api, subnet);
    if (api === 1) doDSR();
    applyPortMappings(policies, api, n.portMappings);
    return policies;
  }

  async function cmdAdd(args: CmdArgs): Promise<Result> {
    const n = parseWindowsNetConf(args.stdinData);
    const prefix = checkMacPrefix(n.endpointMacPrefix);
    const api = d.api();
    const hns = new HnsV1(api.vmcompute);
    const ipam = n.ipamType ? new IpamSession(n.ipamType, args.stdinData, d.ipam) : undefined;
    const epName = endpointName(args.containerID, args.netns, n.name);
    try {
      const v1net = networkV1(hns, n.name);
      const subnet = v1net.Subnets?.[0];
      const gateway = subnet?.GatewayAddress ?? '';
      const pa = v1net.ManagementIP ?? '';
      if (n.apiVersion === 2) {
        const hcn = new HcnV2(api.hcn);
        const network = networkV2(hcn, n.name);
        const ep = await provisionV2(hcn, {
          epName,
          networkID: network.ID,
          namespace: args.netns,
          build: async () => {
            const ip = await podIPv4(ipam);
            const policies = endpointPolicies(n, 2, ip, pa, subnet?.AddressPrefix ?? '', () =>
              hns.dsrSupported(),
            );
            return v2EndpointDocument(
              {
                name: epName,
                networkID: network.ID,
                ip,
                mac: overlayMac(prefix, ip),
                dns: n.dns,
                ...gw(gateway),
              },
              hcnEndpointPolicies(policies),
            );
          },
        });
        return hcnResult(network, ep);
      }
      const ep = await provisionV1(hns, {
        epName,
        networkID: v1net.ID,
        containerID: args.containerID,
        netns: args.netns,
        build: async () => {
          const ip = await podIPv4(ipam);
          const policies = endpointPolicies(n, 1, ip, pa, subnet?.AddressPrefix ?? '', () =>
            hns.dsrSupported(),
          );
          return v1EndpointDocument(
            {
              name: epName,
              networkID: v1net.ID,
              ip,
              mac: overlayMac(prefix, ip),
              dns: n.dns,
              ...gw(gateway),
            },
            hnsEndpointPolicies(policies),
          );
        },
      });
      return hnsResult(v1net, ep);
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
    type: 'win-overlay',
    versions: versionsFrom('0.1.0'),
    about: 'CNI win-overlay plugin',
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

const gw = (gateway: string) => (gateway ? { gateway } : {});

const notFound = (ep: string, net: string) =>
  new CniError(ErrCode.Internal, `endpoint ${ep} not found on network ${net}`);

export const plugin = makePlugin();
export const { cmdAdd, cmdDel, cmdCheck, cmdStatus } = plugin;
