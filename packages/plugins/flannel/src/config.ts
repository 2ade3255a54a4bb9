// The flannel plugin's own configuration (flannel.md §2): the common CNI keys plus
// subnetFile, dataDir, delegate, ipam and runtimeConfig.
import { getKey, goStringify } from '@cni/skel';

export const DEFAULT_SUBNET_FILE = '/run/flannel/subnet.env';
export const DEFAULT_DATA_DIR = '/var/lib/cni/flannel';

export type JSONObject = Record<string, unknown>;

/** One entry of `cni.dev/valid-attachments` (GC). */
export interface Attachment {
  containerID: string;
  ifname: string;
}

export interface FlannelConf {
  /** '' when not given */
  cniVersion: string;
  name: string;
  /** default /run/flannel/subnet.env (JSON null keeps it; '' does not) */
  subnetFile: string;
  /** default /var/lib/cni/flannel (JSON null keeps it; '' does not) */
  dataDir: string;
  /** undefined when absent or null */
  delegate?: JSONObject;
  ipam?: JSONObject;
  runtimeConfig?: JSONObject;
  /** GC only: `cni.dev/valid-attachments` */
  validAttachments?: Attachment[];
  raw: JSONObject;
}

const isObject = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const jsonType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;

/** The error for a key of the wrong JSON type: names the key and the value. */
const wrongType = (key: string, want: string, v: unknown) =>
  new Error(
    `failed to load netconf: key ${JSON.stringify(key)} must be ${want}, got ${jsonType(v)} ${goStringify(v)}`,
  );

function optString(o: JSONObject, key: string, path = key): string | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(path, 'a string', v);
  return v;
}

function optObject(o: JSONObject, key: string, path = key): JSONObject | undefined {
  const v = getKey(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw wrongType(path, 'an object', v);
  return v;
}

function optStringList(o: JSONObject, key: string, path: string): void {
  const v = getKey(o, key);
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw wrongType(path, 'an array of strings', v);
}

/**
 * Parse stdin like the Go plugin's loadFlannelNetConf: JSON into the NetConf struct with the
 * defaults for subnetFile and dataDir. Errors start with `failed to load netconf: `.
 */
export function loadFlannelConf(stdin: Buffer | string): FlannelConf {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = text.trim() === '' ? 'unexpected end of JSON input' : (e as Error).message;
    throw new Error(`failed to load netconf: ${why}`);
  }
  if (!isObject(parsed)) {
    throw new Error(
      `failed to load netconf: the configuration must be a JSON object, got ${jsonType(parsed)}`,
    );
  }
  const raw = parsed;
  const conf: FlannelConf = {
    cniVersion: optString(raw, 'cniVersion') ?? '',
    name: optString(raw, 'name') ?? '',
    subnetFile: optString(raw, 'subnetFile') ?? DEFAULT_SUBNET_FILE,
    dataDir: optString(raw, 'dataDir') ?? DEFAULT_DATA_DIR,
    raw,
  };
  optString(raw, 'type');
  // The embedded types.NetConf fields flannel decodes but does not forward.
  const caps = optObject(raw, 'capabilities');
  for (const [k, v] of Object.entries(caps ?? {})) {
    if (typeof v !== 'boolean') throw wrongType(`capabilities.${k}`, 'a boolean', v);
  }
  const dns = optObject(raw, 'dns');
  if (dns) {
    optStringList(dns, 'nameservers', 'dns.nameservers');
    optString(dns, 'domain', 'dns.domain');
    optStringList(dns, 'search', 'dns.search');
    optStringList(dns, 'options', 'dns.options');
  }
  optObject(raw, 'prevResult');
  const delegate = optObject(raw, 'delegate');
  if (delegate) conf.delegate = delegate;
  const ipam = optObject(raw, 'ipam');
  if (ipam) conf.ipam = ipam;
  const rc = optObject(raw, 'runtimeConfig');
  if (rc) conf.runtimeConfig = rc;
  const va = getKey(raw, 'cni.dev/valid-attachments');
  if (va !== undefined && va !== null) {
    if (!Array.isArray(va)) throw wrongType('cni.dev/valid-attachments', 'an array', va);
    conf.validAttachments = va.map((a, i) => {
      const path = `cni.dev/valid-attachments[${i}]`;
      if (!isObject(a)) throw wrongType(path, 'an object', a);
      return {
        containerID: optString(a, 'containerID', `${path}.containerID`) ?? '',
        ifname: optString(a, 'ifname', `${path}.ifname`) ?? '',
      };
    });
  }
  return conf;
}
