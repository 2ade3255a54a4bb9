// Endpoint naming, documents, results and the ADD/DEL flows shared by win-bridge and win-overlay.
import { CniError, type DNS, ErrCode, goStringify, type Result } from '@cni/skel';
import { isNotFound, HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS, WindowsCallError } from './errors.js';
import type { HcnEndpoint, HcnNetwork, HcnV2 } from './hcn.js';
import { isGuid, sameId } from './guid.js';
import type { HnsEndpoint, HnsNetwork, HnsV1 } from './hns.js';
import { isSystemNotFound } from './hns.js';
import { formatIP, isIPv4, maskIP, parseCIDR, parseIP, to4 } from './ip.js';
import type { HcnPolicy } from './policy.js';

/** The sandbox ID: the part after the first `:` of `x:<id>` netns values, else the container ID. */
export function sandboxID(containerID: string, netns: string): string {
  if (netns !== '' && netns !== 'none') {
    const i = netns.indexOf(':');
    if (i >= 0) return netns.slice(i + 1);
  }
  return containerID;
}

/** `<sandboxID>_<network name>` */
export const endpointName = (containerID: string, netns: string, network: string): string =>
  `${sandboxID(containerID, netns)}_${network}`;

/** win-bridge's gateway: the address's network with 2 added to the last byte (wrapping at 256). */
export function bridgeGateway(address: string): string {
  const c = parseCIDR(address);
  if (!c) throw new CniError(ErrCode.Internal, `IPAM returned an invalid address ${JSON.stringify(address)}`);
  const net = maskIP(c.ip, c.prefix);
  net[net.length - 1] = ((net[net.length - 1] ?? 0) + 2) & 0xff;
  return formatIP(net);
}

/** `endpointMacPrefix` must look like `xx-xx`; '' gives the default 0E-2A. */
export function checkMacPrefix(prefix: string): string {
  if (prefix === '') return '0E-2A';
  if (prefix.length !== 5 || prefix[2] !== '-') {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `endpointMacPrefix [${prefix}] is invalid, value must be of the format xx-xx`,
    );
  }
  return prefix;
}

/** win-overlay's MAC: the prefix and the 4 IPv4 octets in lowercase hex. */
export function overlayMac(prefix: string, ip: string): string {
  const b = parseIP(ip);
  const v4 = b ? to4(b) : undefined;
  if (!v4) throw new CniError(ErrCode.Internal, `cannot derive a MAC address from ${JSON.stringify(ip)}`);
  return `${prefix}-${Array.from(v4, (x) => x.toString(16).padStart(2, '0')).join('-')}`;
}

/** What goes into an endpoint document. */
export interface EndpointSpec {
  name: string;
  networkID: string;
  /** the pod address without prefix */
  ip?: string;
  gateway?: string;
  mac?: string;
  dns: DNS;
}

/** The HNS v1 endpoint (hcsshim HNSEndpoint field order, empty fields omitted), compact. */
export function v1EndpointDocument(spec: EndpointSpec, policies: readonly unknown[]): string {
  const d: Record<string, unknown> = { Name: spec.name, VirtualNetwork: spec.networkID };
  if (policies.length > 0) d.Policies = policies;
  if (spec.mac) d.MacAddress = spec.mac;
  if (spec.ip) d.IPAddress = spec.ip;
  const search = (spec.dns.search ?? []).join(',');
  const servers = (spec.dns.nameservers ?? []).join(',');
  if (search) d.DNSSuffix = search;
  if (servers) d.DNSServerList = servers;
  if (spec.gateway) d.GatewayAddress = spec.gateway;
  return goStringify(d);
}

/** The HCN v2 endpoint (hcsshim HostComputeEndpoint field order), compact. */
export function v2EndpointDocument(spec: EndpointSpec, policies: readonly HcnPolicy[]): string {
  const d: Record<string, unknown> = { Name: spec.name, HostComputeNetwork: spec.networkID };
  if (policies.length > 0) d.Policies = policies;
  if (spec.ip) d.IpConfigurations = [{ IpAddress: spec.ip }];
  const dns: Record<string, unknown> = {};
  if (spec.dns.domain) dns.Domain = spec.dns.domain;
  if (spec.dns.search?.length) dns.Search = spec.dns.search;
  if (spec.dns.nameservers?.length) dns.ServerList = spec.dns.nameservers;
  if (spec.dns.options?.length) dns.Options = spec.dns.options;
  d.Dns = dns;
  if (spec.gateway) {
    const gw = parseIP(spec.gateway);
    const dst = gw && isIPv4(gw) ? '0.0.0.0/0' : '::/0';
    d.Routes = [{ NextHop: spec.gateway, DestinationPrefix: dst }];
  }
  if (spec.mac) d.MacAddress = spec.mac;
  d.Health = { Extra: {} };
  d.SchemaVersion = { Major: 2, Minor: 0 };
  return goStringify(d);
}

const splitList = (s: string | undefined): string[] => (s ? s.split(',').filter((x) => x !== '') : []);

function withPrefix(ip: string | undefined, prefixOf: string | undefined, what: string): string {
  const addr = ip ? parseIP(ip) : undefined;
  const net = prefixOf ? parseCIDR(prefixOf) : undefined;
  if (!addr)
    throw new CniError(
      ErrCode.Internal,
      `the endpoint has no valid IP address (${what}: ${JSON.stringify(ip ?? '')})`,
    );
  if (!net) {
    throw new CniError(
      ErrCode.Internal,
      `the network has no valid subnet prefix (${what}: ${JSON.stringify(prefixOf ?? '')})`,
    );
  }
  return `${formatIP(addr)}/${net.prefix}`;
}

function dnsOf(d: DNS): DNS | undefined {
  const out: DNS = {};
  if (d.nameservers?.length) out.nameservers = d.nameservers;
  if (d.domain) out.domain = d.domain;
  if (d.search?.length) out.search = d.search;
  if (d.options?.length) out.options = d.options;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The CNI result of an HNS v1 endpoint: the IP with the mask of the network's first subnet. */
export function hnsResult(network: HnsNetwork, ep: HnsEndpoint): Result {
  const address = withPrefix(
    ep.IPAddress,
    network.Subnets?.[0]?.AddressPrefix,
    'v1 IPAddress / Subnets[0].AddressPrefix',
  );
  const ip: { address: string; gateway?: string } = { address };
  if (ep.GatewayAddress) ip.gateway = ep.GatewayAddress;
  const r: Result = {
    cniVersion: '1.1.0',
    interfaces: [{ name: ep.Name, ...(ep.MacAddress ? { mac: ep.MacAddress } : {}) }],
    ips: [ip],
  };
  const dns = dnsOf({ nameservers: splitList(ep.DNSServerList), search: splitList(ep.DNSSuffix) });
  if (dns) r.dns = dns;
  return r;
}

/** The CNI result of an HCN v2 endpoint: mask from the network's Ipams[0].Subnets[0]. */
export function hcnResult(network: HcnNetwork, ep: HcnEndpoint): Result {
  const address = withPrefix(
    ep.IpConfigurations?.[0]?.IpAddress,
    network.Ipams?.[0]?.Subnets?.[0]?.IpAddressPrefix,
    'v2 IpConfigurations[0].IpAddress / Ipams[0].Subnets[0].IpAddressPrefix',
  );
  const ip: { address: string; gateway?: string } = { address };
  const gw = ep.Routes?.[0]?.NextHop;
  if (gw) ip.gateway = gw;
  const r: Result = {
    cniVersion: '1.1.0',
    interfaces: [{ name: ep.Name, ...(ep.MacAddress ? { mac: ep.MacAddress } : {}) }],
    ips: [ip],
  };
  const d = ep.Dns ?? {};
  const dns = dnsOf({
    ...(d.ServerList ? { nameservers: d.ServerList } : {}),
    ...(d.Domain ? { domain: d.Domain } : {}),
    ...(d.Search ? { search: d.Search } : {}),
    ...(d.Options ? { options: d.Options } : {}),
  });
  if (dns) r.dns = dns;
  return r;
}

/** Builds the endpoint document of a new endpoint (runs IPAM); called only when one is needed. */
export type BuildEndpoint = () => Promise<string>;

/**
 * HNS v1 ADD: reuse the endpoint named `epName` (a `container:<id>` netns requires it), replace
 * one left on another network, or create it; then hot-attach it to compute system
 * `containerID`. A new endpoint is removed again when attaching fails.
 */
export async function provisionV1(
  hns: HnsV1,
  o: { epName: string; networkID: string; containerID: string; netns: string; build: BuildEndpoint },
): Promise<HnsEndpoint> {
  let ep = hns.getEndpointByName(o.epName);
  if (!ep && o.netns !== 'none') {
    throw new CniError(
      ErrCode.Internal,
      `failed to find HNSEndpoint ${o.epName}: Endpoint ${o.epName} not found`,
    );
  }
  if (ep && !sameId(ep.VirtualNetwork, o.networkID)) {
    hns.deleteEndpoint(ep.ID); // left on another network: corrupted
    ep = undefined;
  }
  let created = false;
  if (!ep) {
    const doc = await o.build();
    const again = hns.getEndpointByName(o.epName);
    if (again && sameId(again.VirtualNetwork, o.networkID)) {
      throw new CniError(ErrCode.Internal, `HNSEndpoint ${o.epName} is already existed`);
    }
    ep = hns.createEndpoint(doc);
    created = true;
  }
  try {
    hns.hotAttach(ep.ID, o.containerID);
  } catch (e) {
    if (created) {
      try {
        hns.deleteEndpoint(ep.ID);
      } catch {
        // the attach error is the one to report
      }
      throw e;
    }
    if (!isSystemNotFound(e)) throw e;
  }
  return ep;
}

/** Checks CNI_NETNS for HCN: a bare 36-character GUID. */
export function checkNamespaceID(netns: string): void {
  if (!isGuid(netns)) {
    throw new CniError(
      ErrCode.InvalidNetNS,
      `invalid namespace ID ${JSON.stringify(netns)}: CNI_NETNS must be an HCN namespace GUID`,
    );
  }
}

/**
 * HCN v2 ADD: reuse, replace or create the endpoint, then add it to namespace `namespace`.
 * A new endpoint is deleted when that fails; an endpoint already in the namespace is fine.
 */
export async function provisionV2(
  hcn: HcnV2,
  o: { epName: string; networkID: string; namespace: string; build: BuildEndpoint },
): Promise<HcnEndpoint> {
  checkNamespaceID(o.namespace);
  let ep = hcn.getEndpointByName(o.epName);
  if (ep && !sameId(ep.HostComputeNetwork, o.networkID)) {
    hcn.deleteEndpoint(ep.ID);
    ep = undefined;
  }
  let created = false;
  if (!ep) {
    ep = hcn.createEndpoint(o.networkID, await o.build());
    created = true;
  }
  if (!created && sameId(ep.HostComputeNamespace, o.namespace)) return ep;
  try {
    hcn.modifyNamespaceEndpoint(o.namespace, ep.ID, 'Add');
  } catch (e) {
    if (!created && e instanceof WindowsCallError && e.hr === HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS)
      return ep;
    if (created) {
      try {
        hcn.deleteEndpoint(ep.ID);
      } catch {
        // the namespace error is the one to report
      }
    }
    throw e;
  }
  return created ? (hcn.getEndpointByID(ep.ID) ?? ep) : ep;
}

/**
 * HNS v1 DEL. '' netns: nothing. A shared endpoint (netns ≠ none) is only detached from the
 * container; the sandbox's own (netns none) is hot-detached and deleted. Errors are ignored.
 */
export function removeV1(hns: HnsV1, o: { epName: string; containerID: string; netns: string }): void {
  if (o.netns === '') return;
  const ep = hns.getEndpointByName(o.epName);
  if (!ep) return;
  if (o.netns !== 'none') {
    try {
      hns.detachContainer(ep.ID, o.containerID);
    } catch {
      // best effort, as the reference
    }
    return;
  }
  try {
    hns.hotDetach(ep.ID, o.containerID);
  } catch {
    // the container may be gone already
  }
  try {
    hns.deleteEndpoint(ep.ID);
  } catch {
    // best effort, as the reference
  }
}

/** HCN v2 DEL: remove the endpoint from its namespace (not-found ignored), then delete it. */
export function removeV2(hcn: HcnV2, o: { epName: string }): void {
  const ep = hcn.getEndpointByName(o.epName);
  if (!ep) return;
  if (ep.HostComputeNamespace) {
    try {
      hcn.modifyNamespaceEndpoint(ep.HostComputeNamespace, ep.ID, 'Remove');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  try {
    hcn.deleteEndpoint(ep.ID);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
