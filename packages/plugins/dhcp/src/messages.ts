// The client's messages (RFC 2131 table 5), pure: what each state puts in a message.
import { type Dhcp4Message, ipToBytes, MsgType, newMessage, Opt } from './packet.js';

export interface Identity {
  mac: string;
  clientID: string;
  /** provided options and the parameter request list */
  options: Map<number, Buffer>;
  broadcast: boolean;
}

function clientIdOption(id: string): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(id)]);
}

function base(
  id: Identity,
  type: number,
  xid: number,
  extra: Partial<Dhcp4Message>,
  withOpts: boolean,
): Dhcp4Message {
  const m = newMessage({ xid, chaddr: id.mac, flags: id.broadcast ? 0x8000 : 0, ...extra });
  m.options.set(Opt.MSG_TYPE, Buffer.from([type]));
  // option 61: 0x00 + the client id, unless the configuration provides option 61 itself
  m.options.set(Opt.CLIENT_ID, clientIdOption(id.clientID));
  if (withOpts) {
    for (const [code, v] of id.options) {
      if (code === Opt.MSG_TYPE || code === Opt.REQUESTED_IP || code === Opt.SERVER_ID) continue;
      m.options.set(code, v);
    }
    m.options.set(Opt.MAX_MSG_SIZE, Buffer.from([0x05, 0xdc]));
  }
  return m;
}

export function discoverMessage(id: Identity, xid: number): Dhcp4Message {
  return base(id, MsgType.DISCOVER, xid, {}, true);
}

/** SELECTING: REQUEST for the offered address, naming the server. */
export function selectingRequest(id: Identity, xid: number, offer: Dhcp4Message): Dhcp4Message {
  const m = base(id, MsgType.REQUEST, xid, {}, true);
  m.options.set(Opt.REQUESTED_IP, ipToBytes(offer.yiaddr));
  const server = offer.options.get(Opt.SERVER_ID);
  if (server) m.options.set(Opt.SERVER_ID, Buffer.from(server));
  return m;
}

/**
 * RENEWING: ciaddr set, no "requested IP" and no "server identifier" (RFC 2131 4.3.2; the
 * reference's v1.6 fix for systemd-networkd, which NAKs a renewal carrying option 50).
 */
export function renewingRequest(id: Identity, xid: number, ip: string): Dhcp4Message {
  return base(id, MsgType.REQUEST, xid, { ciaddr: ip, flags: 0 }, true);
}

/** DHCPRELEASE: ciaddr, server identifier, client id; nothing else. */
export function releaseMessage(id: Identity, xid: number, ip: string, serverIp: string): Dhcp4Message {
  const m = base(id, MsgType.RELEASE, xid, { ciaddr: ip, flags: 0 }, false);
  m.options.set(Opt.SERVER_ID, ipToBytes(serverIp));
  return m;
}
