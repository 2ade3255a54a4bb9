// An in-memory fake of the Windows DLL boundary (abi.ts): HNS networks, endpoints, namespaces
// and compute systems, with every call recorded and every handle tracked. It fakes only the
// raw functions; everything above them is the real code under test.
import type { Handle, HcnRaw, HcnReturn, VmcomputeRaw, WindowsApi } from './abi.js';
import {
  ERROR_NOT_FOUND,
  HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS,
  HCS_E_SYSTEM_NOT_FOUND,
} from './errors.js';
import { sameId } from './guid.js';

export interface FakeNetwork {
  ID: string;
  Name: string;
  /** v1 and v2 type, e.g. L2Bridge, Overlay */
  Type: string;
  /** e.g. 10.244.1.0/24 */
  AddressPrefix: string;
  GatewayAddress: string;
  ManagementIP?: string;
}

export interface FakeCall {
  fn: string;
  args: unknown[];
}

const HR_NOT_FOUND = 0x80070000 | ERROR_NOT_FOUND | 0;
const ok = <T>(value?: T): HcnReturn<T> => (value === undefined ? { hr: 0 } : { hr: 0, value });
const notFound = (what: string): HcnReturn<never> => ({
  hr: HR_NOT_FOUND,
  errorRecord: JSON.stringify({ Error: `${what} not found` }),
});

export class FakeWindows implements WindowsApi {
  readonly networks: FakeNetwork[] = [];
  /** endpoints by ID, as HNS stores them (v1 and v2 fields) */
  readonly endpoints = new Map<string, Record<string, unknown>>();
  /** namespace ID → endpoint IDs */
  readonly namespaces = new Map<string, string[]>();
  /** compute system ID → attached endpoint IDs */
  readonly computeSystems = new Map<string, string[]>();
  readonly calls: FakeCall[] = [];
  readonly openHandles = new Set<object>();
  hnsVersion = { Major: 10, Minor: 2 };
  /** make the next call of this function fail with this HRESULT */
  failNext = new Map<string, number>();
  private seq = 0;

  private id(): string {
    this.seq++;
    return `e0000000-0000-4000-8000-${this.seq.toString(16).padStart(12, '0')}`;
  }

  private record(fn: string, args: unknown[]): number | undefined {
    this.calls.push({ fn, args });
    const hr = this.failNext.get(fn);
    if (hr !== undefined) this.failNext.delete(fn);
    return hr;
  }

  private handle(kind: string, id: string): Handle {
    const h = { kind, id };
    this.openHandles.add(h);
    return h;
  }

  private closeHandle(h: Handle): number {
    this.openHandles.delete(h as object);
    return 0;
  }

  private target(h: Handle): string {
    if (!this.openHandles.has(h as object)) throw new Error('fake HNS: use of a closed or unknown handle');
    return (h as { id: string }).id;
  }

  addNetwork(n: FakeNetwork): void {
    this.networks.push(n);
  }

  addNamespace(id: string): void {
    this.namespaces.set(id.toLowerCase(), []);
  }

  addComputeSystem(id: string): void {
    this.computeSystems.set(id, []);
  }

  /** Calls of one function, in order. */
  callsOf(fn: string): FakeCall[] {
    return this.calls.filter((c) => c.fn === fn);
  }

  // --- v1 views

  private v1Network(n: FakeNetwork) {
    return {
      ID: n.ID,
      Name: n.Name,
      Type: n.Type,
      Subnets: [{ AddressPrefix: n.AddressPrefix, GatewayAddress: n.GatewayAddress }],
      ...(n.ManagementIP ? { ManagementIP: n.ManagementIP } : {}),
    };
  }

  private v1Endpoint(e: Record<string, unknown>) {
    const shared = [...this.computeSystems.entries()]
      .filter(([, eps]) => eps.includes(e.ID as string))
      .map(([c]) => c);
    return { ...e, SharedContainers: shared };
  }

  // --- v2 views

  private v2Network(n: FakeNetwork) {
    const v4 = !n.AddressPrefix.includes(':');
    return {
      ID: n.ID,
      Name: n.Name,
      Type: n.Type,
      Ipams: [
        {
          Type: 'Static',
          Subnets: [
            {
              IpAddressPrefix: n.AddressPrefix,
              Routes: [{ NextHop: n.GatewayAddress, DestinationPrefix: v4 ? '0.0.0.0/0' : '::/0' }],
            },
          ],
        },
      ],
      ...(n.ManagementIP
        ? { Policies: [{ Type: 'ProviderAddress', Settings: { ProviderAddress: n.ManagementIP } }] }
        : {}),
    };
  }

  private filterOf(query: string): Record<string, string> {
    const q = JSON.parse(query) as { Filter?: string };
    return q.Filter ? (JSON.parse(q.Filter) as Record<string, string>) : {};
  }

  private matches(o: Record<string, unknown>, f: Record<string, string>): boolean {
    if (f.Name !== undefined && o.Name !== f.Name) return false;
    if (f.ID !== undefined && !sameId(o.ID as string, f.ID)) return false;
    return true;
  }

  /** HNS assigns an address from the network's subnet when the document has none. */
  private assignIP(networkID: string): string {
    const n = this.networks.find((x) => sameId(x.ID, networkID));
    const base = (n?.AddressPrefix ?? '0.0.0.0/0').split('/')[0] as string;
    return `${base.split('.').slice(0, 3).join('.')}.${100 + this.seq}`;
  }

  private mac(): string {
    return `00-15-5D-00-00-${this.seq.toString(16).padStart(2, '0').toUpperCase()}`;
  }

  readonly hcn: HcnRaw = {
    HcnEnumerateNetworks: (q) => {
      const fail = this.record('HcnEnumerateNetworks', [q]);
      if (fail !== undefined) return { hr: fail };
      const f = this.filterOf(q);
      return ok(JSON.stringify(this.networks.filter((n) => this.matches(n as never, f)).map((n) => n.ID)));
    },
    HcnOpenNetwork: (id) => {
      this.record('HcnOpenNetwork', [id]);
      return this.networks.some((n) => sameId(n.ID, id))
        ? ok(this.handle('network', id))
        : notFound('network');
    },
    HcnQueryNetworkProperties: (h, q) => {
      this.record('HcnQueryNetworkProperties', [h, q]);
      const n = this.networks.find((x) => sameId(x.ID, this.target(h)));
      return n ? ok(JSON.stringify(this.v2Network(n))) : notFound('network');
    },
    HcnCloseNetwork: (h) => {
      this.record('HcnCloseNetwork', [h]);
      return this.closeHandle(h);
    },
    HcnEnumerateEndpoints: (q) => {
      this.record('HcnEnumerateEndpoints', [q]);
      const f = this.filterOf(q);
      return ok(
        JSON.stringify([...this.endpoints.values()].filter((e) => this.matches(e, f)).map((e) => e.ID)),
      );
    },
    HcnOpenEndpoint: (id) => {
      this.record('HcnOpenEndpoint', [id]);
      return this.findEndpoint(id) ? ok(this.handle('endpoint', id)) : notFound('endpoint');
    },
    HcnCreateEndpoint: (net, id, settings) => {
      const fail = this.record('HcnCreateEndpoint', [net, id, settings]);
      if (fail !== undefined) return { hr: fail, errorRecord: '{"Error":"injected"}' };
      const networkID = this.target(net);
      const doc = JSON.parse(settings) as Record<string, unknown>;
      const epID = this.id();
      const ipc = doc.IpConfigurations as { IpAddress?: string }[] | undefined;
      this.endpoints.set(epID, {
        ...doc,
        IpConfigurations: ipc?.[0]?.IpAddress ? ipc : [{ IpAddress: this.assignIP(networkID) }],
        ID: epID,
        HostComputeNetwork: networkID,
        MacAddress: (doc.MacAddress as string | undefined) ?? this.mac(),
      });
      return ok(this.handle('endpoint', epID));
    },
    HcnQueryEndpointProperties: (h, q) => {
      this.record('HcnQueryEndpointProperties', [h, q]);
      const e = this.findEndpoint(this.target(h));
      return e ? ok(JSON.stringify(e)) : notFound('endpoint');
    },
    HcnDeleteEndpoint: (id) => {
      const fail = this.record('HcnDeleteEndpoint', [id]);
      if (fail !== undefined) return { hr: fail };
      const e = this.findEndpoint(id);
      if (!e) return notFound('endpoint');
      this.endpoints.delete(e.ID as string);
      return ok();
    },
    HcnCloseEndpoint: (h) => {
      this.record('HcnCloseEndpoint', [h]);
      return this.closeHandle(h);
    },
    HcnEnumerateNamespaces: (q) => {
      this.record('HcnEnumerateNamespaces', [q]);
      const f = this.filterOf(q);
      return ok(JSON.stringify([...this.namespaces.keys()].filter((id) => !f.ID || sameId(id, f.ID))));
    },
    HcnOpenNamespace: (id) => {
      this.record('HcnOpenNamespace', [id]);
      return this.namespaces.has(id.toLowerCase())
        ? ok(this.handle('namespace', id.toLowerCase()))
        : notFound('namespace');
    },
    HcnQueryNamespaceProperties: (h, q) => {
      this.record('HcnQueryNamespaceProperties', [h, q]);
      const id = this.target(h);
      const eps = this.namespaces.get(id) ?? [];
      return ok(
        JSON.stringify({
          ID: id,
          Type: 'Host',
          Resources: eps.map((e) => ({ Type: 'Endpoint', Data: { ID: e } })),
        }),
      );
    },
    HcnModifyNamespace: (h, settings) => {
      const fail = this.record('HcnModifyNamespace', [h, settings]);
      if (fail !== undefined) return { hr: fail, errorRecord: '{"Error":"injected"}' };
      const id = this.target(h);
      const s = JSON.parse(settings) as { RequestType: string; Settings: { EndpointId: string } };
      const eps = this.namespaces.get(id) ?? [];
      const ep = this.findEndpoint(s.Settings.EndpointId);
      if (!ep) return notFound('endpoint');
      if (s.RequestType === 'Add') {
        if (eps.includes(ep.ID as string)) return { hr: HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS | 0 };
        eps.push(ep.ID as string);
        ep.HostComputeNamespace = id;
      } else {
        if (!eps.includes(ep.ID as string)) return notFound('endpoint in namespace');
        eps.splice(eps.indexOf(ep.ID as string), 1);
        delete ep.HostComputeNamespace;
      }
      this.namespaces.set(id, eps);
      return ok();
    },
    HcnCloseNamespace: (h) => {
      this.record('HcnCloseNamespace', [h]);
      return this.closeHandle(h);
    },
  };

  private findEndpoint(id: string): Record<string, unknown> | undefined {
    return [...this.endpoints.values()].find((e) => sameId(e.ID as string, id));
  }

  private hns(success: boolean, output?: unknown, error?: string): { hr: number; response: string } {
    return {
      hr: 0,
      response: JSON.stringify(
        success ? { Success: true, Output: output ?? null } : { Success: false, Error: error },
      ),
    };
  }

  readonly vmcompute: VmcomputeRaw = {
    HNSCall: (method, path, request) => {
      const fail = this.record('HNSCall', [method, path, request]);
      if (fail !== undefined) return { hr: fail };
      const m = /^\/endpoints\/([^/]+)(?:\/(attach|detach))?$/.exec(path);
      if (method === 'GET' && path === '/networks/')
        return this.hns(
          true,
          this.networks.map((n) => this.v1Network(n)),
        );
      if (method === 'GET' && path === '/globals/version') return this.hns(true, this.hnsVersion);
      if (method === 'GET' && path === '/endpoints/') {
        return this.hns(
          true,
          [...this.endpoints.values()].map((e) => this.v1Endpoint(e)),
        );
      }
      if (method === 'POST' && path === '/endpoints/') {
        const doc = JSON.parse(request) as Record<string, unknown>;
        if (!this.networks.some((n) => sameId(n.ID, doc.VirtualNetwork as string))) {
          return this.hns(false, undefined, 'Network not found');
        }
        const id = this.id();
        const ip = (doc.IPAddress as string | undefined) ?? this.assignIP(doc.VirtualNetwork as string);
        const ep = {
          ...doc,
          IPAddress: ip,
          ID: id,
          MacAddress: (doc.MacAddress as string | undefined) ?? this.mac(),
        };
        this.endpoints.set(id, ep);
        return this.hns(true, this.v1Endpoint(ep));
      }
      if (m) {
        const ep = this.findEndpoint(m[1] as string);
        if (!ep) return this.hns(false, undefined, 'Endpoint not found');
        if (method === 'GET' && !m[2]) return this.hns(true, this.v1Endpoint(ep));
        if (method === 'DELETE' && !m[2]) {
          this.endpoints.delete(ep.ID as string);
          for (const eps of this.computeSystems.values())
            if (eps.includes(ep.ID as string)) eps.splice(eps.indexOf(ep.ID as string), 1);
          return this.hns(true, ep);
        }
        if (method === 'POST' && m[2] === 'detach') {
          const { ContainerId } = JSON.parse(request) as { ContainerId: string };
          const eps = this.computeSystems.get(ContainerId);
          if (eps?.includes(ep.ID as string)) eps.splice(eps.indexOf(ep.ID as string), 1);
          return this.hns(true, null);
        }
      }
      return this.hns(false, undefined, `fake HNS: unsupported ${method} ${path}`);
    },
    HcsOpenComputeSystem: (id) => {
      this.record('HcsOpenComputeSystem', [id]);
      if (!this.computeSystems.has(id)) return { hr: HCS_E_SYSTEM_NOT_FOUND | 0 };
      return { hr: 0, value: this.handle('system', id) };
    },
    HcsModifyComputeSystem: (h, config) => {
      const fail = this.record('HcsModifyComputeSystem', [h, config]);
      if (fail !== undefined) return { hr: fail };
      const c = JSON.parse(config) as { Settings: string; RequestType: string };
      const eps = this.computeSystems.get(this.target(h)) ?? [];
      if (c.RequestType === 'Add') eps.push(c.Settings);
      else if (eps.includes(c.Settings)) eps.splice(eps.indexOf(c.Settings), 1);
      return { hr: 0 };
    },
    HcsCloseComputeSystem: (h) => {
      this.record('HcsCloseComputeSystem', [h]);
      return this.closeHandle(h);
    },
  };
}
