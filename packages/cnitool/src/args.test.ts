import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  containerIdFor,
  parseCapArgsEnv,
  parseCniArgsEnv,
  parseCommandLine,
  pluginPaths,
  resolveIfName,
  runtimeSetup,
  UsageError,
} from './args.js';

describe('parseCommandLine', () => {
  it('takes the verb, the positionals and flags before or after the verb', () => {
    expect(parseCommandLine(['add', 'net', '/run/netns/x'])).toMatchObject({
      command: 'add',
      positionals: ['net', '/run/netns/x'],
    });
    expect(parseCommandLine(['-i', 'net1', 'del', 'n', 'p']).ifName).toBe('net1');
    expect(parseCommandLine(['del', 'n', 'p', '--ifname', 'net2']).ifName).toBe('net2');
    expect(parseCommandLine(['del', '--ifname=net3', 'n', 'p'])).toMatchObject({
      ifName: 'net3',
      positionals: ['n', 'p'],
    });
    expect(parseCommandLine(['add', '--cache-dir', '/tmp/c', '--timeout', '2.5', 'n', 'p'])).toMatchObject({
      cacheDir: '/tmp/c',
      timeoutMs: 2500,
    });
    expect(parseCommandLine(['demo', '--keep']).keep).toBe(true);
    expect(parseCommandLine(['validate', '--json', 'f']).json).toBe(true);
    expect(parseCommandLine(['--', 'add', '-weird-name', 'p']).positionals).toEqual(['-weird-name', 'p']);
    expect(parseCommandLine([]).command).toBeUndefined();
    expect(parseCommandLine(['--help']).help).toBe(true);
  });

  it('rejects unknown commands and flags, and flags without values, as cobra words them', () => {
    expect(() => parseCommandLine(['plug', 'n', 'p'])).toThrow('unknown command "plug" for "cnitool"');
    expect(() => parseCommandLine(['add', '--bogus'])).toThrow('unknown flag: --bogus');
    expect(() => parseCommandLine(['add', 'n', 'p', '-i'])).toThrow('flag needs an argument: -i');
    expect(() => parseCommandLine(['add', '--timeout', '-1'])).toThrow(UsageError);
    expect(() => parseCommandLine(['add', '--keep=1'])).toThrow('does not take a value');
  });
});

describe('CNI_ARGS and CAP_ARGS', () => {
  it('parses K=V pairs, each with one = and non-empty key and value', () => {
    expect(parseCniArgsEnv('IP=10.1.2.3;MAC=aa:bb:cc:dd:ee:ff')).toEqual([
      ['IP', '10.1.2.3'],
      ['MAC', 'aa:bb:cc:dd:ee:ff'],
    ]);
    expect(() => parseCniArgsEnv('A=1;')).toThrow('invalid CNI_ARGS pair ""');
    expect(() => parseCniArgsEnv('A=')).toThrow('invalid CNI_ARGS pair "A="');
    expect(() => parseCniArgsEnv('=1')).toThrow('invalid CNI_ARGS pair "=1"');
    expect(() => parseCniArgsEnv('A=1=2')).toThrow('invalid CNI_ARGS pair "A=1=2"');
  });

  it('parses CAP_ARGS as a JSON object', () => {
    expect(parseCapArgsEnv('{"portMappings":[{"hostPort":1}]}')).toEqual({ portMappings: [{ hostPort: 1 }] });
    expect(parseCapArgsEnv('null')).toEqual({});
    expect(() => parseCapArgsEnv('[1]')).toThrow(
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    expect(() => parseCapArgsEnv('{bad')).toThrow(/^invalid CAP_ARGS: /);
  });
});

describe('container ID, interface name, paths', () => {
  it('derives the container ID from SHA-512 of the absolute netns path, as the reference', () => {
    const p = '/var/run/netns/testing';
    const want = `cnitool-${createHash('sha512').update(p).digest().subarray(0, 10).toString('hex')}`;
    expect(containerIdFor(p)).toBe(want);
    expect(containerIdFor(p)).toMatch(/^cnitool-[0-9a-f]{20}$/);
    // A known value (Go: fmt.Sprintf("cnitool-%x", sha512.Sum512([]byte(p))[:10])).
    expect(containerIdFor('/run/netns/a')).toBe(
      `cnitool-${createHash('sha512').update('/run/netns/a').digest('hex').slice(0, 20)}`,
    );
  });

  it('--ifname wins over CNI_IFNAME; empty means eth0', () => {
    expect(resolveIfName('net1', { CNI_IFNAME: 'eth5' })).toBe('net1');
    expect(resolveIfName(undefined, { CNI_IFNAME: 'eth5' })).toBe('eth5');
    expect(resolveIfName(undefined, { CNI_IFNAME: '' })).toBe('eth0');
    expect(resolveIfName(undefined, {})).toBe('eth0');
  });

  it('splits CNI_PATH like filepath.SplitList', () => {
    expect(pluginPaths({ CNI_PATH: '/a:/b' })).toEqual(['/a', '/b']);
    expect(pluginPaths({ CNI_PATH: '' })).toEqual([]);
    expect(pluginPaths({})).toEqual([]);
  });

  it('builds the runtime setup: absolute netns, NETCONFPATH default, env arguments', () => {
    const s = runtimeSetup(parseCommandLine(['add', 'mynet', 'netns/x']), { CNI_ARGS: 'IP=1.2.3.4' }, '/run');
    expect(s).toEqual({
      netDir: '/etc/cni/net.d',
      netName: 'mynet',
      netNS: '/run/netns/x',
      containerID: containerIdFor('/run/netns/x'),
      ifName: 'eth0',
      args: [['IP', '1.2.3.4']],
    });
    const t = runtimeSetup(parseCommandLine(['add', 'n', '/p']), {
      NETCONFPATH: '/etc/x',
      CAP_ARGS: '{"a":1}',
    });
    expect(t.netDir).toBe('/etc/x');
    expect(t.capabilityArgs).toEqual({ a: 1 });
    expect(() => runtimeSetup(parseCommandLine(['add', 'n']), {})).toThrow(
      'requires at least 2 arg(s), only received 1',
    );
  });
});
