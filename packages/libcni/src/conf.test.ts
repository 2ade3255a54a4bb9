// Loading network configurations: order, fallbacks, version negotiation and the Go error texts.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  confFiles,
  confFromBytes,
  confListFromConf,
  loadNetworkConf,
  networkConfFromBytes,
  networkConfFromFile,
} from './conf.js';
import { NoConfigsFoundError, NotFoundError } from './errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'libcni-conf-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, v: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};
const list = (name: string, extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.0.0',
  name,
  plugins: [{ type: 'noop' }],
  ...extra,
});

describe('confFiles', () => {
  it('lists files with exactly the extensions, in name order, skipping directories', () => {
    write('b.conflist', '{}');
    write('a.conf', '{}');
    write('c.json', '{}');
    write('d.conflist.bak', '{}');
    write('.conflist', '{}');
    mkdirSync(join(dir, 'e.conflist'));
    symlinkSync(join(dir, 'b.conflist'), join(dir, 'f.conflist'));
    expect(confFiles(dir, ['.conflist'])).toEqual(
      ['.conflist', 'b.conflist', 'f.conflist'].map((n) => join(dir, n)),
    );
    expect(confFiles(dir, ['.conf', '.json'])).toEqual([join(dir, 'a.conf'), join(dir, 'c.json')]);
  });

  it('gives [] for a missing directory and an error for a file', () => {
    expect(confFiles(join(dir, 'nope'), ['.conf'])).toEqual([]);
    const f = write('x.conf', '{}');
    expect(() => confFiles(f, ['.conf'])).toThrow(`readdirent ${f}: not a directory`);
  });
});

describe('networkConfFromBytes', () => {
  it('parses a list, keeps its bytes, re-marshals plugins with sorted keys', () => {
    const text = '{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"bridge","z":1,"a":{"y":2,"b":3}}]}';
    const l = networkConfFromBytes(text);
    expect(l.name).toBe('n');
    expect(l.cniVersion).toBe('1.0.0');
    expect(l.bytes.toString()).toBe(text);
    expect(l.disableCheck).toBe(false);
    expect(l.plugins).toHaveLength(1);
    expect(l.plugins[0]?.bytes.toString()).toBe('{"a":{"b":3,"y":2},"type":"bridge","z":1}');
    expect(l.plugins[0]?.network.type).toBe('bridge');
  });

  it('reports the Go errors', () => {
    const cases: [string, string][] = [
      ['{', 'error parsing configuration list: unexpected end of JSON input'],
      [
        '[]',
        'error parsing configuration list: json: cannot unmarshal array into Go value of type map[string]interface {}',
      ],
      ['{}', 'error parsing configuration list: no name'],
      ['{"name":5}', 'error parsing configuration list: invalid name type float64'],
      ['{"name":null}', 'error parsing configuration list: invalid name type <nil>'],
      ['{"name":"n","cniVersion":true}', 'error parsing configuration list: invalid cniVersion type bool'],
      [
        '{"name":"n","cniVersions":"1.0.0"}',
        'error parsing configuration list: invalid type for cniVersions: []interface {}',
      ],
      [
        '{"name":"n","cniVersions":["1.0.0",2]}',
        'error parsing configuration list: invalid type for cniVersions index 1: float64',
      ],
      [
        '{"name":"n","cniVersions":["x.0"]}',
        'error parsing configuration list: invalid cniVersions entry x.0 at index 0: failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax',
      ],
      [
        '{"name":"n","disableCheck":1}',
        'error parsing configuration list: invalid type float64 for disableCheck',
      ],
      [
        '{"name":"n","disableGC":"Yes"}',
        'error parsing configuration list: invalid value "yes" for disableGC',
      ],
      [
        '{"name":"n","loadOnlyInlinedPlugins":true}',
        "error parsing configuration list: `loadOnlyInlinedPlugins` is true, and no 'plugins' key",
      ],
      [
        '{"name":"n","plugins":{}}',
        "error parsing configuration list: invalid 'plugins' type map[string]interface {}",
      ],
      ['{"name":"n","plugins":[]}', 'error parsing configuration list: no plugins in list'],
      [
        '{"name":"n","plugins":[{"type":"a"},{}]}',
        "failed to parse plugin config 1: error parsing configuration: missing 'type'",
      ],
      [
        '{"name":"n","plugins":[{"type":7}]}',
        'failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal number into Go struct field PluginConf.type of type string',
      ],
      [
        '{"name":"n","plugins":[{"type":"a","capabilities":{"mac":"yes"}}]}',
        'failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool',
      ],
    ];
    for (const [text, msg] of cases) expect(() => networkConfFromBytes(text), text).toThrow(msg);
  });

  it('accepts booleans as JSON or as strings in any case', () => {
    const l = networkConfFromBytes(
      JSON.stringify(list('n', { disableCheck: 'TRUE', disableGC: true, loadOnlyInlinedPlugins: 'false' })),
    );
    expect([l.disableCheck, l.disableGC, l.loadOnlyInlinedPlugins]).toEqual([true, true, false]);
  });

  it('negotiates cniVersions: highest not newer than 1.1.0, cniVersion included', () => {
    const v = (extra: Record<string, unknown>) =>
      networkConfFromBytes(JSON.stringify({ name: 'n', ...extra }));
    expect(v({ cniVersions: ['0.3.1', '1.0.0', '0.4.0'] }).cniVersion).toBe('1.0.0');
    expect(v({ cniVersion: '1.1.0', cniVersions: ['0.4.0'] }).cniVersion).toBe('1.1.0');
    expect(v({ cniVersion: '0.3.1', cniVersions: ['1.0.0', '9.9.9'] }).cniVersion).toBe('1.0.0');
    expect(v({ cniVersions: ['1.0.0', '1.2.0'] }).cniVersions).toEqual(['1.0.0']);
    // nothing usable: cniVersion stays as written
    expect(v({ cniVersion: '2.0.0', cniVersions: ['3.0.0'] }).cniVersion).toBe('2.0.0');
    expect(v({}).cniVersion).toBe('');
  });

  it('allows a list without plugins (they may come from the sibling folder)', () => {
    expect(networkConfFromBytes('{"name":"n"}').plugins).toEqual([]);
  });
});

describe('networkConfFromFile and the sibling plugin folder', () => {
  it('appends <dir>/<name>/*.conf after the inlined plugins unless loadOnlyInlinedPlugins', () => {
    const f = write('10-n.conflist', list('net', { plugins: [{ type: 'first' }] }));
    mkdirSync(join(dir, 'net'));
    write('net/b.conf', { type: 'third' });
    write('net/a.conf', { type: 'second' });
    write('net/c.json', { type: 'ignored' });
    expect(networkConfFromFile(f).plugins.map((p) => p.network.type)).toEqual(['first', 'second', 'third']);
    const g = write(
      '20-n.conflist',
      list('net', { plugins: [{ type: 'first' }], loadOnlyInlinedPlugins: true }),
    );
    expect(networkConfFromFile(g).plugins.map((p) => p.network.type)).toEqual(['first']);
  });

  it('loads a list whose plugins are all in the folder; none at all is an error', () => {
    const f = write('n.conflist', { cniVersion: '1.0.0', name: 'net' });
    expect(() => networkConfFromFile(f)).toThrow('no plugin configs found');
    mkdirSync(join(dir, 'net'));
    write('net/p.conf', { type: 'only' });
    expect(networkConfFromFile(f).plugins.map((p) => p.network.type)).toEqual(['only']);
    write('net/q.conf', { name: 'x' });
    expect(() => networkConfFromFile(f)).toThrow(
      `${join(dir, 'net/q.conf')}: error parsing configuration: missing 'type'`,
    );
  });

  it('names the file in read and parse errors', () => {
    const missing = join(dir, 'missing.conflist');
    expect(() => networkConfFromFile(missing)).toThrow(
      `error reading ${missing}: open ${missing}: no such file or directory`,
    );
    const bad = write('bad.conflist', '{"name": }');
    expect(() => networkConfFromFile(bad)).toThrow(
      `${bad}: error parsing configuration list: invalid character '}' looking for beginning of value`,
    );
  });
});

describe('loadNetworkConf', () => {
  it('takes the first conflist (sorted) with the name', () => {
    write('20-b.conflist', list('net', { plugins: [{ type: 'second' }] }));
    write('10-a.conflist', list('net', { plugins: [{ type: 'first' }] }));
    write('05-other.conflist', list('other'));
    expect(loadNetworkConf(dir, 'net').plugins[0]?.network.type).toBe('first');
  });

  it('aborts on a parse error in any conflist, even one before the match', () => {
    write('00-bad.conflist', '{"name":"x","plugins":[]}');
    write('10-a.conflist', list('net'));
    expect(() => loadNetworkConf(dir, 'net')).toThrow('error parsing configuration list: no plugins in list');
  });

  it('falls back to .conf/.json and up-converts to a one-plugin list', () => {
    write('a.json', { cniVersion: '0.4.0', name: 'other', type: 'x' });
    write('b.conf', { cniVersion: '0.4.0', name: 'net', type: 'bridge', bridge: 'br0' });
    write('c.conf', { cniVersion: '0.4.0', name: 'net', type: 'later' });
    const l = loadNetworkConf(dir, 'net');
    expect(l.name).toBe('net');
    expect(l.cniVersion).toBe('0.4.0');
    expect(l.plugins.map((p) => p.network.type)).toEqual(['bridge']);
    expect(l.bytes.toString()).toBe(
      '{"cniVersion":"0.4.0","name":"net","plugins":[{"bridge":"br0","cniVersion":"0.4.0","name":"net","type":"bridge"}]}',
    );
  });

  it('reports no configs, and not found (also when only conflists exist)', () => {
    expect(() => loadNetworkConf(dir, 'net')).toThrow(NoConfigsFoundError);
    expect(() => loadNetworkConf(dir, 'net')).toThrow(`no net configurations found in ${dir}`);
    expect(() => loadNetworkConf(join(dir, 'missing'), 'net')).toThrow(NoConfigsFoundError);
    write('a.conflist', list('other'));
    expect(() => loadNetworkConf(dir, 'net')).toThrow(NotFoundError);
    expect(() => loadNetworkConf(dir, 'net')).toThrow(`no net configuration with name "net" in ${dir}`);
    write('b.conf', { name: 'other2', type: 'x' });
    expect(() => loadNetworkConf(dir, 'net')).toThrow(`no net configuration with name "net" in ${dir}`);
  });
});

describe('confFromBytes / confListFromConf', () => {
  it('needs a type', () => {
    expect(() => confFromBytes('{"name":"x"}')).toThrow("error parsing configuration: missing 'type'");
    expect(() => confFromBytes('[1]')).toThrow(
      'error parsing configuration: json: cannot unmarshal array into Go value of type types.PluginConf',
    );
    const c = confFromBytes('{"Type":"bridge","capabilities":{"mac":true,"ips":false}}');
    expect(c.network.type).toBe('bridge');
    expect(c.network.capabilities).toEqual({ mac: true, ips: false });
  });

  it('wraps one plugin into a list with its name and version', () => {
    const l = confListFromConf(confFromBytes('{"type":"t","name":"n","cniVersion":"0.3.1"}'));
    expect([l.name, l.cniVersion, l.plugins.length]).toEqual(['n', '0.3.1', 1]);
  });
});
