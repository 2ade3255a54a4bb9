import { describe, expect, it } from 'vitest';
import {
  discoverMessage,
  type Identity,
  releaseMessage,
  renewingRequest,
  selectingRequest,
} from './messages.js';
import { decodeMessage, encodeMessage, MsgType, msgType, newMessage, Opt, optIp } from './packet.js';
import { prepareOptions } from './options.js';

const id: Identity = {
  mac: '02:00:00:00:00:07',
  clientID: 'c1/net/eth0',
  options: prepareOptions(
    '',
    [
      { option: 'host-name', value: 'web' },
      { option: '50', value: 'xxxx' },
    ],
    [],
  ),
  broadcast: true,
};
const rt = (m: ReturnType<typeof discoverMessage>) => decodeMessage(encodeMessage(m))!;

describe('client messages', () => {
  it('DISCOVER: client id 0x00 + id, parameter request list, provided options, broadcast flag', () => {
    const m = rt(discoverMessage(id, 42));
    expect(msgType(m)).toBe(MsgType.DISCOVER);
    expect(m.flags).toBe(0x8000);
    expect(m.chaddr).toBe(id.mac);
    expect(m.options.get(Opt.CLIENT_ID)).toEqual(Buffer.from('\0c1/net/eth0'));
    expect([...(m.options.get(Opt.PARAM_REQUEST_LIST) ?? [])]).toEqual([3, 1]);
    expect(m.options.get(Opt.HOST_NAME)?.toString()).toBe('web');
    // a provided option 50 never overrides the protocol's own use of it
    expect(m.options.has(Opt.REQUESTED_IP)).toBe(false);
  });
  it('SELECTING REQUEST names the offered address and the server', () => {
    const offer = newMessage({ xid: 42, chaddr: id.mac, yiaddr: '10.0.0.9' });
    offer.options.set(Opt.SERVER_ID, Buffer.from([10, 0, 0, 1]));
    const m = rt(selectingRequest(id, 42, offer));
    expect(msgType(m)).toBe(MsgType.REQUEST);
    expect(optIp(m, Opt.REQUESTED_IP)).toBe('10.0.0.9');
    expect(optIp(m, Opt.SERVER_ID)).toBe('10.0.0.1');
    expect(m.ciaddr).toBe('0.0.0.0');
  });
  it('RENEWING REQUEST: ciaddr, no requested IP, no server id, no broadcast flag', () => {
    const m = rt(renewingRequest(id, 43, '10.0.0.9'));
    expect(msgType(m)).toBe(MsgType.REQUEST);
    expect(m.ciaddr).toBe('10.0.0.9');
    expect(m.flags).toBe(0);
    expect(m.options.has(Opt.REQUESTED_IP)).toBe(false);
    expect(m.options.has(Opt.SERVER_ID)).toBe(false);
    expect(m.options.get(Opt.CLIENT_ID)).toEqual(Buffer.from('\0c1/net/eth0'));
  });
  it('RELEASE: ciaddr, server id and client id only', () => {
    const m = rt(releaseMessage(id, 44, '10.0.0.9', '10.0.0.1'));
    expect(msgType(m)).toBe(MsgType.RELEASE);
    expect(m.ciaddr).toBe('10.0.0.9');
    expect(optIp(m, Opt.SERVER_ID)).toBe('10.0.0.1');
    expect([...m.options.keys()].sort((a, b) => a - b)).toEqual(
      [Opt.SERVER_ID, Opt.MSG_TYPE, Opt.CLIENT_ID].sort((a, b) => a - b),
    );
  });
});
