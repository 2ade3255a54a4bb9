// HNS v1 (vmcompute.dll HNSCall) and HCS hot attach, over the narrow interface.
import { getKey, goStringify } from '@cni/skel';
import type { VmcomputeRaw } from './abi.js';
import { HCS_E_SYSTEM_NOT_FOUND, HnsError, hresult, NotFoundError, WindowsCallError } from './errors.js';
import { sameId } from './guid.js';

export interface HnsSubnet {
  AddressPrefix?: string;
  GatewayAddress?: string;
}

export interface HnsNetwork {
  ID: string;
  Name: string;
  Type: string;
  Subnets?: HnsSubnet[];
  ManagementIP?: string;
  [k: string]: unknown;
}

export interface HnsEndpoint {
  ID: string;
  Name: string;
  VirtualNetwork?: string;
  MacAddress?: string;
  IPAddress?: string;
  DNSSuffix?: string;
  DNSServerList?: string;
  GatewayAddress?: string;
  SharedContainers?: string[];
  [k: string]: unknown;
}

const DSR_CACHE = new WeakMap<VmcomputeRaw, boolean>();

/** The legacy HNS v1 REST-like API. */
export class HnsV1 {
  constructor(readonly raw: VmcomputeRaw) {}

  /** One HNSCall: `{"Success","Error","Output"}` → Output, or an error. */
  request<T>(method: string, path: string, body = ''): T {
    const { hr, response } = this.raw.HNSCall(method, path, body);
    if ((hr | 0) < 0) throw new WindowsCallError('HNSCall', hr, '', `${method} ${path}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response ?? '');
    } catch {
      throw new HnsError(`unparsable response to ${method} ${path}: ${JSON.stringify(response ?? '')}`);
    }
    const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (o.Success !== true) throw new HnsError(typeof o.Error === 'string' ? o.Error : 'no error text');
    return o.Output as T;
  }

  listNetworks(): HnsNetwork[] {
    return this.request<HnsNetwork[] | null>('GET', '/networks/') ?? [];
  }

  /** Exact, case-sensitive name match, as hcsshim does client-side. */
  getNetworkByName(name: string): HnsNetwork {
    const n = this.listNetworks().find((x) => x.Name === name);
    if (!n) throw new NotFoundError(`Network ${name} not found`);
    return n;
  }

  listEndpoints(): HnsEndpoint[] {
    return this.request<HnsEndpoint[] | null>('GET', '/endpoints/') ?? [];
  }

  getEndpointByName(name: string): HnsEndpoint | undefined {
    return this.listEndpoints().find((x) => x.Name === name);
  }

  getEndpointByID(id: string): HnsEndpoint {
    return this.request<HnsEndpoint>('GET', `/endpoints/${id}`);
  }

  /** POST /endpoints/ with a compact JSON document; returns HNS's endpoint (ID, MacAddress…). */
  createEndpoint(document: string): HnsEndpoint {
    return this.request<HnsEndpoint>('POST', '/endpoints/', document);
  }

  deleteEndpoint(id: string): void {
    this.request('DELETE', `/endpoints/${id}`);
  }

  /** POST /endpoints/<id>/detach for a container sharing the sandbox's endpoint. */
  detachContainer(id: string, containerID: string): void {
    this.request(
      'POST',
      `/endpoints/${id}/detach`,
      goStringify({ ContainerId: containerID, SystemType: 'Container' }),
    );
  }

  /** GET /globals/version → {Major, Minor} */
  version(): { Major: number; Minor: number } {
    const v = this.request<Record<string, unknown>>('GET', '/globals/version');
    return { Major: Number(getKey(v, 'Major') ?? 0), Minor: Number(getKey(v, 'Minor') ?? 0) };
  }

  /** Loopback DSR needs HNS 9.3–9.x or ≥ 10.2. Asked once per process. */
  dsrSupported(): boolean {
    const cached = DSR_CACHE.get(this.raw);
    if (cached !== undefined) return cached;
    const { Major, Minor } = this.version();
    const ok = (Major === 9 && Minor >= 3) || Major > 10 || (Major === 10 && Minor >= 2);
    DSR_CACHE.set(this.raw, ok);
    return ok;
  }

  private modifyComputeSystem(containerID: string, endpointID: string, request: 'Add' | 'Remove'): void {
    const open = this.raw.HcsOpenComputeSystem(containerID);
    if ((open.hr | 0) < 0)
      throw new WindowsCallError('HcsOpenComputeSystem', open.hr, open.result ?? '', containerID);
    try {
      const body = goStringify({ ResourceType: 'Network', Settings: endpointID, RequestType: request });
      const mod = this.raw.HcsModifyComputeSystem(open.value, body);
      if ((mod.hr | 0) < 0) {
        throw new WindowsCallError(
          'HcsModifyComputeSystem',
          mod.hr,
          mod.result ?? '',
          `${request} ${endpointID}`,
        );
      }
    } finally {
      this.raw.HcsCloseComputeSystem(open.value);
    }
  }

  /** Hot-add the endpoint to compute system `containerID` unless it is already shared with it. */
  hotAttach(endpointID: string, containerID: string): void {
    const ep = this.getEndpointByID(endpointID);
    if ((ep.SharedContainers ?? []).some((c) => sameId(c, containerID))) return;
    this.modifyComputeSystem(containerID, endpointID, 'Add');
  }

  /** Hot-remove the endpoint from compute system `containerID` if it is attached. */
  hotDetach(endpointID: string, containerID: string): void {
    const ep = this.getEndpointByID(endpointID);
    if (!(ep.SharedContainers ?? []).some((c) => sameId(c, containerID))) return;
    this.modifyComputeSystem(containerID, endpointID, 'Remove');
  }
}

/** The compute system is gone (HCS_E_SYSTEM_NOT_FOUND). */
export const isSystemNotFound = (e: unknown): boolean =>
  e instanceof WindowsCallError && hresult(e.hr) === HCS_E_SYSTEM_NOT_FOUND;
