import { describe, expect, it } from 'vitest';
import { CniError } from './errors.js';
import type { Result } from './types.js';
import { type CmdArgs, type PluginDef, runPlugin } from './skel.js';
import { SPEC_VERSIONS } from './version.js';

const RESULT: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox: '/run/netns/x', mtu: 1500 }],
  ips: [{ interface: 0, address: '10.1.0.5/24', gateway: '10.1.0.1' }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
};

function plugin(over: Partial<PluginDef> = {}): PluginDef & { calls: CmdArgs[] } {
  const calls: CmdArgs[] = [];
  return {
    type: 'test',
    versions: SPEC_VERSIONS,
    about: 'CNI test plugin v1',
    add: (a) => {
      calls.push(a);
      return RESULT;
    },
    del: (a) => {
      calls.push(a);
    },
    check: (a) => {
      calls.push(a);
    },
    ...over,
    calls,
  };
}

const baseEnv = {
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/does-not-exist',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
};
const conf = (o: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'net', type: 'test', ...o }));

async function run(def: PluginDef, env: Record<string, string | undefined>, stdin: Buffer | string = conf()) {
  const out = await runPlugin(def, env, typeof stdin === 'string' ? Buffer.from(stdin) : stdin);
  return { ...out, json: out.stdout ? JSON.parse(out.stdout) : undefined };
}

describe('dispatcher: environment', () => {
  it('no CNI_COMMAND and an about string: about + versions on stderr, exit 0', async () => {
    const r = await run(plugin(), {});
    expect(r).toMatchObject({
      exitCode: 0,
      stdout: '',
      stderr:
        'CNI test plugin v1\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n',
    });
  });

  it('no CNI_COMMAND and no about: code 4', async () => {
    const r = await run(plugin({ about: '' }), { CNI_COMMAND: '' });
    expect(r.exitCode).toBe(1);
    expect(r.json).toEqual({ code: 4, msg: 'required env variables [CNI_COMMAND] missing' });
  });

  const missing: [string, string][] = [
    ['ADD', 'CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH'],
    ['CHECK', 'CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH'],
    ['DEL', 'CNI_CONTAINERID,CNI_IFNAME,CNI_PATH'],
    ['GC', 'CNI_PATH'],
    ['STATUS', 'CNI_PATH'],
  ];
  for (const [cmd, vars] of missing) {
    it(`${cmd} without its variables: code 4 naming them in Go's order (empty counts as missing)`, async () => {
      const r = await run(plugin(), { CNI_COMMAND: cmd, CNI_NETNS: '', CNI_PATH: '' });
      expect(r.exitCode).toBe(1);
      expect(r.json).toEqual({ code: 4, msg: `required env variables [${vars}] missing` });
    });
  }

  it('DEL does not need CNI_NETNS', async () => {
    const def = plugin();
    const r = await run(def, { ...baseEnv, CNI_COMMAND: 'DEL', CNI_NETNS: '' });
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    expect(def.calls).toHaveLength(1);
  });

  it('an invalid container ID is reported (code 4, details) before missing variables', async () => {
    const r = await run(plugin(), { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'a/b' });
    expect(r.json).toEqual({ code: 4, msg: 'invalid characters in containerID', details: 'a/b' });
  });

  it('an invalid interface name: code 4', async () => {
    const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: 'ADD', CNI_IFNAME: 'a:b' });
    expect(r.json).toEqual({ code: 4, msg: 'interface name contains / or : or whitespace characters' });
    const long = await run(plugin(), { ...baseEnv, CNI_COMMAND: 'DEL', CNI_IFNAME: 'x'.repeat(16) });
    expect(long.json.msg).toBe('interface name is too long');
  });

  it('GC and STATUS ignore container ID and interface name', async () => {
    const gc = await run(
      plugin(),
      { CNI_COMMAND: 'GC', CNI_PATH: '/x', CNI_CONTAINERID: 'a/b', CNI_IFNAME: 'a b' },
      conf({ cniVersion: '1.1.0' }),
    );
    expect(gc).toMatchObject({ exitCode: 0, stdout: '' });
  });

  it('an unknown command: code 4, after the config was validated', async () => {
    const r = await run(plugin(), { CNI_COMMAND: 'FOO' });
    expect(r.json).toEqual({ code: 4, msg: 'unknown CNI_COMMAND: FOO' });
    const bad = await run(plugin(), { CNI_COMMAND: 'FOO' }, '{');
    expect(bad.json.code).toBe(6);
  });
});

describe('dispatcher: VERSION', () => {
  it('prints the current version and the supported list, compact, with a newline; stdin is not read', async () => {
    const out = await runPlugin(plugin({ versions: ['0.3.1', '1.0.0'] }), { CNI_COMMAND: 'VERSION' }, () => {
      throw new Error('stdin must not be read');
    });
    expect(out).toEqual({
      exitCode: 0,
      stdout: '{"cniVersion":"1.1.0","supportedVersions":["0.3.1","1.0.0"]}\n',
      stderr: '',
    });
  });
});

describe('dispatcher: stdin and config', () => {
  it('a stdin read error: code 5', async () => {
    const out = await runPlugin(plugin(), { ...baseEnv, CNI_COMMAND: 'ADD' }, async () => {
      throw new Error('read /dev/stdin: bad file descriptor');
    });
    expect(JSON.parse(out.stdout)).toEqual({
      code: 5,
      msg: 'error reading from stdin: read /dev/stdin: bad file descriptor',
    });
  });

  const cases: [string, string, object][] = [
    ['empty stdin', '', { code: 6, msg: 'error unmarshall network config: unexpected end of JSON input' }],
    [
      'a JSON array',
      '[1]',
      {
        code: 6,
        msg: 'error unmarshall network config: json: cannot unmarshal array into Go value of type struct { Name string "json:\\"name\\"" }',
      },
    ],
    [
      'a numeric name',
      '{"name":5}',
      {
        code: 6,
        msg: 'error unmarshall network config: json: cannot unmarshal number into Go struct field .name of type string',
      },
    ],
    ['JSON null', 'null', { code: 7, msg: 'missing network name' }],
    ['no name', '{"cniVersion":"1.0.0"}', { code: 7, msg: 'missing network name' }],
    [
      'a bad name',
      '{"name":"a b"}',
      { code: 7, msg: 'invalid characters found in network name', details: 'a b' },
    ],
    [
      'a numeric cniVersion',
      '{"name":"n","cniVersion":1}',
      {
        code: 6,
        msg: 'decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string',
      },
    ],
    [
      'an unsupported version',
      '{"name":"n","cniVersion":"9.9.9"}',
      {
        code: 1,
        msg: 'incompatible CNI versions',
        details:
          'config is "9.9.9", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]',
      },
    ],
    [
      'a version that is not exact',
      '{"name":"n","cniVersion":"1.0"}',
      { code: 1, msg: 'incompatible CNI versions' },
    ],
  ];
  for (const [what, stdin, want] of cases) {
    it(`${what}: ${JSON.stringify(want)}`, async () => {
      const def = plugin();
      const r = await run(def, { ...baseEnv, CNI_COMMAND: 'ADD' }, stdin);
      expect(r.exitCode).toBe(1);
      expect(r.json).toMatchObject(want);
      expect(def.calls).toHaveLength(0);
    });
  }

  it('a config without cniVersion is 0.1.0 and its result has no cniVersion key', async () => {
    const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: 'ADD' }, '{"name":"n"}');
    expect(r.exitCode).toBe(0);
    expect(r.json).toEqual({
      ip4: { ip: '10.1.0.5/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      dns: {},
    });
    const narrow = await run(
      plugin({ versions: ['0.3.1'] }),
      { ...baseEnv, CNI_COMMAND: 'ADD' },
      '{"name":"n"}',
    );
    expect(narrow.json.details).toBe('config is "0.1.0", plugin supports ["0.3.1"]');
  });

  it('reads name and cniVersion case-insensitively', async () => {
    const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: 'ADD' }, '{"NAME":"n","CNIVersion":"0.4.0"}');
    expect(r.json.cniVersion).toBe('0.4.0');
  });
});

describe('dispatcher: ADD', () => {
  for (const v of SPEC_VERSIONS) {
    it(`prints the handler's result as ${v}, 4-space indented, no newline`, async () => {
      const def = plugin();
      const r = await run(def, { ...baseEnv, CNI_COMMAND: 'ADD', CNI_ARGS: 'K=V' }, conf({ cniVersion: v }));
      expect(r.exitCode).toBe(0);
      expect(r.json.cniVersion).toBe(v);
      expect(r.stdout.startsWith('{\n    "cniVersion"')).toBe(true);
      expect(r.stdout.endsWith('}')).toBe(true);
      expect(def.calls[0]).toEqual({
        command: 'ADD',
        containerID: 'c1',
        netns: '/run/netns/does-not-exist',
        ifName: 'eth0',
        args: 'K=V',
        path: '/opt/cni/bin',
        stdinData: conf({ cniVersion: v }),
        env: { ...baseEnv, CNI_COMMAND: 'ADD', CNI_ARGS: 'K=V' },
      });
    });
  }

  it('a result that cannot be expressed in the config version: code 999', async () => {
    const r = await run(
      plugin({ add: () => ({ cniVersion: '1.0.0', interfaces: [{ name: 'x' }] }) }),
      { ...baseEnv, CNI_COMMAND: 'ADD' },
      conf({ cniVersion: '0.2.0' }),
    );
    expect(r.json).toEqual({ code: 999, msg: 'cannot convert: no valid IP addresses' });
  });

  it('a handler returning nothing prints nothing', async () => {
    const r = await run(plugin({ add: () => undefined }), { ...baseEnv, CNI_COMMAND: 'ADD' });
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
  });

  it('a handler may print verbatim and choose its exit code (RawOutput)', async () => {
    const r = await runPlugin(
      plugin({ add: () => ({ rawStdout: 'hello', rawStderr: 'log\n', exitCode: 3 }) }),
      { ...baseEnv, CNI_COMMAND: 'ADD' },
      conf(),
    );
    expect(r).toEqual({ exitCode: 3, stdout: 'hello', stderr: 'log\n' });
  });
});

describe('dispatcher: handler errors', () => {
  it('a CniError is printed as is', async () => {
    const r = await run(
      plugin({
        add: () => {
          throw new CniError(11, 'busy', 'try later');
        },
      }),
      { ...baseEnv, CNI_COMMAND: 'ADD' },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('{\n    "code": 11,\n    "msg": "busy",\n    "details": "try later"\n}');
  });

  it('any other exception (sync, async, non-Error) is code 999 with its message, no stack', async () => {
    for (const add of [
      () => {
        throw new TypeError('boom');
      },
      async () => {
        throw new Error('boom');
      },
      () => Promise.reject('boom'),
    ]) {
      const r = await run(plugin({ add }), { ...baseEnv, CNI_COMMAND: 'ADD' });
      expect(r.stdout).toBe('{\n    "code": 999,\n    "msg": "boom"\n}');
    }
  });

  it('DEL errors too', async () => {
    const r = await run(
      plugin({
        del: () => {
          throw new Error('gone wrong');
        },
      }),
      { ...baseEnv, CNI_COMMAND: 'DEL' },
    );
    expect(r.json).toEqual({ code: 999, msg: 'gone wrong' });
  });
});

describe("dispatcher: CNI_NETNS must not be the plugin's own netns", () => {
  const own = '/proc/self/ns/net';
  for (const cmd of ['ADD', 'DEL']) {
    it(`${cmd}: code 8, checked after the handler ran`, async () => {
      const def = plugin();
      const r = await run(def, { ...baseEnv, CNI_COMMAND: cmd, CNI_NETNS: own });
      expect(r.json).toEqual({
        code: 8,
        msg: "plugin's netns and netns from CNI_NETNS should not be the same",
      });
      expect(def.calls).toHaveLength(1);
    });
  }

  for (const override of ['true', 'TRUE', 'True', '1']) {
    it(`CNI_NETNS_OVERRIDE=${override} skips it`, async () => {
      const r = await run(plugin(), {
        ...baseEnv,
        CNI_COMMAND: 'ADD',
        CNI_NETNS: own,
        CNI_NETNS_OVERRIDE: override,
      });
      expect(r.exitCode).toBe(0);
    });
  }

  it('CNI_NETNS_OVERRIDE=0 does not', async () => {
    const r = await run(plugin(), {
      ...baseEnv,
      CNI_COMMAND: 'ADD',
      CNI_NETNS: own,
      CNI_NETNS_OVERRIDE: '0',
    });
    expect(r.json.code).toBe(8);
  });

  it('CHECK is not checked', async () => {
    const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: 'CHECK', CNI_NETNS: own });
    expect(r.exitCode).toBe(0);
  });
});

describe('dispatcher: CHECK, GC, STATUS version gates', () => {
  const gates: [string, string, string][] = [
    ['CHECK', '0.3.1', '0.4.0'],
    ['GC', '1.0.0', '1.1.0'],
    ['STATUS', '1.0.0', '1.1.0'],
  ];
  for (const [cmd, tooOld, min] of gates) {
    it(`${cmd} with a ${tooOld} config: code 1 "config version does not allow ${cmd}"`, async () => {
      const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: cmd }, conf({ cniVersion: tooOld }));
      expect(r.json).toEqual({ code: 1, msg: `config version does not allow ${cmd}` });
    });

    it(`${cmd} with a plugin whose versions are all older than the config: "plugin version does not allow ${cmd}"`, async () => {
      const r = await run(
        plugin({ versions: ['0.1.0', min] }),
        { ...baseEnv, CNI_COMMAND: cmd },
        conf({ cniVersion: '1.2.0' }),
      );
      expect(r.json).toEqual({ code: 1, msg: `plugin version does not allow ${cmd}` });
    });

    it(`${cmd} with a garbage config version: code 6`, async () => {
      const r = await run(plugin(), { ...baseEnv, CNI_COMMAND: cmd }, conf({ cniVersion: 'x.1' }));
      expect(r.json).toEqual({
        code: 6,
        msg: 'failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax',
      });
    });

    it(`${cmd} passes the gate but still needs an exact version match`, async () => {
      const r = await run(
        plugin({ versions: ['1.1.0', '2.0.0'] }),
        { ...baseEnv, CNI_COMMAND: cmd },
        conf({ cniVersion: min === '0.4.0' ? '1.0.0' : '1.1.1' }),
      );
      expect(r.json.msg).toBe('incompatible CNI versions');
    });
  }

  it('GC and STATUS without handlers succeed silently; with handlers they are called', async () => {
    const calls: string[] = [];
    const c = conf({ cniVersion: '1.1.0' });
    expect(await run(plugin(), { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, c)).toMatchObject({
      exitCode: 0,
      stdout: '',
    });
    expect(await run(plugin(), { CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, c)).toMatchObject({
      exitCode: 0,
      stdout: '',
    });
    const def = plugin({
      gc: (a) => {
        calls.push(a.command);
      },
      status: () => {
        throw new CniError(50, 'not ready');
      },
    });
    expect(await run(def, { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, c)).toMatchObject({ exitCode: 0 });
    expect(calls).toEqual(['GC']);
    expect((await run(def, { CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, c)).json).toEqual({
      code: 50,
      msg: 'not ready',
    });
  });

  it('CHECK calls the handler for 0.4.0 and later configs', async () => {
    for (const v of ['0.4.0', '1.0.0', '1.1.0']) {
      const def = plugin();
      expect((await run(def, { ...baseEnv, CNI_COMMAND: 'CHECK' }, conf({ cniVersion: v }))).exitCode).toBe(
        0,
      );
      expect(def.calls.map((c) => c.command)).toEqual(['CHECK']);
    }
  });
});
