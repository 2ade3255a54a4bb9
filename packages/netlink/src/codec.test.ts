import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAddr } from './addr.js';
import { AttrList, attr, attrType, decodeAttrs, encodeAttrs, NLA_F_NESTED } from './codec/attr.js';
import {
  decodeBody,
  decodeMessages,
  encodeBody,
  encodeMessage,
  fibRuleHdr,
  type HeaderCodec,
  ifaddrmsg,
  ifinfomsg,
  ndmsg,
  rtmsg,
  tcmsg,
} from './codec/message.js';
import { decodeLink, encodeBridgeVlanFiltering } from './link.js';
import { decodeNeigh } from './neigh.js';
import { decodeRoute } from './route.js';
import { decodeRule } from './rule.js';
import { decodeQdisc } from './tc.js';

function fixture(name: string): Buffer[] {
  const f = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8')) as {
    messages: string[];
  };
  return f.messages.map((h) => Buffer.from(h, 'hex'));
}

const codecs: Record<string, HeaderCodec<unknown>> = {
  links: ifinfomsg as HeaderCodec<unknown>,
  addrs: ifaddrmsg as HeaderCodec<unknown>,
  routes: rtmsg as HeaderCodec<unknown>,
  rules4: fibRuleHdr as HeaderCodec<unknown>,
  neighs: ndmsg as HeaderCodec<unknown>,
  qdiscs: tcmsg as HeaderCodec<unknown>,
};

describe('codec on bytes captured from the kernel', () => {
  for (const [name, codec] of Object.entries(codecs)) {
    it(`${name}: decode → encode is lossless (message, header, attributes, nested attributes)`, () => {
      const raw = fixture(name);
      expect(raw.length).toBeGreaterThan(0);
      for (const bytes of raw) {
        const [m, ...rest] = decodeMessages(bytes);
        expect(rest).toEqual([]);
        expect(encodeMessage(m!).equals(bytes)).toBe(true);
        const body = decodeBody(codec, m!.payload);
        expect(encodeBody(codec, body).equals(m!.payload)).toBe(true);
        for (const a of body.attrs) {
          if (a.type & NLA_F_NESTED) expect(encodeAttrs(decodeAttrs(a.data)).equals(a.data)).toBe(true);
        }
      }
    });
  }

  it('decodes links', () => {
    const links = fixture('links').map((b) => decodeLink(decodeMessages(b)[0]!));
    const byName = new Map(links.map((l) => [l.name, l]));
    expect(byName.get('lo')).toMatchObject({
      index: 1,
      mtu: 65536,
      mac: '00:00:00:00:00:00',
      up: true,
      type: 772,
    });
    expect(byName.get('lo')?.kind).toBeUndefined();
    const br = byName.get('br0');
    expect(br).toMatchObject({
      kind: 'bridge',
      mac: '02:00:00:00:00:b0',
      info: { bridgeVlanFiltering: false },
    });
    expect(byName.get('veth0')).toMatchObject({
      kind: 'veth',
      mtu: 1400,
      mac: '02:00:00:00:00:01',
      alias: 'golden',
      up: true,
      txQLen: 1000,
    });
    expect(byName.get('veth1')).toMatchObject({
      kind: 'veth',
      master: br?.index,
      slaveKind: 'bridge',
      parent: byName.get('veth0')?.index,
    });
  });

  it('decodes addresses', () => {
    const addrs = fixture('addrs').map((b) => decodeAddr(decodeMessages(b)[0]!));
    expect(addrs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ family: 4, address: '127.0.0.1/8', scope: 254, label: 'lo' }),
        expect.objectContaining({
          family: 4,
          address: '10.1.2.3/24',
          local: '10.1.2.3',
          broadcast: '10.1.2.255',
          label: 'veth0',
          tentative: false,
        }),
        expect.objectContaining({ family: 6, address: '::1/128' }),
        expect.objectContaining({ family: 6, address: 'fd00::3/64', dadFailed: false }),
      ]),
    );
    expect(addrs.find((a) => a.address === 'fd00::3/64')!.flags & 0x02).toBe(0x02);
    expect(addrs.find((a) => a.address === '10.1.2.3/24')?.validLft).toBeUndefined();
  });

  it('decodes routes, rules, neighbours and qdiscs', () => {
    const routes = fixture('routes').map((b) => decodeRoute(decodeMessages(b)[0]!));
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          family: 4,
          dst: '10.9.0.0/16',
          gw: '10.1.2.1',
          priority: 10,
          mtu: 1300,
          table: 254,
          protocol: 3,
          type: 1,
        }),
        expect.objectContaining({ family: 4, dst: '10.1.2.0/24', src: '10.1.2.3', scope: 253, protocol: 2 }),
        expect.objectContaining({ family: 6, dst: 'fd00::/64' }),
      ]),
    );
    const rules = fixture('rules4').map((b) => decodeRule(decodeMessages(b)[0]!));
    expect(rules).toEqual([
      { family: 4, table: 255, priority: 0 },
      { family: 4, table: 100, priority: 100, src: '10.1.2.3/32' },
      { family: 4, table: 254, priority: 32766 },
      { family: 4, table: 253, priority: 32767 },
    ]);
    const neighs = fixture('neighs').map((b) => decodeNeigh(decodeMessages(b)[0]!));
    expect(neighs).toContainEqual(
      expect.objectContaining({ family: 4, ip: '10.1.2.9', mac: '02:00:00:00:00:09', state: 0x80 }),
    );
    const qdiscs = fixture('qdiscs').map((b) => decodeQdisc(decodeMessages(b)[0]!));
    expect(qdiscs).toContainEqual(
      expect.objectContaining({
        kind: 'tbf',
        handle: 0x10000,
        parent: 0xffffffff,
        tbf: { rate: 125000, buffer: 5120000, limit: 25000 },
      }),
    );
  });
});

describe('attributes', () => {
  it('pads to 4 bytes, keeps flag bits and unknown attributes raw', () => {
    const inner = [attr.u8(1, 7), attr.str(2, 'abcde')];
    const attrs = [
      attr.nest(3, inner, true),
      { type: 0x1234, data: Buffer.from([1, 2, 3]) },
      attr.u64(5, 2n ** 40n),
    ];
    const bytes = encodeAttrs(attrs);
    // 4+ (8 + 12) nested, 4+3 padded to 8, 4+8
    expect(bytes.length).toBe(24 + 8 + 12);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('18000380');
    const back = decodeAttrs(bytes);
    expect(back.map((a) => a.type)).toEqual([3 | NLA_F_NESTED, 0x1234, 5]);
    expect(attrType(back[0]!)).toBe(3);
    expect(encodeAttrs(back).equals(bytes)).toBe(true);
    const list = new AttrList(back);
    expect(list.nested(3)?.u8(1)).toBe(7);
    expect(list.nested(3)?.str(2)).toBe('abcde');
    expect(list.get(0x1234)).toEqual(Buffer.from([1, 2, 3]));
    expect(list.u64(5)).toBe(2n ** 40n);
    expect(list.u32(99)).toBeUndefined();
  });

  it('stops at a truncated attribute instead of reading past the buffer', () => {
    const bytes = Buffer.from('0800010001000000ff00020000', 'hex');
    expect(decodeAttrs(bytes).map((a) => a.type)).toEqual([1]);
  });
});

describe('bridge VLAN filtering change', () => {
  it('is an ifinfomsg for the index with linkinfo {kind bridge, data {vlan_filtering}}', () => {
    for (const on of [true, false]) {
      const link = decodeLink({
        type: 16,
        flags: 0,
        seq: 0,
        pid: 0,
        payload: encodeBridgeVlanFiltering(7, on),
      });
      expect(link).toMatchObject({ index: 7, kind: 'bridge', info: { bridgeVlanFiltering: on } });
      expect(link.name).toBe('');
    }
    expect(() => encodeBridgeVlanFiltering(0, true)).toThrow(/invalid link index 0/);
  });
});

describe('AttrList read from raw bytes', () => {
  it('answers every read as the list it decodes to (duplicates, big types, a truncated tail)', () => {
    const inner = encodeAttrs([attr.u32(1, 7), attr.str(2, 'in')]);
    const attrs = [
      attr.str(3, 'eth0'),
      attr.u32(4, 1500),
      attr.u8(16, 6),
      attr.u16(9, 0xbeef),
      attr.u32(4, 9000), // a second of type 4: the first counts
      { type: 18 | NLA_F_NESTED, data: inner },
      attr.u32(300, 42), // a type beyond the index
      attr.u64(20, 2 ** 40 + 5),
      attr.flag(21),
    ];
    const good = encodeAttrs(attrs);
    const buf = Buffer.concat([Buffer.alloc(8, 0xaa), good, Buffer.from([0x08, 0x00])]); // 2 stray bytes
    const raw = AttrList.decode(buf, 8);
    const list = new AttrList(decodeAttrs(buf, 8));
    for (let t = 0; t < 320; t++) {
      expect([t, raw.get(t)]).toEqual([t, list.get(t)]);
      expect([t, raw.all(t)]).toEqual([t, list.all(t)]);
      expect([t, raw.u8(t), raw.u16(t), raw.u32(t), raw.has(t)]).toEqual([
        t,
        list.u8(t),
        list.u16(t),
        list.u32(t),
        list.has(t),
      ]);
    }
    expect(raw.u32(4)).toBe(1500);
    expect(raw.str(3)).toBe('eth0');
    expect(raw.u64(20)).toBe(2n ** 40n + 5n);
    expect(raw.nested(18)?.str(2)).toBe('in');
    expect(raw.u32(300)).toBe(42);
    expect(raw.list).toEqual(list.list);
    // A header whose length overruns the end stops the run, as decodeAttrs does.
    const bad = Buffer.concat([
      encodeAttrs([attr.u32(1, 1)]),
      Buffer.from([0x40, 0x00, 0x02, 0x00, 1, 2, 3, 4]),
    ]);
    expect(AttrList.decode(bad).get(2)).toBeUndefined();
    expect(AttrList.decode(bad).u32(1)).toBe(1);
  });

  it('rejects a u16 attribute value that does not fit, as Buffer did', () => {
    expect(() => attr.u16(1, 70000)).toThrow(RangeError);
    expect(() => attr.u16(1, -1)).toThrow(RangeError);
    expect(attr.u16(1, 65535).data).toEqual(Buffer.from([0xff, 0xff]));
  });
});

describe('validateIfName', () => {
  it('rejects exactly the names the regexp-based rule rejected', async () => {
    const { validateIfName } = await import('./link.js');
    const ref = (n: string) =>
      n.length > 0 && Buffer.byteLength(n) < 16 && n !== '.' && n !== '..' && !/[/:\s]/.test(n);
    const specials = [
      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x2f, 0x3a, 0x85, 0xa0, 0x1680, 0x2000, 0x200a, 0x200b,
    ];
    const more = [0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, 0x41, 0x2e, 0xe9];
    for (const c of [...specials, ...more]) {
      for (const n of [
        `a${String.fromCharCode(c)}b`,
        String.fromCharCode(c),
        `eth${String.fromCharCode(c)}`,
      ]) {
        let ok = true;
        try {
          validateIfName(n);
        } catch {
          ok = false;
        }
        expect([c, n, ok]).toEqual([c, n, ref(n)]);
      }
    }
  });
});
