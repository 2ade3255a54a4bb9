// One DHCPv4 exchange at a time over a packet socket made inside the container's namespace.
// The socket is opened for an exchange and closed after it, so nothing stays in the
// namespace between exchanges (and none at all once a lease ends).
import { randomInt } from 'node:crypto';
import { Netlink } from '@cni/netlink';
import { NetNS } from '@cni/ns';
import {
  BOOTREPLY,
  buildIpUdp,
  type Dhcp4Message,
  decodeMessage,
  encodeMessage,
  MsgType,
  msgType,
  Opt,
  parseIpUdp,
} from './packet.js';
import {
  discoverMessage,
  type Identity,
  releaseMessage,
  renewingRequest,
  selectingRequest,
} from './messages.js';
import { PacketSocket } from './rawsock.js';

export const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const POLL_MS = 15;

export class DhcpError extends Error {}
export class LinkGoneError extends DhcpError {}
/** The server refused the request (DHCPNAK). */
export class NakError extends DhcpError {}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, Math.min(ms, 2 ** 31 - 1)),
    );
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface LinkInfo {
  index: number;
  mac: string;
  up: boolean;
}

/** Look the link up inside the namespace; undefined when the namespace or the link is gone. */
export function lookupLink(netnsPath: string, ifName: string, bringUp = false): LinkInfo | undefined {
  let ns: NetNS;
  try {
    ns = NetNS.open(netnsPath);
  } catch {
    return undefined;
  }
  try {
    return ns.run(() => {
      const nl = Netlink.open();
      try {
        let link: { index: number; mac: string; up: boolean };
        try {
          link = nl.linkByName(ifName);
        } catch {
          return undefined;
        }
        if (bringUp && !link.up) {
          nl.linkSetUp(link.index);
          link = nl.linkByName(ifName);
        }
        return { index: link.index, mac: link.mac, up: link.up };
      } finally {
        nl.close();
      }
    });
  } finally {
    ns.close();
  }
}

export function setLinkDown(netnsPath: string, ifName: string): void {
  const ns = NetNS.open(netnsPath);
  try {
    ns.run(() => {
      const nl = Netlink.open();
      try {
        nl.linkSetDown(nl.linkByName(ifName).index);
      } finally {
        nl.close();
      }
    });
  } finally {
    ns.close();
  }
}

export interface ClientParams {
  netns: string;
  ifName: string;
  clientID: string;
  /** provided options and the parameter request list */
  options: Map<number, Buffer>;
  /** per exchange (ms) */
  timeoutMs: number;
  broadcast: boolean;
}

/** A client bound to one interface for one exchange sequence. */
export class Client {
  readonly link: LinkInfo;
  #sock: PacketSocket;
  #p: ClientParams;

  private constructor(p: ClientParams, link: LinkInfo, sock: PacketSocket) {
    this.#p = p;
    this.link = link;
    this.#sock = sock;
  }

  /** Open the socket inside the namespace (bringing the link up if asked). */
  static open(p: ClientParams, bringUp: boolean): Client {
    let ns: NetNS;
    try {
      ns = NetNS.open(p.netns);
    } catch (err) {
      throw new LinkGoneError(`netns ${p.netns}: ${(err as Error).message}`);
    }
    try {
      return ns.run(() => {
        const nl = Netlink.open();
        let link: LinkInfo;
        try {
          let l: { index: number; mac: string; up: boolean };
          try {
            l = nl.linkByName(p.ifName);
          } catch (err) {
            throw new LinkGoneError(
              `error looking up ${JSON.stringify(p.ifName)}: ${(err as Error).message}`,
            );
          }
          if (bringUp && !l.up) {
            nl.linkSetUp(l.index);
            l = nl.linkByName(p.ifName);
          }
          link = { index: l.index, mac: l.mac, up: l.up };
        } finally {
          nl.close();
        }
        if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(link.mac))
          throw new DhcpError(`interface ${p.ifName} has no Ethernet address (${link.mac || 'none'})`);
        return new Client(p, link, PacketSocket.open(link.index));
      });
    } finally {
      ns.close();
    }
  }

  close(): void {
    this.#sock.close();
  }

  #id(): Identity {
    return {
      mac: this.link.mac,
      clientID: this.#p.clientID,
      options: this.#p.options,
      broadcast: this.#p.broadcast,
    };
  }

  #send(m: Dhcp4Message, src: string, dst: string, mac: Uint8Array): void {
    this.#sock.send(buildIpUdp(src, dst, 68, 67, encodeMessage(m)), mac);
  }

  /** Wait for a reply with our xid and chaddr and one of `types`; polls the socket. */
  async #await(
    xid: number,
    types: number[],
    signal: AbortSignal | undefined,
  ): Promise<{ msg: Dhcp4Message; srcMac: Buffer }> {
    const deadline = Date.now() + this.#p.timeoutMs;
    for (;;) {
      for (let f = this.#sock.recv(); f; f = this.#sock.recv()) {
        const udp = parseIpUdp(f.data);
        if (udp === undefined) continue;
        if (udp.dport !== 68 || udp.sport !== 67) continue;
        const msg = decodeMessage(udp.payload);
        if (!msg || msg.op !== BOOTREPLY || msg.xid !== xid || msg.chaddr !== this.link.mac) continue;
        const t = msgType(msg);
        if (t === undefined || !types.includes(t)) continue;
        return { msg, srcMac: f.srcMac };
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new DhcpError(
          `timed out after ${this.#p.timeoutMs} ms waiting for a DHCP reply on ${this.#p.ifName}`,
        );
      await sleep(Math.min(POLL_MS, left), signal);
    }
  }

  /** DISCOVER → OFFER → REQUEST → ACK. */
  async request(signal?: AbortSignal): Promise<{ ack: Dhcp4Message; serverMac: Buffer }> {
    const xid = randomInt(0, 2 ** 32 - 1);
    this.#send(discoverMessage(this.#id(), xid), '0.0.0.0', '255.255.255.255', BROADCAST_MAC);
    const offer = (await this.#await(xid, [MsgType.OFFER], signal)).msg;
    this.#send(selectingRequest(this.#id(), xid, offer), '0.0.0.0', '255.255.255.255', BROADCAST_MAC);
    const { msg, srcMac } = await this.#await(xid, [MsgType.ACK, MsgType.NAK], signal);
    if (msgType(msg) === MsgType.NAK)
      throw new NakError(`got DHCPNAK: ${msg.options.get(Opt.MESSAGE)?.toString() ?? ''}`);
    return { ack: msg, serverMac: srcMac };
  }

  /**
   * RENEWING: REQUEST with ciaddr, unicast to the server, without "requested IP" and
   * "server identifier" (RFC 2131 4.3.2; the reference's v1.6 fix for systemd-networkd).
   */
  async renew(
    ip: string,
    serverIp: string,
    serverMac: Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ ack: Dhcp4Message; serverMac: Buffer }> {
    const xid = randomInt(0, 2 ** 32 - 1);
    this.#send(renewingRequest(this.#id(), xid, ip), ip, serverIp, serverMac);
    const { msg, srcMac } = await this.#await(xid, [MsgType.ACK, MsgType.NAK], signal);
    if (msgType(msg) === MsgType.NAK)
      throw new NakError(`got DHCPNAK: ${msg.options.get(Opt.MESSAGE)?.toString() ?? ''}`);
    return { ack: msg, serverMac: srcMac };
  }

  /** DHCPRELEASE, unicast to the server; no reply. */
  release(ip: string, serverIp: string, serverMac: Uint8Array): void {
    const xid = randomInt(0, 2 ** 32 - 1);
    this.#send(releaseMessage(this.#id(), xid, ip, serverIp), ip, serverIp, serverMac);
  }
}
