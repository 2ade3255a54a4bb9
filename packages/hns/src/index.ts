// @cni/hns: the Windows Host Network Service for CNI plugins. Policy building, endpoint
// documents and lookups, errors and results are plain TypeScript over one narrow interface
// (abi.ts): the raw computenetwork.dll / vmcompute.dll functions, bound through koffi on Windows.
export type { Handle, HcnRaw, HcnReturn, VmcomputeRaw, WindowsApi } from './abi.js';
export {
  type BuildEndpoint,
  bridgeGateway,
  checkMacPrefix,
  checkNamespaceID,
  type EndpointSpec,
  endpointName,
  hcnResult,
  hnsResult,
  overlayMac,
  provisionV1,
  provisionV2,
  removeV1,
  removeV2,
  sandboxID,
  v1EndpointDocument,
  v2EndpointDocument,
} from './endpoint.js';
export {
  ERROR_NOT_FOUND,
  failed,
  HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS,
  HCN_E_ENDPOINT_NOT_FOUND,
  HCN_E_NETWORK_NOT_FOUND,
  HCN_E_PORT_ALREADY_EXISTS,
  HCS_E_SYSTEM_NOT_FOUND,
  HnsError,
  hresult,
  hresultHex,
  isNotFound,
  NotFoundError,
  WindowsCallError,
  win32Code,
} from './errors.js';
export { type FakeCall, type FakeNetwork, FakeWindows } from './fake.js';
export {
  guidFromBytes,
  guidFromStruct,
  type GuidStruct,
  guidToBytes,
  guidToStruct,
  isGuid,
  NULL_GUID,
  sameId,
} from './guid.js';
export {
  type HcnEndpoint,
  type HcnNamespace,
  type HcnNetwork,
  type HcnRoute,
  HcnV2,
  hcnQuery,
} from './hcn.js';
export { type HnsEndpoint, type HnsNetwork, type HnsSubnet, HnsV1, isSystemNotFound } from './hns.js';
export { formatIP, maskIP, parseCIDR, parseIP, to4 } from './ip.js';
export { execIpam, type IpamDelegate, IpamSession } from './ipam.js';
export {
  bindWindowsApi,
  declarePrototypes,
  declareTypes,
  type DllName,
  loadKoffi,
  loadWindowsApi,
  type NativeFunctions,
  PROTOTYPES,
  prototypeName,
} from './koffi.js';
export { type Policy, type PortMapEntry, parseWindowsNetConf, type WindowsNetConf } from './netconf.js';
export {
  type ApiVersion,
  applyDefaultPA,
  applyLoopbackDSR,
  applyOutboundNat,
  applyPortMappings,
  type HcnPolicy,
  hcnEndpointPolicies,
  hnsEndpointPolicies,
  protocolNumber,
} from './policy.js';
export { fromWide, toWide } from './utf16.js';
