// Endpoint policies: the user's `policies` plus the ones the plugins add (OutBoundNAT
// exceptions, loopback DSR, provider address, port mappings), for HNS v1 and HCN v2.
// Each helper appends a new entry and skips when an entry of exactly that Type already holds
// the value (windows.md §1.3).
import { CniError, ErrCode, getKey } from '@cni/skel';
import type { Policy, PortMapEntry } from './netconf.js';

export type ApiVersion = 1 | 2;

/** An HCN v2 endpoint policy as hcsshim marshals it. */
export interface HcnPolicy {
  Type: string;
  Settings?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isEndpointPolicy = (p: Policy): boolean => p.name.toLowerCase() === 'endpointpolicy';

/** v2 reads a policy the way Go's json does: `Type`/`Settings` in any case. */
function v2View(value: unknown): HcnPolicy | undefined {
  if (!isObject(value)) return undefined;
  const t = getKey(value, 'Type');
  if (typeof t !== 'string') return undefined;
  const settings = getKey(value, 'Settings');
  return settings === undefined ? { Type: t } : { Type: t, Settings: settings };
}

/** The values of the field that holds `value` in policies of type `type`. */
function holds(
  policies: readonly Policy[],
  api: ApiVersion,
  types: readonly string[],
  field: { v1: string; v2: string },
  value: string,
): boolean {
  for (const p of policies) {
    if (!isEndpointPolicy(p)) continue;
    let t: unknown;
    let v: unknown;
    if (api === 2) {
      const view = v2View(p.value);
      if (!view) continue;
      t = view.Type;
      v = isObject(view.Settings) ? getKey(view.Settings, field.v2) : undefined;
    } else {
      if (!isObject(p.value)) continue;
      t = p.value.Type;
      v = p.value[field.v1];
    }
    if (typeof t !== 'string' || !types.includes(t)) continue;
    if (v === value || (Array.isArray(v) && v.includes(value))) return true;
  }
  return false;
}

const add = (policies: Policy[], value: unknown) => policies.push({ name: 'EndpointPolicy', value });

/** OutBoundNAT with an exception for `cidr` (no-op for '' or when already excepted). */
export function applyOutboundNat(policies: Policy[], api: ApiVersion, cidr: string): void {
  if (cidr === '') return;
  if (holds(policies, api, ['OutBoundNAT'], { v1: 'ExceptionList', v2: 'Exceptions' }, cidr)) return;
  add(
    policies,
    api === 2
      ? { Type: 'OutBoundNAT', Settings: { Exceptions: [cidr] } }
      : { Type: 'OutBoundNAT', ExceptionList: [cidr] },
  );
}

/** OutBoundNAT with `Destinations: [ip]` for loopback DSR (no-op without an IP or DSR support). */
export function applyLoopbackDSR(
  policies: Policy[],
  api: ApiVersion,
  ip: string,
  dsrSupported: boolean,
): void {
  if (!dsrSupported || ip === '') return;
  if (holds(policies, api, ['OutBoundNAT'], { v1: 'Destinations', v2: 'Destinations' }, ip)) return;
  add(
    policies,
    api === 2
      ? { Type: 'OutBoundNAT', Settings: { Destinations: [ip] } }
      : { Type: 'OutBoundNAT', Destinations: [ip] },
  );
}

/** The provider address (PA) policy (no-op for '' or when already present in either form). */
export function applyDefaultPA(policies: Policy[], api: ApiVersion, address: string): void {
  if (address === '') return;
  if (holds(policies, api, ['PA', 'ProviderAddress'], { v1: 'PA', v2: 'ProviderAddress' }, address)) return;
  add(
    policies,
    api === 2
      ? { Type: 'ProviderAddress', Settings: { ProviderAddress: address } }
      : { Type: 'PA', PA: address },
  );
}

const PROTOCOLS: Record<string, number> = { icmpv4: 1, igmp: 2, tcp: 6, udp: 17, icmpv6: 58 };

/** Go's strconv.ParseUint(s, 0, 10): decimal, 0x…, 0o…, 0b…, leading-0 octal; at most 1023. */
function parseProtocolNumber(s: string): number | undefined {
  let m: RegExpExecArray | null;
  let n: number;
  if ((m = /^0[xX]([0-9a-fA-F]+)$/.exec(s))) n = Number.parseInt(m[1] as string, 16);
  else if ((m = /^0[bB]([01]+)$/.exec(s))) n = Number.parseInt(m[1] as string, 2);
  else if ((m = /^0[oO]?([0-7]+)$/.exec(s))) n = Number.parseInt(m[1] as string, 8);
  else if (/^(0|[1-9][0-9]*)$/.test(s)) n = Number(s);
  else return undefined;
  return n <= 1023 ? n : undefined;
}

/** The IP protocol number of a port mapping's protocol (a name or a number). */
export function protocolNumber(protocol: string): number | undefined {
  return parseProtocolNumber(protocol) ?? PROTOCOLS[protocol.toLowerCase()];
}

/**
 * One NAT (v1) / PortMapping (v2) policy per mapping. A protocol HNS cannot map (e.g. sctp) is
 * an error naming the mapping, where the Go plugin silently drops it.
 */
export function applyPortMappings(policies: Policy[], api: ApiVersion, maps: readonly PortMapEntry[]): void {
  maps.forEach((m, i) => {
    const proto = protocolNumber(m.protocol);
    if (proto === undefined) {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `invalid runtimeConfig.portMappings[${i}].protocol ${JSON.stringify(m.protocol)}: HNS port mappings take tcp, udp, icmpv4, igmp, icmpv6 or an IP protocol number 0-1023`,
      );
    }
    add(
      policies,
      api === 2
        ? {
            Type: 'PortMapping',
            Settings: {
              InternalPort: m.containerPort,
              ExternalPort: m.hostPort,
              Protocol: proto,
              VIP: m.hostIP,
            },
          }
        : { Type: 'NAT', InternalPort: m.containerPort, ExternalPort: m.hostPort, Protocol: m.protocol },
    );
  });
}

/** The v1 `Policies` of an endpoint: EndpointPolicy values, verbatim. */
export function hnsEndpointPolicies(policies: readonly Policy[]): unknown[] {
  return policies.filter(isEndpointPolicy).map((p) => p.value);
}

/** The v2 `Policies`: EndpointPolicy values reparsed to {Type, Settings}; others are dropped. */
export function hcnEndpointPolicies(policies: readonly Policy[]): HcnPolicy[] {
  const out: HcnPolicy[] = [];
  for (const p of policies) {
    if (!isEndpointPolicy(p)) continue;
    const v = v2View(p.value);
    if (v) out.push(v);
  }
  return out;
}
