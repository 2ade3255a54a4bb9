import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALLOWLIST_ENV,
  allowlistPath,
  checkAllowlist,
  checkDuplicateSysctlKeys,
  DEFAULT_ALLOWLIST,
  DEFAULT_DATA_DIR,
  duplicateSysctlKey,
  parseConf,
  readAllowlist,
  resolveSysctlFile,
  sysctlFile,
  touchesLink,
} from './config.js';

const base = { cniVersion: '1.0.0', name: 'n', type: 'tuning' };
const conf = (o: object, args = '') => parseConf(JSON.stringify({ ...base, ...o }), args);
const errOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as { code: number; msg: string };
  }
  throw new Error('no error');
};

describe('parseConf', () => {
  it('defaults', () => {
    const c = conf({});
    expect(c.dataDir).toBe(DEFAULT_DATA_DIR);
    expect([...c.sysctl]).toEqual([]);
    expect(c.mac).toBeUndefined();
    expect(c.promisc).toBe(false);
    expect(c.mtu).toBe(0);
    expect(c.allmulti).toBeUndefined();
    expect(c.txQLen).toBeUndefined();
    expect(touchesLink(c)).toBe(false);
  });

  it('keys, case-insensitive like Go', () => {
    const c = conf({
      DataDir: '/x',
      SYSCTL: { 'net.a': '1' },
      MAC: 'AA-bb-cc-dd-ee-f0',
      Mtu: 9000,
      txqlen: 0,
    });
    expect(c.dataDir).toBe('/x');
    expect([...c.sysctl]).toEqual([['net.a', '1']]);
    expect(c.mac).toBe('aa:bb:cc:dd:ee:f0');
    expect(c.mtu).toBe(9000);
    expect(c.txQLen).toBe(0);
    expect(touchesLink(c)).toBe(true);
    expect(touchesLink(conf({ promisc: false, allmulti: false }))).toBe(true);
    expect(touchesLink(conf({ promisc: false }))).toBe(false);
  });

  it('MAC precedence: config < CNI_ARGS < runtimeConfig < args.cni', () => {
    expect(conf({ mac: '02:00:00:00:00:01' }).mac).toBe('02:00:00:00:00:01');
    expect(conf({ mac: '02:00:00:00:00:01' }, 'MAC=02:00:00:00:00:02').mac).toBe('02:00:00:00:00:02');
    expect(
      conf({ mac: '02:00:00:00:00:01', runtimeConfig: { mac: '02:00:00:00:00:03' } }, 'MAC=02:00:00:00:00:02')
        .mac,
    ).toBe('02:00:00:00:00:03');
    expect(
      conf(
        { runtimeConfig: { mac: '02:00:00:00:00:03' }, args: { cni: { mac: '02:00:00:00:00:04' } } },
        'MAC=02:00:00:00:00:02',
      ).mac,
    ).toBe('02:00:00:00:00:04');
    // an empty runtimeConfig.mac does not override
    expect(conf({ mac: '02:00:00:00:00:01', runtimeConfig: { mac: '' } }).mac).toBe('02:00:00:00:00:01');
  });

  it('args.cni overrides and merges sysctl, also without a config sysctl map', () => {
    const c = conf({
      sysctl: { 'net.a': '1', 'net.b': '2' },
      mtu: 1400,
      allmulti: true,
      args: {
        cni: { sysctl: { 'net.b': '3', 'net.c': '4' }, mtu: 1300, promisc: true, allmulti: false, txQLen: 9 },
      },
    });
    expect([...c.sysctl]).toEqual([
      ['net.a', '1'],
      ['net.b', '3'],
      ['net.c', '4'],
    ]);
    expect(c).toMatchObject({ mtu: 1300, promisc: true, allmulti: false, txQLen: 9 });
    expect([...conf({ args: { cni: { sysctl: { 'net.x': '1' } } } }).sysctl]).toEqual([['net.x', '1']]);
  });

  it('CNI_ARGS: unknown keys are an error unless IgnoreUnknown', () => {
    expect(errOf(() => conf({}, 'FOO=1')).code).toBe(4);
    expect(conf({}, 'IgnoreUnknown=1;FOO=1').mac).toBeUndefined();
  });

  it.each([
    [{ mtu: '1' }, 6, 'mtu'],
    [{ mtu: 1.5 }, 6, 'mtu'],
    [{ mtu: -1 }, 7, 'mtu'],
    [{ txQLen: -1 }, 7, 'txQLen'],
    [{ promisc: 1 }, 6, 'promisc'],
    [{ allmulti: 'true' }, 6, 'allmulti'],
    [{ sysctl: [] }, 6, 'sysctl'],
    [{ sysctl: { 'net.a': true } }, 6, 'sysctl.net.a'],
    [{ mac: 'nope' }, 7, 'mac'],
    [{ mac: '03:00:00:00:00:01' }, 7, 'unicast'],
    [{ mac: '00:00:00:00:00:00' }, 7, 'unicast'],
    [{ runtimeConfig: { mac: 5 } }, 6, 'runtimeConfig.mac'],
    [{ args: { cni: { mtu: -2 } } }, 7, 'args.cni.mtu'],
    [{ args: { cni: { sysctl: { a: 1 } } } }, 6, 'args.cni.sysctl.a'],
    [{ args: 'x' }, 6, 'args'],
  ])('%j → code %i naming %s', (o, code, key) => {
    const e = errOf(() => conf(o));
    expect(e.code).toBe(code);
    expect(e.msg).toContain(key);
  });
});

describe('duplicate sysctl keys', () => {
  it('finds duplicates only in the top-level sysctl object', () => {
    expect(duplicateSysctlKey('{"sysctl":{"a":"1","b":"2"}}')).toBeUndefined();
    expect(duplicateSysctlKey('{"sysctl":{"a":"1","b":"2","a":"3"}}')).toBe('a');
    expect(
      duplicateSysctlKey(' { "x" : [1, {"a":2}, "s\\"}"] , "Sysctl" : { "k" : "v" , "k" : "w" } } '),
    ).toBe('k');
    // escaped forms of the same key are the same key
    expect(duplicateSysctlKey('{"sysctl":{"net.a":"1","net\\u002ea":"2"}}')).toBe('net.a');
    // across two case variants of the member, as Go decodes both into one map
    expect(duplicateSysctlKey('{"sysctl":{"a":"1"},"SYSCTL":{"a":"2"}}')).toBe('a');
    expect(duplicateSysctlKey('{"args":{"cni":{"sysctl":{"a":"1","a":"2"}}}}')).toBeUndefined();
    expect(duplicateSysctlKey('{"sysctl":{},"x":{}}')).toBeUndefined();
    expect(duplicateSysctlKey('{}')).toBeUndefined();
    expect(duplicateSysctlKey('{"sysctl":null,"a":true,"b":-1.5e3}')).toBeUndefined();
  });

  it('is a CNI error 7', () => {
    const e = errOf(() => checkDuplicateSysctlKeys('{"sysctl":{"net.a":"1","net.a":"1"}}'));
    expect(e.code).toBe(7);
    expect(e.msg).toContain('duplicated sysctl keys are not allowed: "net.a"');
    expect(() => checkDuplicateSysctlKeys('not json')).not.toThrow();
  });
});

describe('sysctl key → file', () => {
  it('dots become slashes, then the first IFNAME becomes the interface name', () => {
    expect(sysctlFile('net.ipv4.conf.IFNAME.proxy_arp', 'eth0.100')).toBe(
      '/proc/sys/net/ipv4/conf/eth0.100/proxy_arp',
    );
    expect(sysctlFile('net/ipv4/conf/IFNAME/IFNAME', 'e')).toBe('/proc/sys/net/ipv4/conf/e/IFNAME');
    expect(sysctlFile('net.core.somaxconn', 'eth0')).toBe('/proc/sys/net/core/somaxconn');
  });

  it.each([
    ['kernel.hostname', 'only keys under'],
    ['/net/ipv4/ip_forward', 'absolute'],
    ['net/./ipv4/ip_forward', 'component'],
    ['net/ipv4/../../kernel/x', 'component'],
    ['net.ipv4..ip_forward', 'component'],
    ['net.', 'component'],
    ['net', 'only keys under'],
    ['netfoo.x', 'only keys under'],
    ['', 'empty'],
    ['net.a\0', 'NUL'],
  ])('%j is rejected (%s)', (key, why) => {
    const e = errOf(() => sysctlFile(key, 'eth0'));
    expect(e.code).toBe(7);
    expect(e.msg).toContain(why);
    expect(e.msg).toContain(JSON.stringify(key));
  });

  it('an interface name with a slash is rejected', () => {
    expect(errOf(() => sysctlFile('net.ipv4.conf.IFNAME.x', 'a/b')).code).toBe(4);
  });
});

describe('resolveSysctlFile', () => {
  let root: string;
  beforeEach(() => {
    root = `${realpathSync(mkdtempSync(join(tmpdir(), 'tuning-unit-')))}/`;
    mkdirSync(join(root, 'net/ipv4'), { recursive: true });
    mkdirSync(join(root, 'kernel'), { recursive: true });
    writeFileSync(join(root, 'net/ipv4/knob'), '1\n');
    writeFileSync(join(root, 'kernel/secret'), 'x\n');
    symlinkSync(join(root, 'kernel/secret'), join(root, 'net/ipv4/evil'));
    symlinkSync(join(root, 'kernel'), join(root, 'net/outdir'));
    symlinkSync(join(root, 'net/ipv4/knob'), join(root, 'net/ipv4/alias'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('returns the current value of a file under net/', () => {
    expect(resolveSysctlFile('net.ipv4.knob', sysctlFile('net.ipv4.knob', 'e', root), root)).toBe('1\n');
    expect(resolveSysctlFile('net.ipv4.alias', sysctlFile('net.ipv4.alias', 'e', root), root)).toBe('1\n');
  });

  it.each([
    ['net.ipv4.evil', 'outside'],
    ['net.outdir.secret', 'outside'],
    ['net.ipv4', 'not a sysctl'],
    ['net.ipv4.missing', 'no such sysctl'],
  ])('%s is rejected (%s)', (key, why) => {
    const e = errOf(() => resolveSysctlFile(key, sysctlFile(key, 'e', root), root));
    expect(e.code).toBe(7);
    expect(e.msg).toContain(why);
  });
});

describe('allowlist', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tuning-allow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('path: the environment variable, else the reference path', () => {
    expect(allowlistPath({ [ALLOWLIST_ENV]: '/x/y' })).toBe('/x/y');
    expect(allowlistPath({ [ALLOWLIST_ENV]: '' })).toBe(process.env[ALLOWLIST_ENV] || DEFAULT_ALLOWLIST);
  });

  it('no file → no restriction; lines are trimmed regexes, unanchored', () => {
    expect(readAllowlist(join(dir, 'none'))).toBeUndefined();
    checkAllowlist(['kernel.anything'], undefined, 'x');
    const f = join(dir, 'allow.conf');
    writeFileSync(f, '  ^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$ \n\n core\\.somax\n');
    const list = readAllowlist(f);
    expect(list).toEqual(['^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$', 'core\\.somax']);
    checkAllowlist(['net.ipv4.conf.IFNAME.proxy_arp', 'net.core.somaxconn'], list, f);
    const e = errOf(() => checkAllowlist(['net.ipv4.conf.eth0.proxy_arp'], list, f));
    expect(e.code).toBe(7);
    expect(e.msg).toBe(
      'Sysctl net.ipv4.conf.eth0.proxy_arp is not allowed. Only the following sysctls are allowed: [^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$ core\\.somax]',
    );
    expect(errOf(() => checkAllowlist(['net.a'], ['('], f)).msg).toContain('invalid regular expression');
  });
});
