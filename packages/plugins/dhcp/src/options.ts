// The plugin's `ipam` keys and the DHCP options they become (cni-reference §3.13).
import { CniError, ErrCode, type Route } from '@cni/skel';
import {
  type Dhcp4Message,
  maskToPrefix,
  Opt,
  optIp,
  optIps,
  parseClasslessRoutes,
  parseStaticRoutes,
} from './packet.js';

export const DEFAULT_SOCKET_PATH = '/run/cni/dhcp.sock';

const OPTION_NAMES: Record<string, number> = {
  'dhcp-client-identifier': Opt.CLIENT_ID,
  'subnet-mask': Opt.SUBNET_MASK,
  routers: Opt.ROUTER,
  'host-name': Opt.HOST_NAME,
  'user-class': Opt.USER_CLASS,
  'vendor-class-identifier': Opt.VENDOR_CLASS,
};

export interface ProvideOption {
  option: string;
  value?: string;
  fromArg?: string;
}

export interface RequestOption {
  option?: string;
  skipDefault?: boolean;
}

export interface DhcpIpamConfig {
  daemonSocketPath: string;
  provide: ProvideOption[];
  request: RequestOption[];
  priority?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(msg: string): CniError {
  return new CniError(ErrCode.InvalidNetworkConfig, msg);
}

/** An option name (see OPTION_NAMES) or a decimal code 0–255. */
export function parseOptionName(name: string): number {
  const known = OPTION_NAMES[name];
  if (known !== undefined) return known;
  if (!/^[0-9]+$/.test(name) || Number(name) > 255)
    throw new Error(`Can not parse option ${JSON.stringify(name)}: not a known option name or a code 0-255`);
  return Number(name);
}

/** Read and validate the `ipam` section. */
export function loadIpamConfig(ipam: unknown): DhcpIpamConfig {
  if (!isObj(ipam)) throw bad('ipam: expected an object');
  const socket = ipam.daemonSocketPath ?? '';
  if (typeof socket !== 'string')
    throw bad(`ipam.daemonSocketPath: expected a string, got ${JSON.stringify(socket)}`);
  const provide: ProvideOption[] = [];
  const request: RequestOption[] = [];
  const p = ipam.provide ?? [];
  if (!Array.isArray(p)) throw bad(`ipam.provide: expected an array, got ${JSON.stringify(p)}`);
  p.forEach((o, i) => {
    if (!isObj(o)) throw bad(`ipam.provide[${i}]: expected an object, got ${JSON.stringify(o)}`);
    const { option, value, fromArg } = o;
    if (typeof option !== 'string')
      throw bad(`ipam.provide[${i}].option: expected a string, got ${JSON.stringify(option)}`);
    if (value !== undefined && typeof value !== 'string')
      throw bad(`ipam.provide[${i}].value: expected a string, got ${JSON.stringify(value)}`);
    if (fromArg !== undefined && typeof fromArg !== 'string')
      throw bad(`ipam.provide[${i}].fromArg: expected a string, got ${JSON.stringify(fromArg)}`);
    try {
      parseOptionName(option);
    } catch (err) {
      throw bad(`ipam.provide[${i}].option: ${(err as Error).message}`);
    }
    if (value !== undefined && Buffer.byteLength(value) > 255)
      throw bad(
        `ipam.provide[${i}].value: value too long for option ${JSON.stringify(option)} (more than 255 bytes)`,
      );
    provide.push({
      option,
      ...(value !== undefined ? { value } : {}),
      ...(fromArg !== undefined ? { fromArg } : {}),
    });
  });
  const r = ipam.request ?? [];
  if (!Array.isArray(r)) throw bad(`ipam.request: expected an array, got ${JSON.stringify(r)}`);
  r.forEach((o, i) => {
    if (!isObj(o)) throw bad(`ipam.request[${i}]: expected an object, got ${JSON.stringify(o)}`);
    const { option, skipDefault } = o;
    if (option !== undefined && typeof option !== 'string')
      throw bad(`ipam.request[${i}].option: expected a string, got ${JSON.stringify(option)}`);
    if (skipDefault !== undefined && typeof skipDefault !== 'boolean')
      throw bad(`ipam.request[${i}].skipDefault: expected a boolean, got ${JSON.stringify(skipDefault)}`);
    if (option)
      try {
        parseOptionName(option);
      } catch (err) {
        throw bad(`ipam.request[${i}].option: ${(err as Error).message}`);
      }
    request.push({ ...(option !== undefined ? { option } : {}), ...(skipDefault ? { skipDefault } : {}) });
  });
  const prio = ipam.priority;
  if (prio !== undefined && (typeof prio !== 'number' || !Number.isInteger(prio) || prio < 0))
    throw bad(`ipam.priority: expected a non-negative integer, got ${JSON.stringify(prio)}`);
  return {
    daemonSocketPath: socket || DEFAULT_SOCKET_PATH,
    provide,
    request,
    ...(prio !== undefined ? { priority: prio } : {}),
  };
}

function cniArgsMap(cniArgs: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const pair of cniArgs.split(';')) {
    const i = pair.indexOf('=');
    if (i > 0) m.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return m;
}

/**
 * The options the client sends: provided values (config, then CNI_ARGS) and the parameter
 * request list (router and subnet mask unless a request has `skipDefault`). Later entries
 * for the same code replace earlier ones, as the reference's Options.Update.
 */
export function prepareOptions(
  cniArgs: string,
  provide: ProvideOption[],
  request: RequestOption[],
): Map<number, Buffer> {
  const args = cniArgsMap(cniArgs);
  const opts = new Map<number, Buffer>();
  for (const p of provide) {
    const code = parseOptionName(p.option);
    if (p.value) opts.set(code, Buffer.from(p.value));
    if (p.fromArg !== undefined) {
      const v = args.get(p.fromArg);
      if (v !== undefined) {
        if (Buffer.byteLength(v) > 255)
          throw new Error(
            `value too long for option ${JSON.stringify(p.option)} from CNI_ARGS ${JSON.stringify(p.fromArg)}`,
          );
        opts.set(code, Buffer.from(v));
      }
    }
  }
  const prl: number[] = [];
  let skipDefault = false;
  for (const r of request) {
    if (r.skipDefault) skipDefault = true;
    if (!r.option) continue;
    const code = parseOptionName(r.option);
    if (!prl.includes(code)) prl.push(code);
  }
  if (!skipDefault) for (const c of [Opt.ROUTER, Opt.SUBNET_MASK]) if (!prl.includes(c)) prl.push(c);
  if (prl.length > 0) opts.set(Opt.PARAM_REQUEST_LIST, Buffer.from(prl));
  return opts;
}

/** The client identifier: `<containerID>/<network>/<ifname>`, at most 254 bytes. */
export function clientIdFor(containerID: string, network: string, ifName: string): string {
  const id = Buffer.from(`${containerID}/${network}/${ifName}`);
  return id.subarray(0, 254).toString('utf8');
}

export interface LeaseResult {
  ips: { address: string; gateway?: string }[];
  routes: Route[];
}

/** The IPAM result of an ACK: yiaddr/option 1, gateway option 3, routes 121 else 33 + default. */
export function resultFromAck(ack: Dhcp4Message): LeaseResult {
  const mask = optIp(ack, Opt.SUBNET_MASK);
  if (!mask) throw new Error('DHCP option Subnet Mask not found in DHCPACK');
  const prefix = maskToPrefix(mask);
  if (prefix === undefined) throw new Error(`DHCP option Subnet Mask ${mask} is not a valid netmask`);
  const gw = optIps(ack, Opt.ROUTER)[0];
  const ip: { address: string; gateway?: string } = { address: `${ack.yiaddr}/${prefix}` };
  if (gw) ip.gateway = gw;
  const routes: Route[] = [];
  const classless = ack.options.get(Opt.CLASSLESS_ROUTES);
  const parsed121 = classless && classless.length > 0 ? parseClasslessRoutes(classless) : [];
  if (parsed121.length > 0) {
    for (const r of parsed121) {
      if (r.router === '0.0.0.0') routes.push({ dst: r.dst, scope: 253 });
      else routes.push({ dst: r.dst, gw: r.router });
    }
  } else {
    const st = ack.options.get(Opt.STATIC_ROUTES);
    if (st) for (const r of parseStaticRoutes(st)) routes.push({ dst: r.dst, gw: r.router });
    if (gw) routes.push({ dst: '0.0.0.0/0', gw });
  }
  return { ips: [ip], routes };
}
