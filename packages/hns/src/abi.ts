// The narrow interface: one method per Windows C function the plugins call, with strings and
// GUID strings in and decoded strings out. Everything above it is ordinary code; the koffi
// binding (koffi.ts) and the in-memory fake (fake.ts) are its two implementations.

/** An HCN/HCS handle: opaque, pointer-sized, closed by its Close function. */
export type Handle = unknown;

/** What an HCN function gave back: the HRESULT, its output (if any) and the ErrorRecord text. */
export interface HcnReturn<T = undefined> {
  hr: number;
  value?: T;
  errorRecord?: string;
}

/** computenetwork.dll */
export interface HcnRaw {
  HcnEnumerateNetworks(query: string): HcnReturn<string>;
  HcnOpenNetwork(id: string): HcnReturn<Handle>;
  HcnQueryNetworkProperties(network: Handle, query: string): HcnReturn<string>;
  HcnCloseNetwork(network: Handle): number;
  HcnEnumerateEndpoints(query: string): HcnReturn<string>;
  HcnOpenEndpoint(id: string): HcnReturn<Handle>;
  HcnCreateEndpoint(network: Handle, id: string, settings: string): HcnReturn<Handle>;
  HcnQueryEndpointProperties(endpoint: Handle, query: string): HcnReturn<string>;
  HcnDeleteEndpoint(id: string): HcnReturn;
  HcnCloseEndpoint(endpoint: Handle): number;
  HcnEnumerateNamespaces(query: string): HcnReturn<string>;
  HcnOpenNamespace(id: string): HcnReturn<Handle>;
  HcnQueryNamespaceProperties(namespace: Handle, query: string): HcnReturn<string>;
  HcnModifyNamespace(namespace: Handle, settings: string): HcnReturn;
  HcnCloseNamespace(namespace: Handle): number;
}

/** vmcompute.dll: the legacy HNS v1 call and the HCS hot-attach functions. */
export interface VmcomputeRaw {
  /** `Response` is `{"Success","Error","Output"}` */
  HNSCall(method: string, path: string, request: string): { hr: number; response?: string };
  HcsOpenComputeSystem(id: string): { hr: number; value?: Handle; result?: string };
  HcsModifyComputeSystem(system: Handle, configuration: string): { hr: number; result?: string };
  HcsCloseComputeSystem(system: Handle): number;
}

export interface WindowsApi {
  hcn: HcnRaw;
  vmcompute: VmcomputeRaw;
}
