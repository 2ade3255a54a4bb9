// The configuration keys of the reference plugins (cni-reference §3), for `cnitool validate`:
// a key a plugin does not know is ignored by it (Go's JSON decoding), so a typo silently turns a
// setting off; a value of the wrong JSON type fails the plugin's ADD. Keys match
// case-insensitively, as Go's decoder does.

/** b: boolean, s: string, i: integer, u: unsigned integer, a: array, o: object. */
export type KeyType = 'b' | 's' | 'i' | 'u' | 'a' | 'o';
type Keys = Record<string, KeyType | readonly string[]>;

/** Keys every plugin configuration may carry (types.NetConf and runtime-generated ones). */
export const COMMON_KEYS = [
  'cniVersion',
  'cniVersions',
  'name',
  'type',
  'capabilities',
  'ipam',
  'dns',
  'args',
  'runtimeConfig',
  'prevResult',
];

const IPMASQ_BACKENDS = ['iptables', 'nftables'];

/** Plugin keys (besides COMMON_KEYS); an array is the list of allowed string values. */
export const PLUGIN_KEYS: Record<string, Keys> = {
  bridge: {
    bridge: 's',
    isGateway: 'b',
    isDefaultGateway: 'b',
    forceAddress: 'b',
    ipMasq: 'b',
    ipMasqBackend: IPMASQ_BACKENDS,
    mtu: 'i',
    hairpinMode: 'b',
    promiscMode: 'b',
    vlan: 'i',
    vlanTrunk: 'a',
    preserveDefaultVlan: 'b',
    macspoofchk: 'b',
    enabledad: 'b',
    disableContainerInterface: 'b',
    portIsolation: 'b',
  },
  ipvlan: { master: 's', mode: ['l2', 'l3', 'l3s'], mtu: 'i', linkInContainer: 'b' },
  macvlan: {
    master: 's',
    mode: ['bridge', 'private', 'vepa', 'passthru'],
    mtu: 'i',
    mac: 's',
    linkInContainer: 'b',
    bcqueuelen: 'u',
  },
  vlan: { master: 's', vlanId: 'i', mtu: 'i', linkInContainer: 'b' },
  ptp: { ipMasq: 'b', ipMasqBackend: IPMASQ_BACKENDS, mtu: 'i' },
  loopback: {},
  'host-device': { device: 's', hwaddr: 's', kernelpath: 's', pciBusID: 's' },
  dummy: {},
  tap: {
    multiQueue: 'b',
    mtu: 'i',
    mac: 's',
    owner: 'u',
    group: 'u',
    selinuxContext: 's',
    bridge: 's',
  },
  vrf: { vrfname: 's', table: 'u' },
  tuning: { sysctl: 'o', mac: 's', promisc: 'b', mtu: 'i', txQLen: 'i', allmulti: 'b', dataDir: 's' },
  portmap: {
    snat: 'b',
    backend: IPMASQ_BACKENDS,
    conditionsV4: 'a',
    conditionsV6: 'a',
    masqAll: 'b',
    markMasqBit: 'i',
    externalSetMarkChain: 's',
  },
  bandwidth: { ingressRate: 'u', ingressBurst: 'u', egressRate: 'u', egressBurst: 'u' },
  firewall: {
    backend: ['iptables', 'firewalld', ''],
    iptablesAdminChainName: 's',
    firewalldZone: 's',
    ingressPolicy: ['', 'open', 'same-bridge', 'isolated'],
  },
  sbr: { table: 'i', gateways: 'a', addSourceHints: 'b' },
};

/** IPAM keys (inside `ipam`, besides `type`). */
export const IPAM_KEYS: Record<string, Keys> = {
  'host-local': {
    subnet: 's',
    rangeStart: 's',
    rangeEnd: 's',
    gateway: 's',
    ranges: 'a',
    routes: 'a',
    dataDir: 's',
    resolvConf: 's',
  },
  static: { addresses: 'a', routes: 'a', dns: 'o' },
  dhcp: { daemonSocketPath: 's', provide: 'a', request: 'a', priority: 'i' },
};

const TYPE_WORDS: Record<KeyType, string> = {
  b: 'a boolean',
  s: 'a string',
  i: 'an integer',
  u: 'a non-negative integer',
  a: 'an array',
  o: 'an object',
};

function fits(t: KeyType, v: unknown): boolean {
  if (v === null) return true; // Go leaves the field at its zero value
  switch (t) {
    case 'b':
      return typeof v === 'boolean';
    case 's':
      return typeof v === 'string';
    case 'i':
      return typeof v === 'number' && Number.isInteger(v);
    case 'u':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0;
    case 'a':
      return Array.isArray(v);
    case 'o':
      return typeof v === 'object' && !Array.isArray(v);
  }
}

export interface KeyFinding {
  key: string;
  level: 'error' | 'warning';
  message: string;
}

function findKey(keys: Keys, common: readonly string[], key: string): string | undefined {
  const lower = key.toLowerCase();
  return [...Object.keys(keys), ...common].find((k) => k.toLowerCase() === lower);
}

/**
 * Check the keys of `obj` against `keys` (a plugin's or an IPAM's): unknown keys are warnings
 * (with a suggestion from `suggest`), wrong types and values are errors.
 */
export function checkKeys(
  what: string,
  obj: Record<string, unknown>,
  keys: Keys,
  common: readonly string[],
  suggest: (k: string, candidates: string[]) => string | undefined,
): KeyFinding[] {
  const out: KeyFinding[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith('cni.dev/')) continue;
    const known = findKey(keys, common, key);
    if (known === undefined) {
      const s = suggest(key, Object.keys(keys));
      out.push({
        key,
        level: 'warning',
        message: `not a key of ${what}: ignored${s ? `; did you mean "${s}"?` : ''}`,
      });
      continue;
    }
    const spec = keys[known];
    if (spec === undefined) continue; // a common key, checked elsewhere
    if (Array.isArray(spec)) {
      if (value !== null && (typeof value !== 'string' || !spec.includes(value)))
        out.push({
          key,
          level: 'error',
          message: `${what}: must be one of ${spec.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(value)}`,
        });
    } else if (!fits(spec as KeyType, value)) {
      out.push({
        key,
        level: 'error',
        message: `${what}: must be ${TYPE_WORDS[spec as KeyType]}, got ${JSON.stringify(value)}`,
      });
    }
  }
  return out;
}
