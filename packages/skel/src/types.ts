/** An interface in a result (1.1.0 fields; older versions carry a subset). */
export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

/** An address in a result. `interface` indexes `interfaces`. */
export interface IPConfig {
  interface?: number;
  /** host address with prefix, e.g. `10.1.0.5/24` */
  address: string;
  gateway?: string;
}

/** A route. `table` and `scope` are kept when 0 (Go pointers); the others are omitted when 0. */
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/**
 * The one internal result shape (1.1.0 fields). `cniVersion` is the version it was parsed
 * from or produced for; convert it to any version at the edges with convertResult/formatResult.
 */
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}
