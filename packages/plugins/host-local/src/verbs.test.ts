import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseResolvConfText } from './dns.js';
import { add, check, del, gc, status } from './verbs.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'host-local-unit-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const netDir = () => join(dataDir, 'net');
const conf = (ipam: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.1.0',
  name: 'net',
  type: 'host-local',
  ipam: { type: 'host-local', dataDir, ...ipam },
  ...extra,
});
/** The CNI error a call throws: code and message. */
function cniErr(fn: () => unknown): { code: number; msg: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: number; msg?: string; message?: string };
    return { code: e.code ?? -1, msg: e.msg ?? e.message ?? '' };
  }
  throw new Error('expected an error');
}

describe('ADD', () => {
  it('allocates from the legacy single range with gateway, routes and DNS', () => {
    const resolv = join(dataDir, 'resolv.conf');
    writeFileSync(
      resolv,
      '# c\nnameserver 1.1.1.1\nnameserver 8.8.8.8\ndomain example.com\nsearch a.example b.example\noptions ndots:2 edns0\n; x\n',
    );
    const r = add(
      conf({
        subnet: '10.1.2.0/24',
        routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.1.2.254' }],
        resolvConf: resolv,
      }),
      'c1',
      'eth0',
      '',
    );
    expect(r).toEqual({
      cniVersion: '1.1.0',
      ips: [{ address: '10.1.2.2/24', gateway: '10.1.2.1' }],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.1.2.254' }],
      dns: {
        nameservers: ['1.1.1.1', '8.8.8.8'],
        domain: 'example.com',
        search: ['a.example', 'b.example'],
        options: ['ndots:2', 'edns0'],
      },
    });
    expect(readFileSync(join(netDir(), '10.1.2.2'), 'utf8')).toBe('c1\r\neth0');
  });

  it('allocates one address per range set, v4 and v6, legacy range first', () => {
    const r = add(
      conf({ subnet: '10.1.2.0/24', ranges: [[{ subnet: '2001:db8:1::/64' }]] }),
      'c1',
      'eth0',
      '',
    );
    expect(r.ips).toEqual([
      { address: '10.1.2.2/24', gateway: '10.1.2.1' },
      { address: '2001:db8:1::2/64', gateway: '2001:db8:1::1' },
    ]);
    expect(readdirSync(netDir()).sort()).toEqual([
      '10.1.2.2',
      '2001:db8:1::2',
      'last_reserved_ip.0',
      'last_reserved_ip.1',
      'lock',
    ]);
  });

  it('prepends runtimeConfig.ipRanges', () => {
    const r = add(
      conf(
        { ranges: [[{ subnet: '10.1.2.0/24' }]] },
        { runtimeConfig: { ipRanges: [[{ subnet: '10.9.0.0/24' }]] } },
      ),
      'c1',
      'eth0',
      '',
    );
    expect(r.ips.map((i) => i.address)).toEqual(['10.9.0.2/24', '10.1.2.2/24']);
  });

  it('takes requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips', () => {
    const c = conf(
      { ranges: [[{ subnet: '10.1.2.0/24' }], [{ subnet: '10.1.3.0/24' }], [{ subnet: '2001:db8::/64' }]] },
      { args: { cni: { ips: ['10.1.3.7/24'] } }, runtimeConfig: { ips: ['2001:db8::99'] } },
    );
    const r = add(c, 'c1', 'eth0', 'IgnoreUnknown=1;IP=10.1.2.50;K8S_POD_NAME=x');
    expect(r.ips.map((i) => i.address)).toEqual(['10.1.2.50/24', '10.1.3.7/24', '2001:db8::99/64']);
  });

  it('fails and releases everything when a requested IP matches no range set', () => {
    const e = cniErr(() =>
      add(
        conf({ ranges: [[{ subnet: '10.1.2.0/24' }]] }, { runtimeConfig: { ips: ['10.9.9.9'] } }),
        'c1',
        'eth0',
        '',
      ),
    );
    expect(e.msg).toBe('failed to allocate all requested IPs: 10.9.9.9');
    expect(readdirSync(netDir()).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });

  it('rolls back earlier range sets when a later one fails', () => {
    mkdirSync(join(dataDir, 'net'), { recursive: true });
    writeFileSync(join(netDir(), '10.1.3.5'), 'other\r\neth0');
    const e = cniErr(() =>
      add(
        conf({ ranges: [[{ subnet: '10.1.2.0/24' }], [{ subnet: '10.1.3.0/24' }]] }),
        'c1',
        'eth0',
        'IP=10.1.3.5',
      ),
    );
    expect(e.msg).toBe(
      'failed to allocate for range 1: requested IP address 10.1.3.5 is not available in range set 10.1.3.1-10.1.3.254',
    );
    expect(readdirSync(netDir()).sort()).toEqual(['10.1.3.5', 'last_reserved_ip.0', 'lock']);
  });

  it('rejects a second ADD for the same container and ifname', () => {
    const c = conf({ subnet: '10.1.2.0/24' });
    add(c, 'c1', 'eth0', '');
    expect(cniErr(() => add(c, 'c1', 'eth0', '')).msg).toBe(
      'failed to allocate for range 0: 10.1.2.2 has been allocated to c1, duplicate allocation is not allowed',
    );
    expect(add(c, 'c1', 'eth1', '').ips[0]?.address).toBe('10.1.2.3/24');
  });

  it('reports exhaustion with the reference message', () => {
    const c = conf({ subnet: '10.1.2.0/30' });
    add(c, 'c1', 'eth0', '');
    expect(cniErr(() => add(c, 'c2', 'eth0', '')).msg).toBe(
      'failed to allocate for range 0: no IP addresses available in range set: 10.1.2.1-10.1.2.2',
    );
  });

  it('rejects invalid configuration naming the key and value', () => {
    expect(cniErr(() => add({ cniVersion: '1.0.0', name: 'net' }, 'c1', 'eth0', '')).msg).toBe(
      "IPAM config missing 'ipam' key",
    );
    expect(cniErr(() => add(conf({}), 'c1', 'eth0', '')).msg).toBe('no IP ranges specified');
    expect(cniErr(() => add(conf({ subnet: '10.1.2.3/24' }), 'c1', 'eth0', ''))).toEqual({
      code: 7,
      msg: 'invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.1.2.0',
    });
    expect(cniErr(() => add(conf({ subnet: '10.1.2.0/31' }), 'c1', 'eth0', '')).msg).toBe(
      'invalid range set 0: Network 10.1.2.0/31 too small to allocate from',
    );
    expect(
      cniErr(() =>
        add(conf({ ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: '2001:db8::/64' }]] }), 'c1', 'eth0', ''),
      ).msg,
    ).toBe('invalid range set 0: mixed address families');
    expect(
      cniErr(() =>
        add(conf({ ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/16' }]] }), 'c1', 'eth0', ''),
      ).msg,
    ).toBe('range set 0 overlaps with 1');
    expect(cniErr(() => add(conf({ ranges: 'x' }), 'c1', 'eth0', '')).msg).toBe(
      'ipam.ranges: expected an array, got "x"',
    );
    expect(cniErr(() => add(conf({ subnet: 5 }), 'c1', 'eth0', '')).msg).toBe(
      'ipam.subnet: expected a string, got 5',
    );
    expect(
      cniErr(() => add(conf({ subnet: '10.1.2.0/24', routes: [{ dst: 'nope' }] }), 'c1', 'eth0', '')).msg,
    ).toBe('ipam.routes[0].dst: invalid CIDR address "nope"');
    expect(cniErr(() => add(conf({ subnet: '10.1.2.0/24' }), 'c1', 'eth0', 'IP=banana')).msg).toBe(
      'CNI_ARGS IP: invalid IP address "banana"',
    );
    expect(
      cniErr(() => add(conf({ subnet: '10.1.2.0/24' }, { runtimeConfig: { ips: [3] } }), 'c1', 'eth0', ''))
        .msg,
    ).toBe('runtimeConfig.ips[0]: expected an IP address string, got 3');
  });

  it('needs cniVersion >= 0.3.0 for two range sets of one family', () => {
    const c = {
      ...conf({ ranges: [[{ subnet: '10.1.2.0/24' }], [{ subnet: '10.1.3.0/24' }]] }),
      cniVersion: '0.2.0',
    };
    expect(cniErr(() => add(c, 'c1', 'eth0', ''))).toEqual({
      code: 1,
      msg: 'CNI version 0.2.0 does not support more than 1 address per family',
    });
  });

  it('matches keys case-insensitively as Go does', () => {
    const r = add(
      {
        cniVersion: '1.0.0',
        Name: 'net',
        IPAM: { Type: 'host-local', DataDir: dataDir, Subnet: '10.1.2.0/24' },
      },
      'c1',
      'eth0',
      '',
    );
    expect(r.ips[0]?.address).toBe('10.1.2.2/24');
  });

  it('rejects names that would escape the data directory before touching any file', () => {
    for (const name of ['..', '../evil', 'a/b', '.']) {
      expect(cniErr(() => add({ ...conf({ subnet: '10.1.2.0/24' }), name }, 'c1', 'eth0', '')).msg).toMatch(
        /^invalid network name/,
      );
    }
    expect(cniErr(() => add(conf({ subnet: '10.1.2.0/24' }), '../c1', 'eth0', ''))).toMatchObject({
      code: 4,
    });
    expect(cniErr(() => add(conf({ subnet: '10.1.2.0/24' }), 'c1', '../eth0', ''))).toMatchObject({
      code: 4,
    });
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('DEL and CHECK', () => {
  it('releases by container+ifname, is idempotent, and handles legacy id-only files', () => {
    const c = conf({ subnet: '10.1.2.0/24', ranges: [[{ subnet: '2001:db8::/64' }]] });
    add(c, 'c1', 'eth0', '');
    add(c, 'c2', 'eth0', '');
    writeFileSync(join(netDir(), '10.1.2.100'), 'legacy\n');
    check(c, 'c1', 'eth0', '');
    check(c, 'legacy', 'eth0', '');
    del(c, 'c1', 'eth0', '');
    del(c, 'c1', 'eth0', '');
    del(c, 'never-added', 'eth0', '');
    expect(cniErr(() => check(c, 'c1', 'eth0', '')).msg).toBe(
      'host-local: Failed to find address added by container c1',
    );
    del(c, 'legacy', 'eth0', '');
    expect(readdirSync(netDir()).sort()).toEqual([
      '10.1.2.3',
      '2001:db8::3',
      'last_reserved_ip.0',
      'last_reserved_ip.1',
      'lock',
    ]);
  });
});

describe('GC', () => {
  it('releases reservations not in cni.dev/valid-attachments, honours legacy files, keeps lock and cursors', () => {
    const c = conf({ subnet: '10.1.2.0/24' });
    add(c, 'keep', 'eth0', '');
    add(c, 'keep', 'eth1', '');
    add(c, 'gone', 'eth0', '');
    writeFileSync(join(netDir(), '10.1.2.200'), 'keep');
    writeFileSync(join(netDir(), '10.1.2.201'), 'gone-legacy');
    gc({ ...c, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] });
    expect(readdirSync(netDir()).sort()).toEqual(['10.1.2.2', '10.1.2.200', 'last_reserved_ip.0', 'lock']);
    gc({ ...c, 'cni.dev/attachments': [] });
    expect(readdirSync(netDir()).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });
  it('requires the attachment list and checks its shape', () => {
    const c = conf({ subnet: '10.1.2.0/24' });
    expect(cniErr(() => gc(c)).msg).toMatch(/cni\.dev\/valid-attachments/);
    expect(cniErr(() => gc({ ...c, 'cni.dev/valid-attachments': [{ containerID: 1 }] })).msg).toMatch(
      /^cni\.dev\/valid-attachments\[0\]: expected/,
    );
  });
});

describe('STATUS', () => {
  it('succeeds while addresses are free, 50 when a range set is exhausted', () => {
    const c = conf({ subnet: '10.1.2.0/30' });
    status(c);
    add(c, 'c1', 'eth0', '');
    expect(cniErr(() => status(c))).toEqual({
      code: 50,
      msg: 'no IP addresses available in range set 0: 10.1.2.1-10.1.2.2',
    });
    del(c, 'c1', 'eth0', '');
    status(c);
  });
  it('is 50 when the data directory is unusable', () => {
    const file = join(dataDir, 'file');
    writeFileSync(file, '');
    expect(
      cniErr(() =>
        status({
          ...conf({ subnet: '10.1.2.0/24' }),
          ipam: { type: 'host-local', subnet: '10.1.2.0/24', dataDir: file },
        }),
      ),
    ).toMatchObject({
      code: 50,
    });
  });
});

describe('resolv.conf', () => {
  it('ignores comments and one-field lines', () => {
    expect(parseResolvConfText('nameserver\n#nameserver 1.2.3.4\n  nameserver   9.9.9.9  \n')).toEqual({
      nameservers: ['9.9.9.9'],
    });
    expect(parseResolvConfText('')).toEqual({});
  });
});
