// Captures real kernel dumps in a prepared namespace and checks that every message decodes
// and re-encodes to the same bytes. With NETLINK_CAPTURE_FIXTURES=1 it also (re)writes the
// golden files in src/fixtures that the unit tests decode offline.
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as C from '../src/codec/constants.js';
import {
  decodeBody,
  decodeMessages,
  encodeBody,
  encodeMessage,
  fibRuleHdr,
  type HeaderCodec,
  ifaddrmsg,
  ifinfomsg,
  NlSocket,
  ndmsg,
  rtmsg,
  tcmsg,
} from '../src/index.js';
import { Netlink } from '../src/netlink.js';
import { encodeRoute } from '../src/route.js';

const FIXTURES = join(import.meta.dirname, '..', 'src', 'fixtures');

const dumps: [string, number, HeaderCodec<unknown>, Buffer][] = [
  ['links', C.RTM_GETLINK, ifinfomsg as HeaderCodec<unknown>, Buffer.alloc(16)],
  ['addrs', C.RTM_GETADDR, ifaddrmsg as HeaderCodec<unknown>, Buffer.alloc(8)],
  ['routes', C.RTM_GETROUTE, rtmsg as HeaderCodec<unknown>, Buffer.alloc(12)],
  [
    'rules4',
    C.RTM_GETRULE,
    fibRuleHdr as HeaderCodec<unknown>,
    Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  ],
  ['neighs', C.RTM_GETNEIGH, ndmsg as HeaderCodec<unknown>, Buffer.alloc(12)],
  ['qdiscs', C.RTM_GETQDISC, tcmsg as HeaderCodec<unknown>, Buffer.alloc(20)],
];

describe('golden dumps from this kernel', () => {
  let t: TestNetNS;
  beforeEach(() => {
    t = makeNetNS('nlfix');
    const nl = Netlink.open(t.ns);
    try {
      nl.linkSetUp(1);
      const br = nl.linkAdd({ kind: 'bridge', name: 'br0', mac: '02:00:00:00:00:b0' });
      const v = nl.linkAdd({
        kind: 'veth',
        name: 'veth0',
        peerName: 'veth1',
        mac: '02:00:00:00:00:01',
        peerMac: '02:00:00:00:00:02',
        mtu: 1400,
      });
      nl.linkSetMaster(nl.linkByName('veth1').index, br.index);
      nl.linkSetAlias(v.index, 'golden');
      for (const i of [br.index, v.index, nl.linkByName('veth1').index]) nl.linkSetUp(i);
      nl.addrAdd(v.index, '10.1.2.3/24');
      nl.addrAdd(v.index, 'fd00::3/64', { noDad: true });
      nl.routeAdd({ family: 4, dst: '10.9.0.0/16', gw: '10.1.2.1', priority: 10, mtu: 1300 });
      nl.ruleAdd({ family: 4, src: '10.1.2.3/32', table: 100, priority: 100 });
      nl.neighAdd({ index: v.index, family: 4, ip: '10.1.2.9', mac: '02:00:00:00:00:09', state: 0x80 });
      nl.qdiscAddTbf(v.index, { handle: 0x10000, rate: 125000, buffer: 5120000, limit: 25000 });
    } finally {
      nl.close();
    }
  });
  afterEach(() => destroyNetNS(t));

  it('decodes and re-encodes every captured message byte for byte', () => {
    const capture = process.env.NETLINK_CAPTURE_FIXTURES === '1';
    for (const [name, type, codec, req] of dumps) {
      const datagrams: Buffer[] = [];
      const sock = NlSocket.open(C.NETLINK_ROUTE, t.ns, {
        onDatagram: (dir, d) => dir === 'in' && datagrams.push(d),
      });
      let msgs: ReturnType<NlSocket['dump']>;
      try {
        msgs = sock.dump(type, req, `dump ${name}`);
      } finally {
        sock.close();
      }
      expect(msgs.length).toBeGreaterThan(0);
      const raw = datagrams.flatMap((d) => decodeMessages(d).map((m) => encodeMessage(m)));
      // The whole datagram is the concatenation of its messages, re-encoded.
      expect(Buffer.concat(datagrams).equals(Buffer.concat(raw))).toBe(true);
      for (const m of msgs) {
        const body = decodeBody(codec, m.payload);
        expect(encodeBody(codec, body).equals(m.payload)).toBe(true);
      }
      if (capture) {
        const hex = msgs.map((m) => encodeMessage(m).toString('hex'));
        writeFileSync(
          join(FIXTURES, `${name}.json`),
          `${JSON.stringify({ kernel: release(), dump: name, messages: hex }, null, 1)}\n`,
        );
      }
    }
    // An error with an extended ack: a route through a gateway no interface reaches.
    const errs: Buffer[] = [];
    const sock = NlSocket.open(C.NETLINK_ROUTE, t.ns, {
      onDatagram: (dir, d) => dir === 'in' && errs.push(d),
    });
    try {
      const body = encodeRoute('fixture', { family: 4, dst: '10.8.0.0/16', gw: '192.168.77.1' }, false);
      expect(() => sock.ack(C.RTM_NEWROUTE, 0x600, body, 'route add 10.8.0.0/16 via 192.168.77.1')).toThrow(
        /Nexthop has invalid gateway/,
      );
    } finally {
      sock.close();
    }
    expect(errs).toHaveLength(1);
    if (capture) {
      writeFileSync(
        join(FIXTURES, 'error-extack.json'),
        `${JSON.stringify({ kernel: release(), dump: 'error', messages: errs.map((d) => d.toString('hex')) }, null, 1)}\n`,
      );
    }
  });
});
