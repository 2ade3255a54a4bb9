// Pure logic: Go-compatible JSON, request building, plugin errors, VERSION decoding, the cache
// record and the environment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOneConfig, injectConf } from './api.js';
import { cachedResultFrom, cacheFilePath, decodeCachedInfo, encodeCachedInfo } from './cache.js';
import { confFromBytes } from './conf.js';
import { decodePluginInfo, findInPath, pluginEnv, pluginErr, stringifyCniArgs } from './exec.js';
import { goQuote, marshalOrdered, marshalSorted, RawJSON } from './json.js';

describe('Go JSON', () => {
  it('marshals maps with sorted keys (byte order, integer-like keys too), escapes <>&', () => {
    expect(marshalSorted({ b: 1, a: [{ z: null, y: true }], '10': 'x', '9': 'y', c: '<&>' })).toBe(
      '{"10":"x","9":"y","a":[{"y":true,"z":null}],"b":1,"c":"\\u003c\\u0026\\u003e"}',
    );
    expect(marshalSorted({ keep: new RawJSON('{"z":1,"a":2}'), drop: undefined })).toBe(
      '{"keep":{"z":1,"a":2}}',
    );
    expect(marshalSorted(Buffer.from('hi'))).toBe('"aGk="');
    expect(
      marshalOrdered([
        ['z', 1],
        ['a', { d: 1, c: 2 }],
      ]),
    ).toBe('{"z":1,"a":{"c":2,"d":1}}');
  });

  it('quotes like %q', () => {
    expect(goQuote('a"b\\c\n\x01\x7fé')).toBe('"a\\"b\\\\c\\n\\x01\\x7fé"');
  });
});

describe('request building (buildOneConfig / injectConf)', () => {
  const net = confFromBytes(
    '{"type":"bridge","cniVersion":"0.1.0","name":"own","capabilities":{"mac":true,"ips":false,"portMappings":true},"runtimeConfig":{"static":true}}',
  );

  it('overrides name and cniVersion; only enabled capabilities that the runtime gives', () => {
    const c = buildOneConfig('list', '1.0.0', net, undefined, {
      containerID: 'c',
      netNS: '/n',
      ifName: 'eth0',
      capabilityArgs: { mac: '00:11:22:33:44:55', ips: ['10.0.0.1/24'], bandwidth: {} },
    });
    expect(c.bytes.toString()).toBe(
      '{"capabilities":{"ips":false,"mac":true,"portMappings":true},"cniVersion":"1.0.0","name":"list","runtimeConfig":{"mac":"00:11:22:33:44:55"},"type":"bridge"}',
    );
  });

  it('keeps a static runtimeConfig when nothing matches; a null capability value is passed', () => {
    const rt = { containerID: 'c', netNS: '/n', ifName: 'eth0' };
    expect(
      JSON.parse(buildOneConfig('l', '1.0.0', net, undefined, rt).bytes.toString()).runtimeConfig,
    ).toEqual({
      static: true,
    });
    const withNull = buildOneConfig('l', '1.0.0', net, undefined, {
      ...rt,
      capabilityArgs: { portMappings: null },
    });
    expect(JSON.parse(withNull.bytes.toString()).runtimeConfig).toEqual({ portMappings: null });
  });

  it('prevResult in the list version, in its version layout', () => {
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }] };
    const c = buildOneConfig('l', '0.4.0', net, prev, undefined);
    expect(c.bytes.toString()).toContain(
      '"prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24","gateway":"10.0.0.1"}],"dns":{}}',
    );
    // not convertible to 0.2.0 (no address): passed as it is
    const empty = buildOneConfig('l', '0.2.0', net, { cniVersion: '1.0.0' }, undefined);
    expect(JSON.parse(empty.bytes.toString()).prevResult).toEqual({ cniVersion: '1.0.0' });
  });

  it('rejects empty keys and nil values', () => {
    expect(() => injectConf(net, { '': 1 })).toThrow('keys cannot be empty');
    expect(() => injectConf(net, { x: null })).toThrow("key 'x' value must not be nil");
  });
});

describe('plugin failures and VERSION answers', () => {
  const B = (s: string) => Buffer.from(s);

  it('pluginErr: the reference texts', () => {
    expect(pluginErr('exit status 1', B(''), B('')).message).toBe(
      'netplugin failed with no error message: exit status 1',
    );
    expect(pluginErr('exit status 2', B(''), B('oops\n')).message).toBe(
      'netplugin failed: "oops\\n": exit status 2',
    );
    expect(pluginErr('exit status 1', B('{"code":7,"msg":"bad","details":"d"}'), B('x'))).toMatchObject({
      code: 7,
      msg: 'bad',
      details: 'd',
      message: 'bad; d',
    });
    expect(pluginErr('exit status 1', B('{'), B('')).message).toBe(
      'netplugin failed but error parsing its diagnostic message "{": unexpected end of JSON input',
    );
  });

  it('decodePluginInfo', () => {
    expect(decodePluginInfo('{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}')).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['1.0.0'],
    });
    expect(decodePluginInfo('{"cniVersion":"0.2.0"}').supportedVersions).toEqual(['0.1.0', '0.2.0']);
    expect(() => decodePluginInfo('{}')).toThrow('decoding version info: missing field cniVersion');
    expect(() => decodePluginInfo('{"cniVersion":"0.3.0"}')).toThrow(
      'decoding version info: missing field supportedVersions',
    );
    expect(() => decodePluginInfo('nope')).toThrow(
      "decoding version info: invalid character 'o' in literal null",
    );
  });

  it('findInPath: the Go errors, first regular file wins', () => {
    const d = mkdtempSync(join(tmpdir(), 'libcni-find-'));
    try {
      expect(() => findInPath('', [d])).toThrow('no plugin name provided');
      expect(() => findInPath('a/b', [d])).toThrow('invalid plugin name: a/b');
      expect(() => findInPath('x', [])).toThrow('no paths provided');
      expect(() => findInPath('x', [d, '/nonexistent'])).toThrow(
        `failed to find plugin "x" in path [${d} /nonexistent]`,
      );
      writeFileSync(join(d, 'x'), '');
      expect(findInPath('x', ['/nonexistent', d])).toBe(join(d, 'x'));
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('environment', () => {
  it('the base environment plus all six CNI variables; CNI_ARGS joined', () => {
    const env = pluginEnv(
      { PATH: '/bin', CNI_COMMAND: 'stale', CNI_IFNAME: 'stale' },
      {
        command: 'DEL',
        containerID: 'c',
        args: [
          ['A', '1'],
          ['B', 'x=y'],
        ],
        path: ['/a', '/b'],
      },
    );
    expect(env).toEqual({
      PATH: '/bin',
      CNI_COMMAND: 'DEL',
      CNI_CONTAINERID: 'c',
      CNI_NETNS: '',
      CNI_ARGS: 'A=1;B=x=y',
      CNI_IFNAME: '',
      CNI_PATH: '/a:/b',
    });
    expect(stringifyCniArgs(undefined)).toBe('');
  });
});

describe('cache record', () => {
  it('path needs all three parts', () => {
    expect(cacheFilePath('/c', 'n', 'id', 'eth0')).toBe('/c/results/n-id-eth0');
    expect(() => cacheFilePath('/c', 'n', '', 'eth0')).toThrow(
      'cache file path requires network name ("n"), container ID (""), and interface name ("eth0")',
    );
    expect(() => cacheFilePath('/c', 'n', 'x/../../../etc/passwd', 'eth0')).toThrow('must not contain "/"');
    expect(() => cacheFilePath('/c', 'n', 'x', '../../y')).toThrow('must not contain "/"');
  });

  it('encodes in struct order with omitempty, decodes back', () => {
    const text = encodeCachedInfo({
      containerID: 'id',
      config: Buffer.from('{"name":"n"}'),
      ifName: 'eth0',
      networkName: 'n',
      netns: '',
      cniArgs: [],
      capabilityArgs: {},
    });
    expect(text).toBe(
      '{"kind":"cniCacheV1","containerId":"id","config":"eyJuYW1lIjoibiJ9","ifName":"eth0","networkName":"n"}',
    );
    const info = decodeCachedInfo(text);
    expect(info).toMatchObject({
      kind: 'cniCacheV1',
      containerId: 'id',
      ifName: 'eth0',
      networkName: 'n',
      netns: '',
    });
    expect(info.config.toString()).toBe('{"name":"n"}');
  });

  it('rejects what Go cannot unmarshal', () => {
    expect(() => decodeCachedInfo('{"kind":1}')).toThrow(
      'json: cannot unmarshal number into Go struct field cachedInfo.kind of type string',
    );
    expect(() => decodeCachedInfo('{"config":"***"}')).toThrow('illegal base64 data');
    expect(() => decodeCachedInfo('{"cniArgs":[[1,"x"]]}')).toThrow('cachedInfo.cniArgs of type string');
  });

  it('reads a result, also legacy; converts to the requested version', () => {
    const v1 = Buffer.from(
      '{"kind":"cniCacheV1","containerId":"i","config":"","ifName":"e","networkName":"n","result":{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}}',
    );
    expect(cachedResultFrom(v1, '1.0.0')).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
    const legacy = Buffer.from('{"ip4":{"ip":"10.0.0.3/24"}}'); // no cniVersion: 0.1.0
    expect(cachedResultFrom(legacy, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      ips: [{ address: '10.0.0.3/24' }],
    });
    expect(() => cachedResultFrom(Buffer.from('{"cniVersion":"1.0.0"}'), '0.2.0')).toThrow(
      'failed to convert cached result to config version "0.2.0": cannot convert: no valid IP addresses',
    );
  });
});
