// sbr as a real process from dist/cni/bin (run `pnpm build` first) in chains after our bridge
// and ptp (+ host-local), every spec version, in throwaway namespaces.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { destroyNetNS, distCniBin, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { flock, LOCK_EX, LOCK_UN } from '@cni/ns';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_VERSIONS, ip, ipJson, ourBin, runIn, type TempDir, tempDir } from '@cni-internal/test-kit';

let sbr: string;
let host: TestNetNS;
let cont: TestNetNS;
let data: TempDir;

beforeAll(() => {
  sbr = ourBin('sbr');
  ourBin('bridge');
  ourBin('ptp');
});

beforeEach(() => {
  host = makeNetNS('sbrh');
  cont = makeNetNS('sbrc');
  data = tempDir('cni-sbr-');
});

afterEach(() => {
  destroyNetNS(cont);
  destroyNetNS(host);
  data.cleanup();
});

const V4 = { subnet: '10.78.0.0/24', gateway: '10.78.0.1' };
const V6 = { subnet: 'fd00:78::/64', gateway: 'fd00:78::1' };

function ipam(ranges: object[][], routes: object[]) {
  return { type: 'host-local', dataDir: data.path, ranges, routes };
}

const bridgeConf = (version: string, dual = false) => ({
  cniVersion: version,
  name: 'sbrnet',
  type: 'bridge',
  bridge: 'sbrbr0',
  isGateway: true,
  ipam: dual
    ? ipam([[V4], [V6]], [{ dst: '0.0.0.0/0' }, { dst: '::/0' }])
    : ipam([[V4]], [{ dst: '0.0.0.0/0' }]),
});

const ptpConf = (version: string) => ({
  cniVersion: version,
  name: 'sbrnet',
  type: 'ptp',
  ipam: ipam([[V4], [{ subnet: '10.79.0.0/24' }]], [{ dst: '0.0.0.0/0' }]),
});

const env = (n: TestNetNS = cont, ifName = 'eth0') => ({ containerID: 'sbr1', netns: n.path, ifName });

/** Run the main plugin of the chain (ours) and return its result. */
async function mainAdd(cfg: { type: string; cniVersion: string }, n: TestNetNS = cont, ifName = 'eth0') {
  const r = await runIn(host, ourBin(cfg.type), { command: 'ADD', ...env(n, ifName), stdin: cfg });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.json;
}

const sbrConf = (version: string, prevResult: unknown, extra: object = {}) => ({
  cniVersion: version,
  name: 'sbrnet',
  type: 'sbr',
  ...(prevResult === undefined ? {} : { prevResult }),
  ...extra,
});

const runSbr = (command: string, stdin: object, n: TestNetNS = cont, ifName = 'eth0') =>
  runIn(host, sbr, { command, ...env(n, ifName), stdin, path: distCniBin });

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
type J = any;
const rules = (n: TestNetNS = cont, family: '-4' | '-6' = '-4'): J[] => ipJson(n, family, 'rule', 'show');
const sbrRules = (n: TestNetNS = cont) =>
  [...rules(n, '-4'), ...rules(n, '-6')]
    .filter((r: J) => r.src !== undefined && r.src !== 'all')
    .map((r: J) => `${r.src}/${r.srclen ?? (r.src.includes(':') ? 128 : 32)} ${r.table}`)
    .sort();
const routesIn = (table: string, family: '-4' | '-6' = '-4', n: TestNetNS = cont): J[] =>
  ipJson(n, family, 'route', 'show', 'table', table);
const tableRoutes = (table: number, n: TestNetNS = cont): J[] =>
  ipJson(n, 'route', 'show', 'table', 'all').filter((r: J) => r.table === String(table));
const brief = (rs: J[]) =>
  rs
    .map((r: J) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.prefsrc ? ` src ${r.prefsrc}` : ''}`)
    .sort();

describe('sbr after bridge, every spec version', () => {
  it.each(ALL_VERSIONS)(
    '%s: ADD moves the routes into table 100, CHECK, DEL removes the rule',
    async (version) => {
      const prev = await mainAdd(bridgeConf(version));
      expect(brief(routesIn('main'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);

      const add = await runSbr('ADD', sbrConf(version, prev));
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      // the result is the prevResult, in the config's version
      expect(add.json).toEqual(prev);

      expect(sbrRules()).toEqual(['10.78.0.2/32 100']);
      expect(brief(routesIn('100'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
      expect(routesIn('main')).toEqual([]);
      const def = routesIn('100').find((r: J) => r.dst === 'default');
      expect(def.dev).toBe('eth0');
      // the source-routed table answers for the address
      const got = ipJson(cont, 'route', 'get', '192.0.2.1', 'from', '10.78.0.2');
      expect(got[0].gateway).toBe('10.78.0.1');
      expect(got[0].table).toBe('100');

      const check = await runSbr('CHECK', sbrConf(version, prev));
      if (['0.1.0', '0.2.0', '0.3.0', '0.3.1'].includes(version)) {
        // CHECK came with 0.4.0
        expect(check.json).toMatchObject({ code: 1, msg: 'config version does not allow CHECK' });
      } else {
        expect(check.stderr).toBe('');
        expect(check.code).toBe(0);
      }

      const del = await runSbr('DEL', sbrConf(version, prev));
      expect(del.stderr).toBe('');
      expect(del.code).toBe(0);
      expect(sbrRules()).toEqual([]);
      const again = await runSbr('DEL', sbrConf(version, prev));
      expect(again.code).toBe(0);
    },
  );
});

describe('sbr after ptp, every spec version', () => {
  it.each(ALL_VERSIONS)('%s: ADD moves the routes into table 100, DEL removes the rule', async (version) => {
    const cfg = { ...ptpConf(version), ipam: ipam([[V4]], [{ dst: '0.0.0.0/0' }]) };
    const prev = await mainAdd(cfg);
    const mainBefore = brief(routesIn('main'));
    expect(mainBefore).toContain('default via 10.78.0.1');
    const add = await runSbr('ADD', sbrConf(version, prev));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.json).toEqual(prev);
    expect(sbrRules()).toEqual(['10.78.0.2/32 100']);
    // every main route of eth0 (the gateway's host route, the subnet via the gateway, the
    // default route) is now in table 100 and nowhere in main
    expect(brief(routesIn('100'))).toEqual(mainBefore);
    expect(routesIn('main')).toEqual([]);
    const del = await runSbr('DEL', sbrConf(version, prev));
    expect(del.code).toBe(0);
    expect(sbrRules()).toEqual([]);
  });
});

describe('sbr chains', () => {
  it('dual stack after bridge: one table per address, IPv6 default route and prefix routes', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0', true));
    const add = await runSbr('ADD', sbrConf('1.1.0', prev));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(sbrRules()).toEqual(['10.78.0.2/32 100', 'fd00:78::2/128 101']);
    // IPv4 address's table: its v4 routes and the generic (gateway-less, source-less) v6 ones
    expect(brief(routesIn('100'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
    expect(brief(routesIn('101', '-6'))).toEqual(['default via fd00:78::1', 'fd00:78::/64', 'fe80::/64']);
    expect(brief(routesIn('100', '-6'))).toEqual(['fd00:78::/64', 'fe80::/64']);
    expect(routesIn('main', '-4')).toEqual([]);
    expect(routesIn('main', '-6')).toEqual([]);
    const del = await runSbr('DEL', sbrConf('1.1.0', prev));
    expect(del.code).toBe(0);
    expect(sbrRules()).toEqual([]);
  });

  it('two addresses after ptp: tables 100 and 101, each with its own routes', async () => {
    const prev = await mainAdd(ptpConf('1.0.0'));
    const ips = prev.ips.map((x: J) => x.address.split('/')[0]);
    expect(ips).toEqual(['10.78.0.2', '10.79.0.2']);
    const mainBefore = brief(routesIn('main'));
    const add = await runSbr('ADD', sbrConf('1.0.0', prev));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(sbrRules()).toEqual(['10.78.0.2/32 100', '10.79.0.2/32 101']);
    const t100 = brief(routesIn('100'));
    const t101 = brief(routesIn('101'));
    // every main route of eth0 followed the address whose subnet holds its src/gw (or both when generic)
    expect(t100).toContain('default via 10.78.0.1');
    expect(t101.some((r) => r.startsWith('default via'))).toBe(true);
    expect(new Set([...t100, ...t101])).toEqual(new Set([...mainBefore, ...t100, ...t101]));
    expect(routesIn('main')).toEqual([]);
    const del = await runSbr('DEL', sbrConf('1.0.0', prev));
    expect(del.code).toBe(0);
    expect(sbrRules()).toEqual([]);
  });

  it('a table already used by a rule or a route is skipped', async () => {
    ip(cont, 'rule', 'add', 'from', '192.0.2.9', 'lookup', '100');
    ip(cont, 'link', 'add', 'sbrd0', 'type', 'veth', 'peer', 'name', 'sbrd1');
    ip(cont, 'link', 'set', 'sbrd0', 'up');
    ip(cont, 'route', 'add', '198.51.100.0/24', 'dev', 'sbrd0', 'table', '101');
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const add = await runSbr('ADD', sbrConf('1.1.0', prev));
    expect(add.code).toBe(0);
    expect(sbrRules()).toContain('10.78.0.2/32 102');
    expect(brief(routesIn('102'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
    await runSbr('DEL', sbrConf('1.1.0', prev));
    // DEL removes only the rules of the interface's addresses
    expect(sbrRules()).toEqual(['192.0.2.9/32 100']);
  });

  it('table: only rules, main routes stay; DEL removes only the rules of that table', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0', true));
    const before = [brief(routesIn('main')), brief(routesIn('main', '-6'))];
    const add = await runSbr('ADD', sbrConf('1.1.0', prev, { table: 500 }));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(sbrRules()).toEqual(['10.78.0.2/32 500', 'fd00:78::2/128 500']);
    expect([brief(routesIn('main')), brief(routesIn('main', '-6'))]).toEqual(before);
    expect(tableRoutes(500)).toEqual([]);
    ip(cont, 'rule', 'add', 'from', '10.78.0.2', 'lookup', '600');
    const check = await runSbr('CHECK', sbrConf('1.1.0', prev, { table: 500 }));
    expect(check.code).toBe(0);
    const del = await runSbr('DEL', sbrConf('1.1.0', prev, { table: 500 }));
    expect(del.code).toBe(0);
    expect(sbrRules()).toEqual(['10.78.0.2/32 600']);
    const check2 = await runSbr('CHECK', sbrConf('1.1.0', prev, { table: 500 }));
    expect(check2.code).not.toBe(0);
    expect(check2.json.msg).toContain('no rule "from 10.78.0.2/32 lookup 500"');
  });

  it('gateways: the static gateway of each family replaces the prevResult one', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0', true));
    const add = await runSbr('ADD', sbrConf('1.1.0', prev, { gateways: ['10.78.0.254', 'fd00:78::fe'] }));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    // the static default route goes in first; the copied main default route (same key) replaces it
    const t100 = brief(routesIn('100'));
    expect(t100).toContain('10.78.0.0/24 src 10.78.0.2');
    expect(t100.filter((r) => r.startsWith('default'))).toHaveLength(1);
    await runSbr('DEL', sbrConf('1.1.0', prev));
  });

  it('gateways: used when prevResult has no gateway', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    for (const x of prev.ips) delete x.gateway;
    ip(cont, 'route', 'del', 'default');
    const add = await runSbr('ADD', sbrConf('1.1.0', prev, { gateways: ['10.78.0.254'] }));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(brief(routesIn('100'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.254']);
  });

  it('addSourceHints: the subnet route stays in main with src, the default route goes', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const add = await runSbr('ADD', sbrConf('1.1.0', prev, { addSourceHints: true }));
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(brief(routesIn('main'))).toEqual(['10.78.0.0/24 src 10.78.0.2']);
    expect(routesIn('main')[0].scope).toBe('link');
    expect(brief(routesIn('100'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
  });

  it('an address of another interface is left alone', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const other = { ...prev, interfaces: [...prev.interfaces], ips: [...prev.ips] };
    // point the address at an interface named differently
    other.interfaces.push({ name: 'eth9', sandbox: cont.path });
    other.ips = [{ ...prev.ips[0], interface: other.interfaces.length - 1 }];
    const add = await runSbr('ADD', sbrConf('1.1.0', other));
    expect(add.code).toBe(0);
    expect(sbrRules()).toEqual([]);
    expect(brief(routesIn('main'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
  });
});

describe('sbr netns lock', () => {
  /** Whether /proc/locks shows a process waiting for an flock on the file with inode `ino`. */
  const waiterOn = (ino: number) =>
    readFileSync('/proc/locks', 'utf8')
      .split('\n')
      .some((l) => l.includes('->') && l.includes('FLOCK') && l.includes(`:${ino} `));

  it('ADD waits for the flock on the netns file, then runs', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const fd = openSync(cont.path, 'r');
    let released = false;
    try {
      flock(fd, LOCK_EX);
      const pending = runSbr('ADD', sbrConf('1.1.0', prev));
      const ino = statSync(cont.path).ino;
      // wait (bounded) until the plugin is blocked on our lock
      for (let i = 0; i < 1000 && !waiterOn(ino); i++) await new Promise((r) => setTimeout(r, 20));
      expect(waiterOn(ino)).toBe(true);
      expect(sbrRules()).toEqual([]);
      flock(fd, LOCK_UN);
      released = true;
      const add = await pending;
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(sbrRules()).toEqual(['10.78.0.2/32 100']);
    } finally {
      if (!released) flock(fd, LOCK_UN);
      closeSync(fd);
    }
  });

  it('two interfaces of one container in parallel get two tables', async () => {
    const p0 = await mainAdd(bridgeConf('1.1.0'), cont, 'eth0');
    const r1 = await runIn(host, ourBin('bridge'), {
      command: 'ADD',
      containerID: 'sbr2',
      netns: cont.path,
      ifName: 'eth1',
      stdin: bridgeConf('1.1.0'),
    });
    expect(r1.code).toBe(0);
    const [a0, a1] = await Promise.all([
      runSbr('ADD', sbrConf('1.1.0', p0), cont, 'eth0'),
      runSbr('ADD', sbrConf('1.1.0', r1.json), cont, 'eth1'),
    ]);
    expect([a0.code, a1.code]).toEqual([0, 0]);
    const tables = sbrRules().map((r) => r.split(' ')[1]);
    expect(tables.sort()).toEqual(['100', '101']);
    // each table holds one interface's routes
    for (const t of ['100', '101']) {
      const devs = new Set(routesIn(t).map((r: J) => r.dev));
      expect(devs.size).toBe(1);
    }
  });
});

describe('sbr errors and idempotent DEL', () => {
  it('no prevResult: error, nothing created', async () => {
    const r = await runSbr('ADD', sbrConf('1.1.0', undefined));
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 999, msg: 'This plugin must be called as chained plugin' });
    expect(sbrRules()).toEqual([]);
  });

  it('prevResult without addresses: error', async () => {
    const r = await runSbr('ADD', sbrConf('1.1.0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }] }));
    expect(r.json).toMatchObject({ code: 999, msg: 'No IP addresses supplied on interface: eth0' });
  });

  it.each([
    [
      { gateways: ['10.0.0.1', '10.0.0.2'] },
      'gateways list contains multiple IPv4 addresses: 10.0.0.1 and 10.0.0.2',
    ],
    [{ gateways: ['a', 'b', 'c'] }, 'gateways list cannot contain more than 2 entries'],
    [{ gateways: ['not-an-ip'] }, 'invalid static gateway IP address: "not-an-ip"'],
    [{ gateways: 'x' }, 'key "gateways" must be an array of strings'],
    [{ table: 0 }, 'invalid "table" 0'],
    [{ table: 'x' }, 'key "table" must be an integer'],
    [{ addSourceHints: 'yes' }, 'key "addSourceHints" must be a boolean'],
  ])('bad config %j is refused before anything is created', async (extra, text) => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const r = await runSbr('ADD', sbrConf('1.1.0', prev, extra));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain(text);
    expect([6, 7]).toContain(r.json.code);
    expect(sbrRules()).toEqual([]);
    expect(brief(routesIn('main'))).toEqual(['10.78.0.0/24 src 10.78.0.2', 'default via 10.78.0.1']);
  });

  it('missing interface on ADD: error, rollback leaves no rule', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0'));
    const r = await runSbr('ADD', sbrConf('1.1.0', { ...prev, interfaces: [] }), cont, 'eth7');
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain('Cannot find network interface eth7');
    expect(sbrRules()).toEqual([]);
  });

  it('a failure after the first changes is rolled back: no rule, no table route, main intact', async () => {
    const prev = await mainAdd(bridgeConf('1.1.0', true));
    const main4 = brief(routesIn('main'));
    const main6 = brief(routesIn('main', '-6'));
    // the IPv4 address is done (rule, table 100) before the IPv6 default route fails:
    // its gateway is reachable through nothing
    const r = await runSbr('ADD', sbrConf('1.1.0', prev, { gateways: ['2001:db8:dead::1'] }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain('Failed to add default route to 2001:db8:dead::1');
    expect(sbrRules()).toEqual([]);
    expect(tableRoutes(100)).toEqual([]);
    expect(tableRoutes(101)).toEqual([]);
    expect(brief(routesIn('main'))).toEqual(main4);
    expect(brief(routesIn('main', '-6'))).toEqual(main6);
  });

  it('DEL: missing netns, empty netns and missing interface succeed', async () => {
    const gone = makeNetNS('sbrg');
    const path = gone.path;
    destroyNetNS(gone);
    const conf = sbrConf('1.1.0', undefined);
    for (const netns of [path, '']) {
      const r = await runIn(host, sbr, {
        command: 'DEL',
        containerID: 'x',
        netns,
        ifName: 'eth0',
        stdin: conf,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const r = await runSbr('DEL', conf, cont, 'nothere0');
    expect(r.code).toBe(0);
  });

  it('STATUS and GC succeed; VERSION lists every version', async () => {
    for (const command of ['STATUS', 'GC']) {
      const r = await runSbr(command, sbrConf('1.1.0', undefined));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const v = await runSbr('VERSION', { cniVersion: '1.1.0' });
    expect(v.json.supportedVersions).toEqual(ALL_VERSIONS);
  });
});
