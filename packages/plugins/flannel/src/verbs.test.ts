import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlugin } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlannelPlugin } from './index.js';

// A fake delegate (a shell script found in CNI_PATH as bridge, win-bridge, …): it records its
// stdin per command, the mode of the saved config at the time it runs, and answers from files.
const FAKE = `#!/bin/sh
d="$FAKE_DIR"
cat > "$d/stdin.$CNI_COMMAND"
echo "$CNI_COMMAND \${0##*/}" >> "$d/log"
if [ -n "$FAKE_SAVED" ] && [ -f "$FAKE_SAVED" ]; then
  stat -c %a "$FAKE_SAVED" > "$d/saved-mode.$CNI_COMMAND"
  stat -c %a "$(dirname "$FAKE_SAVED")" > "$d/dir-mode.$CNI_COMMAND"
  cp "$FAKE_SAVED" "$d/saved-copy.$CNI_COMMAND"
fi
if [ -f "$d/fail.$CNI_COMMAND" ]; then cat "$d/fail.$CNI_COMMAND"; exit 1; fi
if [ "$CNI_COMMAND" = ADD ]; then cat "$d/result"; fi
exit 0
`;

const V4_ENV =
  'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n';
const RESULT_031 = {
  cniVersion: '0.3.1',
  interfaces: [{ name: 'cni0', mac: '0a:58:0a:01:11:01' }],
  ips: [{ version: '4', address: '10.1.17.2/24', gateway: '10.1.17.1', interface: 0 }],
  routes: [{ dst: '10.1.0.0/16', gw: '10.1.17.1' }],
};

let dir: string;
let bin: string;
let dataDir: string;
let subnetFile: string;
let logged: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flannel-verbs-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const t of ['bridge', 'win-bridge', 'ptp']) {
    writeFileSync(join(bin, t), FAKE);
    chmodSync(join(bin, t), 0o755);
  }
  dataDir = join(dir, 'data', 'flannel');
  subnetFile = join(dir, 'subnet.env');
  writeFileSync(subnetFile, V4_ENV);
  writeFileSync(join(dir, 'result'), JSON.stringify(RESULT_031));
  logged = [];
  process.env.CNI_PATH = bin;
  process.env.FAKE_DIR = dir;
  process.env.FAKE_SAVED = join(dataDir, 'ctr1');
});

afterEach(() => {
  for (const k of ['CNI_PATH', 'FAKE_DIR', 'FAKE_SAVED']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  rmSync(dir, { recursive: true, force: true });
});

interface RunOpts {
  containerID?: string;
  netns?: string;
  platform?: NodeJS.Platform;
}

async function run(command: string, conf: Record<string, unknown>, o: RunOpts = {}) {
  const plugin = createFlannelPlugin({ platform: o.platform ?? 'linux', log: (t) => logged.push(t) });
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: o.containerID ?? 'ctr1',
    CNI_NETNS: o.netns ?? '/var/run/netns/flannel-test-none',
    CNI_IFNAME: 'eth0',
    CNI_PATH: bin,
  };
  const out = await runPlugin(plugin, env, Buffer.from(JSON.stringify(conf)));
  // biome-ignore lint/suspicious/noExplicitAny: test output
  let json: any;
  try {
    json = out.stdout ? JSON.parse(out.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { ...out, json };
}

const conf = (o: Record<string, unknown> = {}) => ({
  cniVersion: '0.3.1',
  name: 'cbr0',
  type: 'flannel',
  subnetFile,
  dataDir,
  ...o,
});
const calls = () =>
  existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').trim().split('\n') : [];
const fake = (name: string) => readFileSync(join(dir, name), 'utf8');
const savedPath = () => join(dataDir, 'ctr1');

describe('ADD', () => {
  it('saves the delegate config (0600 in 0700) before delegating and prints its result as is', async () => {
    const r = await run('ADD', conf({ delegate: { hairpinMode: true, isDefaultGateway: true } }));
    expect(r.exitCode).toBe(0);
    // Go's Print of a 0.3.1 result: its field order, dns always present, 4-space indent
    expect(r.stdout).toBe(
      JSON.stringify(
        {
          cniVersion: '0.3.1',
          interfaces: RESULT_031.interfaces,
          ips: [{ version: '4', interface: 0, address: '10.1.17.2/24', gateway: '10.1.17.1' }],
          routes: RESULT_031.routes,
          dns: {},
        },
        null,
        4,
      ),
    );
    const expected =
      '{"cniVersion":"0.3.1","hairpinMode":true,"ipMasq":false,"ipam":{"ranges":[[{"subnet":"10.1.17.0/24"}]],' +
      '"routes":[{"dst":"10.1.0.0/16"}],"type":"host-local"},"isDefaultGateway":true,"isGateway":true,' +
      '"mtu":1472,"name":"cbr0","type":"bridge"}';
    expect(readFileSync(savedPath(), 'utf8')).toBe(expected);
    expect(fake('stdin.ADD')).toBe(expected);
    // at the time the delegate ran, the file was already there with its final content and modes
    expect(fake('saved-copy.ADD')).toBe(expected);
    expect(fake('saved-mode.ADD').trim()).toBe('600');
    expect(fake('dir-mode.ADD').trim()).toBe('700');
    expect(statSync(savedPath()).mode & 0o777).toBe(0o600);
    expect(calls()).toEqual(['ADD bridge']);
    expect(logged.join('')).toContain(expected);
  });

  it('keeps the result in the delegate version, without conversion', async () => {
    const r = await run('ADD', conf({ cniVersion: '1.0.0' }));
    expect(r.exitCode).toBe(0);
    expect(r.json.cniVersion).toBe('0.3.1');
    expect(r.json.ips[0].version).toBe('4');
    // a result that states no version is read as the delegate config's version
    const { cniVersion: _v, ...bare } = RESULT_031;
    writeFileSync(join(dir, 'result'), JSON.stringify(bare));
    const r2 = await run('ADD', conf({ cniVersion: '0.4.0' }));
    expect(r2.json.cniVersion).toBe('0.4.0');
  });

  it('reports a missing subnet.env with the hint to check the flannel pod log', async () => {
    rmSync(subnetFile);
    const r = await run('ADD', conf());
    expect(r.exitCode).toBe(1);
    expect(r.json).toEqual({
      code: 999,
      msg: `failed to load flannel 'subnet.env' file: open ${subnetFile}: no such file or directory. Check the flannel pod log for this node.`,
    });
    writeFileSync(subnetFile, 'FLANNEL_MTU=1472\n');
    const r2 = await run('ADD', conf());
    expect(r2.json.msg).toBe(
      `failed to load flannel 'subnet.env' file: ${subnetFile} is missing FLANNEL_NETWORK, FLANNEL_IPV6_NETWORK, FLANNEL_SUBNET, FLANNEL_IPV6_SUBNET, FLANNEL_IPMASQ. Check the flannel pod log for this node.`,
    );
    expect(calls()).toEqual([]);
    expect(existsSync(savedPath())).toBe(false);
  });

  it('prefixes config errors and rejects bad delegates before saving anything', async () => {
    const r = await run('ADD', conf({ dataDir: 1 }));
    expect(r.json).toEqual({
      code: 999,
      msg: 'failed to load flannel netconf file: failed to load netconf: key "dataDir" must be a string, got number 1',
    });
    const r2 = await run('ADD', conf({ delegate: { name: 'x' } }));
    expect(r2.json.msg).toBe("'delegate' dictionary must not have 'name' field, it'll be set by flannel");
    const r3 = await run('ADD', conf({ ipam: { routes: [{ dst: 'nope' }] } }));
    expect(r3.json.msg).toBe(
      'failed to assemble Delegate IPAM: failed to read IPAM routes: failed to parse ipam.routes: invalid CIDR address: nope',
    );
    expect(existsSync(savedPath())).toBe(false);
  });

  it('fails with an empty dataDir (not defaulted)', async () => {
    const r = await run('ADD', conf({ dataDir: '' }));
    expect(r.json).toEqual({ code: 999, msg: 'mkdir : no such file or directory' });
  });

  it('reports a delegate that is not in CNI_PATH, after saving the config', async () => {
    const r = await run('ADD', conf({ delegate: { type: 'nope' } }));
    expect(r.json).toEqual({
      code: 999,
      msg: `failed to delegate add: failed to find plugin "nope" in path [${bin}]`,
    });
    expect(JSON.parse(readFileSync(savedPath(), 'utf8')).type).toBe('nope');
  });

  it("passes the delegate's CNI error through as it is", async () => {
    writeFileSync(
      join(dir, 'fail.ADD'),
      JSON.stringify({ code: 11, msg: 'try again later', details: 'busy' }),
    );
    const r = await run('ADD', conf());
    expect(r.exitCode).toBe(1);
    expect(r.json).toEqual({ code: 11, msg: 'try again later', details: 'busy' });
  });

  it('uses the delegate type given and isGateway only for bridge', async () => {
    await run('ADD', conf({ delegate: { type: 'ptp' } }));
    expect(calls()).toEqual(['ADD ptp']);
    expect(JSON.parse(fake('stdin.ADD'))).not.toHaveProperty('isGateway');
  });

  it('rejects a container ID that would escape dataDir (skel check, code 4)', async () => {
    const r = await run('ADD', conf(), { containerID: '../../etc' });
    expect(r.json).toEqual({ code: 4, msg: 'invalid characters in containerID', details: '../../etc' });
    expect(calls()).toEqual([]);
  });
});

describe('DEL', () => {
  it('replays the saved config byte for byte after subnet.env changed, ignoring DEL-time runtimeConfig', async () => {
    await run(
      'ADD',
      conf({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } }),
    );
    const atAdd = readFileSync(savedPath(), 'utf8');
    expect(JSON.parse(atAdd).runtimeConfig.portMappings[0].hostPort).toBe(8080);
    writeFileSync(subnetFile, V4_ENV.replace('10.1.17.1/24', '10.1.99.1/24'));
    const r = await run('DEL', conf({ runtimeConfig: { portMappings: [] }, cniVersion: '1.0.0' }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(fake('stdin.DEL')).toBe(atAdd);
    expect(existsSync(savedPath())).toBe(false);
    expect(calls()).toEqual(['ADD bridge', 'DEL bridge']);
  });

  it('works with subnet.env deleted, and a second DEL succeeds without the delegate', async () => {
    await run('ADD', conf());
    rmSync(subnetFile);
    expect((await run('DEL', conf())).exitCode).toBe(0);
    expect((await run('DEL', conf())).exitCode).toBe(0);
    expect(calls()).toEqual(['ADD bridge', 'DEL bridge']);
  });

  it('succeeds when nothing was saved', async () => {
    const r = await run('DEL', conf());
    expect(r.exitCode).toBe(0);
    expect(calls()).toEqual([]);
    expect((await run('DEL', conf({ dataDir: '' }))).exitCode).toBe(0);
  });

  it('tolerates an empty or corrupt saved file: success, logged, file kept', async () => {
    for (const content of ['', '{"type":', '[1]', '{"type":5}']) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(savedPath(), content);
      logged = [];
      const r = await run('DEL', conf());
      expect(r.exitCode, content).toBe(0);
      expect(logged.join(''), content).toContain('failed to parse netconf: ');
      expect(readFileSync(savedPath(), 'utf8')).toBe(content);
    }
    expect(calls()).toEqual([]);
  });

  it("keeps the file when the delegate's DEL fails, so a retry finishes", async () => {
    await run('ADD', conf());
    writeFileSync(join(dir, 'fail.DEL'), JSON.stringify({ code: 999, msg: 'bridge busy' }));
    const r = await run('DEL', conf());
    expect(r.exitCode).toBe(1);
    expect(r.json).toEqual({ code: 999, msg: 'bridge busy' });
    expect(existsSync(savedPath())).toBe(true);
    rmSync(join(dir, 'fail.DEL'));
    expect((await run('DEL', conf())).exitCode).toBe(0);
    expect(existsSync(savedPath())).toBe(false);
    expect(calls()).toEqual(['ADD bridge', 'DEL bridge', 'DEL bridge']);
  });

  it('returns config errors unwrapped', async () => {
    const r = await run('DEL', conf({ subnetFile: [] }));
    expect(r.json).toEqual({
      code: 999,
      msg: 'failed to load netconf: key "subnetFile" must be a string, got array []',
    });
  });
});

describe('CHECK, STATUS, GC, VERSION', () => {
  it('CHECK succeeds without delegating from 0.4.0 and is refused below', async () => {
    expect((await run('CHECK', conf({ cniVersion: '0.4.0' }))).exitCode).toBe(0);
    expect((await run('CHECK', conf({ cniVersion: '1.1.0' }))).exitCode).toBe(0);
    const old = await run('CHECK', conf({ cniVersion: '0.3.1' }));
    expect(old.json).toEqual({ code: 1, msg: 'config version does not allow CHECK' });
    const none = await run('CHECK', conf({ cniVersion: undefined }));
    expect(none.json).toEqual({ code: 1, msg: 'config version does not allow CHECK' });
    expect(calls()).toEqual([]);
  });

  it('STATUS forwards the rendered config to the delegate, and is not-available without a lease', async () => {
    const r = await run('STATUS', conf({ cniVersion: '1.1.0' }));
    expect(r.exitCode).toBe(0);
    expect(calls()).toEqual(['STATUS bridge']);
    expect(JSON.parse(fake('stdin.STATUS'))).toMatchObject({
      cniVersion: '1.1.0',
      name: 'cbr0',
      type: 'bridge',
    });
    writeFileSync(join(dir, 'fail.STATUS'), JSON.stringify({ code: 50, msg: 'no IP addresses available' }));
    expect((await run('STATUS', conf({ cniVersion: '1.1.0' }))).json).toEqual({
      code: 50,
      msg: 'no IP addresses available',
    });
    rmSync(subnetFile);
    const gone = await run('STATUS', conf({ cniVersion: '1.1.0' }));
    expect(gone.json.code).toBe(50);
    expect(gone.json.msg).toContain("failed to load flannel 'subnet.env' file: open ");
    expect((await run('STATUS', conf({ cniVersion: '1.0.0' }))).json.code).toBe(1);
  });

  it('GC delegates with the valid attachments, then removes stale saved configs of this network', async () => {
    for (const id of ['ctr1', 'ctr2', 'ctr3'])
      await run('ADD', conf({ cniVersion: '1.1.0' }), { containerID: id });
    // another network's file, a corrupt file and a non-ID name in the same dataDir
    writeFileSync(join(dataDir, 'other'), JSON.stringify({ name: 'othernet', type: 'bridge' }));
    writeFileSync(join(dataDir, 'broken'), '');
    writeFileSync(join(dataDir, '.tmp'), 'x');
    const valid = [{ containerID: 'ctr2', ifname: 'eth0' }];
    const r = await run('GC', conf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': valid }));
    expect(r.exitCode).toBe(0);
    const sent = JSON.parse(fake('stdin.GC'));
    expect(sent['cni.dev/valid-attachments']).toEqual(valid);
    expect(sent).toMatchObject({ cniVersion: '1.1.0', name: 'cbr0', type: 'bridge' });
    expect(sent.ipam.ranges).toEqual([[{ subnet: '10.1.17.0/24' }]]);
    expect(existsSync(join(dataDir, 'ctr1'))).toBe(false);
    expect(existsSync(join(dataDir, 'ctr2'))).toBe(true);
    expect(existsSync(join(dataDir, 'ctr3'))).toBe(false);
    expect(existsSync(join(dataDir, 'other'))).toBe(true);
    expect(existsSync(join(dataDir, 'broken'))).toBe(false);
    expect(existsSync(join(dataDir, '.tmp'))).toBe(true);
  });

  it('GC without subnet.env uses the newest saved config; a failing delegate GC keeps the files', async () => {
    await run('ADD', conf({ cniVersion: '1.0.0' }), { containerID: 'ctr1' });
    rmSync(subnetFile);
    writeFileSync(join(dir, 'fail.GC'), JSON.stringify({ code: 999, msg: 'gc failed' }));
    const gcConf = conf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] });
    expect((await run('GC', gcConf)).json).toEqual({ code: 999, msg: 'gc failed' });
    expect(existsSync(savedPath())).toBe(true);
    const sent = JSON.parse(fake('stdin.GC'));
    expect(sent.cniVersion).toBe('1.1.0');
    expect(sent.ipam.ranges).toEqual([[{ subnet: '10.1.17.0/24' }]]);
    rmSync(join(dir, 'fail.GC'));
    expect((await run('GC', gcConf)).exitCode).toBe(0);
    expect(existsSync(savedPath())).toBe(false);
    // nothing saved and no lease: nothing to delegate, still success
    expect((await run('GC', gcConf)).exitCode).toBe(0);
    expect(calls()).toEqual(['ADD bridge', 'GC bridge', 'GC bridge']);
  });

  it('GC and STATUS are refused below 1.1.0', async () => {
    expect((await run('GC', conf({ cniVersion: '1.0.0' }))).json).toEqual({
      code: 1,
      msg: 'config version does not allow GC',
    });
  });

  it('without CNI_COMMAND prints what it is to stderr; invalid JSON is code 6 before anything runs', async () => {
    const about = await runPlugin(createFlannelPlugin(), { CNI_COMMAND: '' }, Buffer.from('{}'));
    expect(about.exitCode).toBe(0);
    expect(about.stderr).toContain('flannel');
    expect(about.stdout).toBe('');
    const plugin = createFlannelPlugin({ platform: 'linux', log: () => {} });
    const r = await runPlugin(
      plugin,
      { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr9', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: bin },
      Buffer.from('{"name":'),
    );
    expect(JSON.parse(r.stdout).code).toBe(6);
    expect(existsSync(join(dataDir, 'ctr9'))).toBe(false);
  });

  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', conf());
    expect(r.json).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });
});

describe('Windows behaviour (platform win32)', () => {
  const win = { platform: 'win32' as const };

  it('delegates to win-bridge with the 0.2.0 fallback and names the file after CNI_NETNS', async () => {
    writeFileSync(
      join(dir, 'result'),
      JSON.stringify({ cniVersion: '0.2.0', ip4: { ip: '10.1.17.2/24', gateway: '10.1.17.2' } }),
    );
    process.env.FAKE_SAVED = join(dataDir, 'sandbox1');
    const r = await run('ADD', conf({ cniVersion: undefined }), { ...win, netns: 'container:sandbox1' });
    expect(r.exitCode).toBe(0);
    expect(r.json).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.17.2/24', gateway: '10.1.17.2' },
      dns: {},
    });
    expect(calls()).toEqual(['ADD win-bridge']);
    expect(fake('stdin.ADD')).toBe(
      '{"cniVersion":"0.2.0","ipMasq":true,"ipMasqNetwork":"10.1.0.0/16","ipam":{"subnet":"10.1.17.0/24",' +
        '"type":"host-local"},"name":"cbr0","type":"win-bridge"}',
    );
    expect(fake('saved-mode.ADD').trim()).toBe('600');
    expect(existsSync(join(dataDir, 'ctr1'))).toBe(false);
    expect((await run('DEL', conf(), { ...win, netns: 'container:sandbox1' })).exitCode).toBe(0);
    expect(existsSync(join(dataDir, 'sandbox1'))).toBe(false);
  });

  it('uses the container ID for an empty or "none" netns, or one without a colon', async () => {
    for (const netns of ['none', 'no-colon']) {
      const r = await run('ADD', conf(), { ...win, netns });
      expect(r.exitCode, netns).toBe(0);
      expect(existsSync(savedPath()), netns).toBe(true);
      rmSync(savedPath());
    }
    const r = await run('DEL', conf(), { ...win, netns: '' });
    expect(r.exitCode).toBe(0);
  });

  it('rejects a netns-derived name that would escape dataDir', async () => {
    const r = await run('ADD', conf(), { ...win, netns: 'container:../../x' });
    expect(r.json).toEqual({ code: 4, msg: 'invalid characters in containerID', details: '../../x' });
  });

  it('returns an error for an IPv6-only lease instead of crashing', async () => {
    writeFileSync(
      subnetFile,
      'FLANNEL_IPV6_NETWORK=fc00::/48\nFLANNEL_IPV6_SUBNET=fc00::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
    );
    const r = await run('ADD', conf(), win);
    expect(r.json).toEqual({
      code: 999,
      msg: `${subnetFile} has no IPv4 FLANNEL_NETWORK: flannel on Windows needs an IPv4 network and subnet`,
    });
  });

  it('DEL returns a parse error of the saved file and keeps it; keeps it too when the delegate fails', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(savedPath(), '');
    const r = await run('DEL', conf(), win);
    expect(r.json).toEqual({ code: 999, msg: 'failed to parse netconf: unexpected end of JSON input' });
    expect(existsSync(savedPath())).toBe(true);
    rmSync(savedPath());
    await run('ADD', conf(), win);
    writeFileSync(join(dir, 'fail.DEL'), JSON.stringify({ code: 999, msg: 'hns busy' }));
    expect((await run('DEL', conf(), win)).json).toEqual({ code: 999, msg: 'hns busy' });
    expect(existsSync(savedPath())).toBe(true);
  });
});
