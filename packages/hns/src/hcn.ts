// HCN v2 (computenetwork.dll) over the narrow interface: enumerate/open/query/close, endpoint
// create/delete, namespace add/remove. Every handle is closed in `finally`.
import { goStringify } from '@cni/skel';
import type { Handle, HcnRaw, HcnReturn } from './abi.js';
import { failed, NotFoundError, WindowsCallError } from './errors.js';
import { NULL_GUID } from './guid.js';

export interface HcnRoute {
  NextHop?: string;
  DestinationPrefix?: string;
  Metric?: number;
}

export interface HcnNetwork {
  ID: string;
  Name: string;
  Type: string;
  Ipams?: { Type?: string; Subnets?: { IpAddressPrefix?: string; Routes?: HcnRoute[] }[] }[];
  Policies?: { Type: string; Settings?: unknown }[];
  [k: string]: unknown;
}

export interface HcnEndpoint {
  ID: string;
  Name: string;
  HostComputeNetwork?: string;
  HostComputeNamespace?: string;
  MacAddress?: string;
  IpConfigurations?: { IpAddress?: string; PrefixLength?: number }[];
  Routes?: HcnRoute[];
  Dns?: { Domain?: string; Search?: string[]; ServerList?: string[]; Options?: string[] };
  [k: string]: unknown;
}

export interface HcnNamespace {
  ID: string;
  Type?: string;
  Resources?: { Type: string; Data?: { ID?: string }; Settings?: { ID?: string } }[];
  [k: string]: unknown;
}

/** A schema 2.0 query, with an optional filter (a string holding JSON). */
export function hcnQuery(filter?: Record<string, string>): string {
  const q: Record<string, unknown> = { SchemaVersion: { Major: 2, Minor: 0 } };
  if (filter) q.Filter = goStringify(filter);
  return goStringify(q);
}

type Kind = 'Network' | 'Endpoint' | 'Namespace';

export class HcnV2 {
  constructor(readonly raw: HcnRaw) {}

  private check<T>(fn: string, r: HcnReturn<T>, context = ''): T | undefined {
    if (failed(r.hr, r.errorRecord)) throw new WindowsCallError(fn, r.hr, r.errorRecord ?? '', context);
    return r.value;
  }

  private open(kind: Kind, id: string): Handle {
    const fn = `HcnOpen${kind}` as const;
    return this.check(fn, this.raw[fn](id), id);
  }

  private close(kind: Kind, h: Handle): void {
    this.raw[`HcnClose${kind}`](h);
  }

  private query(kind: Kind, h: Handle, query: string): Record<string, unknown> {
    const fn = `HcnQuery${kind}Properties` as const;
    const text = this.check(fn, this.raw[fn](h, query)) ?? '{}';
    return JSON.parse(text) as Record<string, unknown>;
  }

  private enumerate(kind: Kind, query: string): string[] {
    const fn = `HcnEnumerate${kind}s` as const;
    const text = this.check(fn, this.raw[fn](query)) ?? '[]';
    const ids = JSON.parse(text === '' ? '[]' : text) as string[] | null;
    return ids ?? [];
  }

  /** Enumerate with `query`, then open, query and close each. */
  private list<T>(kind: Kind, query: string): T[] {
    const out: T[] = [];
    for (const id of this.enumerate(kind, query)) {
      const h = this.open(kind, id);
      try {
        out.push(this.query(kind, h, query) as T);
      } finally {
        this.close(kind, h);
      }
    }
    return out;
  }

  listNetworks(filter?: Record<string, string>): HcnNetwork[] {
    // HNS omits a NAT network's Type.
    return this.list<HcnNetwork>('Network', hcnQuery(filter)).map((n) => ({ ...n, Type: n.Type ?? 'NAT' }));
  }

  getNetworkByName(name: string): HcnNetwork {
    const n = this.listNetworks({ Name: name })[0];
    if (!n) throw new NotFoundError(`Network name ${JSON.stringify(name)} not found`);
    return n;
  }

  getEndpointByName(name: string): HcnEndpoint | undefined {
    return this.list<HcnEndpoint>('Endpoint', hcnQuery({ Name: name }))[0];
  }

  getEndpointByID(id: string): HcnEndpoint | undefined {
    return this.list<HcnEndpoint>('Endpoint', hcnQuery({ ID: id }))[0];
  }

  /** HcnCreateEndpoint on the network with a NULL GUID (HNS assigns the ID). */
  createEndpoint(networkID: string, settings: string): HcnEndpoint {
    const net = this.open('Network', networkID);
    try {
      const ep = this.check('HcnCreateEndpoint', this.raw.HcnCreateEndpoint(net, NULL_GUID, settings));
      try {
        return this.query('Endpoint', ep, hcnQuery()) as HcnEndpoint;
      } finally {
        this.close('Endpoint', ep);
      }
    } finally {
      this.close('Network', net);
    }
  }

  deleteEndpoint(id: string): void {
    this.check('HcnDeleteEndpoint', this.raw.HcnDeleteEndpoint(id), id);
  }

  getNamespaceByID(id: string): HcnNamespace | undefined {
    return this.list<HcnNamespace>('Namespace', hcnQuery({ ID: id }))[0];
  }

  /** Add or remove an endpoint in a namespace: open → HcnModifyNamespace → query → close. */
  modifyNamespaceEndpoint(namespaceID: string, endpointID: string, request: 'Add' | 'Remove'): void {
    const ns = this.open('Namespace', namespaceID);
    try {
      const body = goStringify({
        ResourceType: 'Endpoint',
        RequestType: request,
        Settings: { EndpointId: endpointID },
      });
      this.check('HcnModifyNamespace', this.raw.HcnModifyNamespace(ns, body), `${request} ${endpointID}`);
      this.query('Namespace', ns, hcnQuery());
    } finally {
      this.close('Namespace', ns);
    }
  }
}
