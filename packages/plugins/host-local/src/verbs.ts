// The host-local verbs on plain inputs (parsed stdin, container ID, ifname, CNI_ARGS).
// The whole operation runs under the store's exclusive flock, the same lock the Go
// host-local takes, so both can allocate from one directory at once.
import { formatCIDR, formatIP, type IP } from '@cni/ip';
import {
  AllocationError,
  DiskStore,
  IPAllocator,
  type Reservation,
  rangeSetContains,
  rangeSetString,
  StoreNameError,
  validateNetworkName,
  validateOwner,
} from '@cni/ipam-store';
import { CniError, ErrCode } from '@cni/skel';
import { type IPAMConfig, loadIPAMConfig, type Route } from './config.js';
import { type DNS, parseResolvConf } from './dns.js';

type Obj = Record<string, unknown>;

/** The IPAM result in the newest spec shape (the caller converts it to the config's version). */
export interface IPAMResult {
  cniVersion: string;
  ips: { address: string; gateway?: string }[];
  routes?: Route[];
  dns?: DNS;
}

export interface Attachment {
  containerID: string;
  ifname: string;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkNames(conf: IPAMConfig, containerID?: string, ifname?: string): void {
  try {
    validateNetworkName(conf.name);
    if (containerID !== undefined) validateOwner(containerID, ifname ?? '');
  } catch (err) {
    if (err instanceof StoreNameError) {
      const code =
        err.key === 'network name' ? ErrCode.InvalidNetworkConfig : ErrCode.InvalidEnvironmentVariables;
      throw new CniError(code, err.message);
    }
    throw err;
  }
}

function openStore(conf: IPAMConfig): DiskStore {
  try {
    return DiskStore.open(conf.name, conf.dataDir);
  } catch (err) {
    throw new CniError(
      ErrCode.IOFailure,
      `failed to open the host-local store ${conf.dataDir}/${conf.name}: ${errMessage(err)}`,
    );
  }
}

/** ADD: one address per range set, requested ones first; all-or-nothing. */
export function add(stdin: Obj, containerID: string, ifname: string, cniArgs: string): IPAMResult {
  const conf = loadIPAMConfig(stdin, cniArgs);
  checkNames(conf, containerID, ifname);
  const result: IPAMResult = { cniVersion: '1.1.0', ips: [] };
  if (conf.resolvConf !== '') {
    try {
      result.dns = parseResolvConf(conf.resolvConf);
    } catch (err) {
      throw new CniError(
        ErrCode.IOFailure,
        `ipam.resolvConf ${JSON.stringify(conf.resolvConf)}: ${errMessage(err)}`,
      );
    }
  }
  const store = openStore(conf);
  try {
    store.lock();
    const reserved: IP[] = [];
    const rollback = () => {
      for (const ip of reserved) store.releaseName(formatIP(ip));
    };
    const pending = [...conf.requested];
    try {
      // At most one directory scan for all range sets (only sets without a requested
      // address need it): the sets cannot overlap, and we hold the lock.
      let snapshot: Reservation[] | undefined;
      for (const [idx, set] of conf.ranges.entries()) {
        const alloc = new IPAllocator(set, store, idx);
        const at = pending.findIndex((ip) => rangeSetContains(set, ip));
        const requested = at >= 0 ? pending.splice(at, 1)[0] : undefined;
        let got: ReturnType<IPAllocator['get']>;
        try {
          got = requested
            ? alloc.get(containerID, ifname, requested)
            : alloc.get(containerID, ifname, undefined, (snapshot ??= store.reservations()));
        } catch (err) {
          if (err instanceof AllocationError)
            throw new CniError(ErrCode.Internal, `failed to allocate for range ${idx}: ${err.message}`);
          throw err;
        }
        reserved.push(got.address.ip);
        result.ips.push({ address: formatCIDR(got.address), gateway: formatIP(got.gateway) });
      }
      if (pending.length > 0) {
        throw new CniError(
          ErrCode.Internal,
          `failed to allocate all requested IPs: ${pending.map(formatIP).join(' ')}`,
        );
      }
    } catch (err) {
      rollback();
      throw err;
    }
  } finally {
    store.close();
  }
  if (conf.routes.length > 0) result.routes = conf.routes;
  return result;
}

/** DEL: release what the container+ifname holds (legacy id-only records too); idempotent. */
export function del(stdin: Obj, containerID: string, ifname: string, cniArgs: string): void {
  const conf = loadIPAMConfig(stdin, cniArgs);
  checkNames(conf, containerID, ifname);
  const store = openStore(conf);
  try {
    store.withLock(() => {
      // The reference releases once per range set, so with two or more sets a container's
      // legacy id-only records go too; one pass gives the same result.
      store.releaseOwner(containerID, ifname, conf.ranges.length > 1 ? 'always' : 'fallback');
    });
  } catch (err) {
    if (err instanceof CniError) throw err;
    throw new CniError(
      ErrCode.IOFailure,
      `failed to release addresses of ${containerID}: ${errMessage(err)}`,
    );
  } finally {
    store.close();
  }
}

/** CHECK: the container (+ifname, else legacy id) must hold an address in the store. */
export function check(stdin: Obj, containerID: string, ifname: string, cniArgs: string): void {
  const conf = loadIPAMConfig(stdin, cniArgs);
  checkNames(conf, containerID, ifname);
  const store = openStore(conf);
  let found: boolean;
  try {
    found = store.withLock(() => store.findByID(containerID, ifname));
  } finally {
    store.close();
  }
  if (!found)
    throw new CniError(
      ErrCode.Internal,
      `host-local: Failed to find address added by container ${containerID}`,
    );
}

/** The valid attachments of a GC request (`cni.dev/valid-attachments`, or the older key). */
export function validAttachments(stdin: Obj): Attachment[] {
  let key = 'cni.dev/valid-attachments';
  let list = stdin[key];
  if (list === undefined) {
    key = 'cni.dev/attachments';
    list = stdin[key];
  }
  if (list === undefined || list === null) {
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      'GC needs the list of valid attachments in "cni.dev/valid-attachments"',
    );
  }
  if (!Array.isArray(list))
    throw new CniError(
      ErrCode.InvalidNetworkConfig,
      `${key}: expected an array, got ${JSON.stringify(list)}`,
    );
  return list.map((a, i) => {
    const o = (typeof a === 'object' && a !== null ? a : {}) as Obj;
    const containerID = o.containerID;
    const ifname = o.ifname;
    if (typeof containerID !== 'string' || typeof ifname !== 'string') {
      throw new CniError(
        ErrCode.InvalidNetworkConfig,
        `${key}[${i}]: expected {"containerID": string, "ifname": string}, got ${JSON.stringify(a)}`,
      );
    }
    return { containerID, ifname };
  });
}

/** GC: release every record whose owner is not a valid attachment. */
export function gc(stdin: Obj): void {
  const valid = validAttachments(stdin);
  const conf = loadIPAMConfig(stdin, '');
  checkNames(conf);
  const store = openStore(conf);
  let failed: { name: string; error: string }[];
  try {
    ({ failed } = store.withLock(() => store.releaseUnlisted(valid)));
  } catch (err) {
    throw new CniError(ErrCode.IOFailure, `GC of ${conf.dataDir}/${conf.name} failed: ${errMessage(err)}`);
  } finally {
    store.close();
  }
  // GC keeps going past a record it cannot remove, then reports all of them.
  if (failed.length > 0) {
    throw new CniError(
      ErrCode.IOFailure,
      `GC could not release ${failed.length} reservation(s) in ${conf.dataDir}/${conf.name}`,
      failed.map((f) => `${f.name}: ${f.error}`).join('; '),
    );
  }
}

/** STATUS: code 50 when the store is unusable or a range set has no free address. */
export function status(stdin: Obj): void {
  const conf = loadIPAMConfig(stdin, '');
  checkNames(conf);
  let store: DiskStore;
  try {
    store = DiskStore.open(conf.name, conf.dataDir);
  } catch (err) {
    throw new CniError(ErrCode.PluginNotAvailable, `host-local data directory unusable: ${errMessage(err)}`);
  }
  try {
    store.withLock(() => {
      try {
        store.probeWritable();
      } catch (err) {
        throw new CniError(
          ErrCode.PluginNotAvailable,
          `host-local data directory unusable: ${errMessage(err)}`,
        );
      }
      for (const [idx, set] of conf.ranges.entries()) {
        const alloc = new IPAllocator(set, store, idx);
        if (!alloc.hasFree()) {
          throw new CniError(
            ErrCode.PluginNotAvailable,
            `no IP addresses available in range set ${idx}: ${rangeSetString(set)}`,
          );
        }
      }
    });
  } finally {
    store.close();
  }
}
