// tun/tap devices through /dev/net/tun ioctls (there is no rtnetlink way to create one),
// done inside ns.run so the device appears in that namespace.
import type { NetNS } from '@cni/ns';
import { NetlinkError } from './errors.js';
import { validateIfName } from './link.js';
import { getSys, O_CLOEXEC, O_RDWR } from './sys.js';

const TUNSETIFF = 0x400454ca;
const TUNSETPERSIST = 0x400454cb;
const TUNSETOWNER = 0x400454cc;
const TUNSETGROUP = 0x400454ce;
const IFF_TUN = 0x0001;
const IFF_TAP = 0x0002;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
const IFF_TUN_EXCL = 0x8000;
const EBUSY = 16;
const EEXIST = 17;

export interface TuntapOptions {
  name: string;
  mode: 'tap' | 'tun';
  multiQueue?: boolean;
  vnetHdr?: boolean;
  /** uid allowed to attach (default: anyone with CAP_NET_ADMIN) */
  owner?: number;
  /** gid allowed to attach */
  group?: number;
  persist: true;
}

/** Create a persistent tun/tap device `opts.name` in `ns` (default: here). */
export function tuntapCreate(ns: NetNS | undefined, opts: TuntapOptions): void {
  const op = `tuntap add ${String(opts.name)} mode ${String(opts.mode)}`;
  validateIfName(opts.name);
  if (opts.mode !== 'tap' && opts.mode !== 'tun')
    throw new NetlinkError(`${op}: invalid mode ${JSON.stringify(opts.mode)}`, 22);
  if (opts.persist !== true)
    throw new NetlinkError(`${op}: persist must be true (a non-persistent device vanishes at once)`, 22);
  for (const key of ['owner', 'group'] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xfffffffe)) {
      throw new NetlinkError(`${op}: invalid ${key} ${String(v)}`, 22);
    }
  }
  const run = (): void => create(op, opts);
  if (ns) ns.run(run);
  else run();
}

function create(op: string, opts: TuntapOptions): void {
  const s = getSys();
  const fd = s.open('/dev/net/tun', O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) throw new NetlinkError(`${op}: open /dev/net/tun`, s.errno());
  try {
    // struct ifreq: char ifr_name[16]; short ifr_flags; (padded to 40 bytes)
    const ifr = Buffer.alloc(40);
    ifr.write(opts.name, 0, 15, 'utf8');
    let flags = (opts.mode === 'tap' ? IFF_TAP : IFF_TUN) | IFF_NO_PI | IFF_TUN_EXCL;
    if (opts.multiQueue) flags |= IFF_MULTI_QUEUE;
    if (opts.vnetHdr) flags |= IFF_VNET_HDR;
    ifr.writeUInt16LE(flags, 16);
    if (s.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const errno = s.errno();
      // With IFF_TUN_EXCL the kernel says EBUSY for "a device of that name exists".
      if (errno === EBUSY) throw new NetlinkError(`${op}: device "${opts.name}" already exists`, EEXIST);
      throw new NetlinkError(op, errno);
    }
    const ioctl = (req: number, arg: number, what: string): void => {
      if (s.ioctlInt(fd, req, arg) < 0) throw new NetlinkError(`${op}: ${what}`, s.errno());
    };
    if (opts.owner !== undefined) ioctl(TUNSETOWNER, opts.owner, `owner ${opts.owner}`);
    if (opts.group !== undefined) ioctl(TUNSETGROUP, opts.group, `group ${opts.group}`);
    ioctl(TUNSETPERSIST, 1, 'persist');
  } finally {
    s.close(fd);
  }
}
