// Cache compatibility with Go libcni, both ways: files in Go's cniCacheV1 format (test/fixtures,
// see its README) are read, listed, DELed and GCed by ours; ours writes the same bytes and modes.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CNIConfig, type NetworkConfigList, networkConfFromFile, type RuntimeConf } from '../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'go-cache');
const GO_FILE = 'gonet-0123456789abcdef-eth0';
const OLD_FILE = 'oldnet-abc-eth1';

let dir: string;
let bin: string;
let cacheDir: string;
let cni: CNIConfig;
let gonet: NetworkConfigList;
let oldnet: NetworkConfigList;

const RECORDER = `#!/bin/sh
d="$(dirname "$0")"; t="$(basename "$0")"
cat > "$d/$t-$CNI_COMMAND.stdin"
env | grep '^CNI_' | sort > "$d/$t-$CNI_COMMAND.env"
if [ "$CNI_COMMAND" = ADD ]; then cat "$d/result.json"; fi
exit 0
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'libcni-gocache-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const t of ['recorder', 'recorder2']) {
    writeFileSync(join(bin, t), RECORDER);
    chmodSync(join(bin, t), 0o755);
  }
  cacheDir = join(dir, 'cache');
  mkdirSync(join(cacheDir, 'results'), { recursive: true, mode: 0o700 });
  for (const f of readdirSync(join(FIX, 'results'))) {
    cpSync(join(FIX, 'results', f), join(cacheDir, 'results', f));
    chmodSync(join(cacheDir, 'results', f), 0o600);
  }
  cni = new CNIConfig({ path: [bin], cacheDir });
  gonet = networkConfFromFile(join(FIX, 'gonet.conflist'));
  oldnet = networkConfFromFile(join(FIX, 'oldnet.conflist'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const recorded = (type: string, cmd: string) => readFileSync(join(bin, `${type}-${cmd}.stdin`), 'utf8');
const recordedEnv = (type: string, cmd: string) =>
  Object.fromEntries(
    readFileSync(join(bin, `${type}-${cmd}.env`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

const goRt: RuntimeConf = {
  containerID: '0123456789abcdef',
  netNS: '/var/run/netns/cni-1234',
  ifName: 'eth0',
  args: [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', 'default'],
  ],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
};

const GO_RESULT_JSON =
  '{"cniVersion":"1.0.0","dns":{"nameservers":["10.96.0.10"]},"interfaces":[{"mac":"0a:58:0a:f4:00:01","name":"cni0"},{"mac":"aa:bb:cc:dd:ee:ff","name":"veth1234"},{"mac":"12:34:56:78:9a:bc","name":"eth0","sandbox":"/var/run/netns/cni-1234"}],"ips":[{"address":"10.244.0.5/24","gateway":"10.244.0.1","interface":2}],"routes":[{"dst":"0.0.0.0/0","gw":"10.244.0.1"}]}';

describe('reading files written by Go libcni', () => {
  it('lists the cniCacheV1 attachments (not the legacy file)', async () => {
    const all = await cni.getCachedAttachments();
    expect(all.map((a) => `${a.networkName}/${a.containerID}/${a.ifName}`)).toEqual([
      'gonet/0123456789abcdef/eth0',
      'oldnet/abc/eth1',
    ]);
    const [g, o] = all;
    expect(g?.netns).toBe('/var/run/netns/cni-1234');
    expect(g?.cniArgs).toEqual(goRt.args);
    expect(g?.capabilityArgs).toEqual(goRt.capabilityArgs);
    expect(g?.config.equals(readFileSync(join(FIX, 'gonet.conflist')))).toBe(true);
    expect(o).toMatchObject({ netns: '/var/run/netns/old', cniArgs: [], capabilityArgs: {} });
    expect((await cni.getCachedAttachments('abc')).map((a) => a.networkName)).toEqual(['oldnet']);
  });

  it('returns the cached results, converted to the list version; legacy files too', async () => {
    expect(await cni.getNetworkListCachedResult(gonet, goRt)).toEqual({
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'cni0', mac: '0a:58:0a:f4:00:01' },
        { name: 'veth1234', mac: 'aa:bb:cc:dd:ee:ff' },
        { name: 'eth0', mac: '12:34:56:78:9a:bc', sandbox: '/var/run/netns/cni-1234' },
      ],
      ips: [{ address: '10.244.0.5/24', gateway: '10.244.0.1', interface: 2 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }],
      dns: { nameservers: ['10.96.0.10'] },
    });
    const old = await cni.getNetworkListCachedResult(oldnet, {
      containerID: 'abc',
      netNS: '',
      ifName: 'eth1',
    });
    expect(old?.ips).toEqual([{ address: '10.1.0.3/16', gateway: '10.1.0.1', interface: 0 }]);
    const legacy = await cni.getNetworkListCachedResult(oldnet, {
      containerID: 'legacy',
      netNS: '',
      ifName: 'eth0',
    });
    expect(legacy).toEqual({ cniVersion: '0.4.0', ips: [{ address: '10.2.0.9/24', gateway: '10.2.0.1' }] });
    // a 1.0.0 result read for a 0.4.0 list is converted
    const down = await cni.getNetworkListCachedResult({ ...gonet, cniVersion: '0.4.0' }, goRt);
    expect(down?.cniVersion).toBe('0.4.0');
  });

  it('returns the cached config and runtime args', async () => {
    const c = await cni.getNetworkListCachedConfig(gonet, {
      containerID: goRt.containerID,
      netNS: '',
      ifName: 'eth0',
    });
    expect(c?.bytes.equals(gonet.bytes)).toBe(true);
    expect(c?.rt.args).toEqual(goRt.args);
    expect(c?.rt.capabilityArgs).toEqual(goRt.capabilityArgs);
    await expect(
      cni.getNetworkListCachedConfig(oldnet, { containerID: 'legacy', netNS: '', ifName: 'eth0' }),
    ).rejects.toThrow('read cached network "oldnet" config has wrong kind: ');
    writeFileSync(join(cacheDir, 'results', OLD_FILE), 'adfadsfasdfasfdsafaf');
    await expect(
      cni.getNetworkListCachedConfig(oldnet, { containerID: 'abc', netNS: '', ifName: 'eth1' }),
    ).rejects.toThrow(
      `failed to unmarshal cached network "oldnet" config: invalid character 'a' looking for beginning of value`,
    );
    await expect(
      cni.getNetworkListCachedConfig(oldnet, { containerID: 'none', netNS: '', ifName: 'eth1' }),
    ).resolves.toBe(undefined);
  });

  it('DELs a Go-cached attachment: reverse order, the cached result as prevResult, cache removed', async () => {
    await cni.delNetworkList(gonet, goRt);
    // exactly the bytes Go libcni sends (InjectConf re-marshals a map: sorted keys)
    expect(recorded('recorder2', 'DEL')).toBe(
      `{"capabilities":{"portMappings":true},"cniVersion":"1.0.0","name":"gonet","prevResult":${GO_RESULT_JSON},"runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"type":"recorder2"}`,
    );
    expect(recorded('recorder', 'DEL')).toBe(
      `{"bridge":"cni0","cniVersion":"1.0.0","name":"gonet","prevResult":${GO_RESULT_JSON},"type":"recorder"}`,
    );
    expect(recordedEnv('recorder', 'DEL')).toMatchObject({
      CNI_COMMAND: 'DEL',
      CNI_CONTAINERID: '0123456789abcdef',
      CNI_IFNAME: 'eth0',
      CNI_NETNS: '/var/run/netns/cni-1234',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default',
      CNI_PATH: bin,
    });
    expect(existsSync(join(cacheDir, 'results', GO_FILE))).toBe(false);
  });

  it('GC DELs a stale Go-cached attachment with its cached netns, CNI args and capability args', async () => {
    await cni.gcNetworkList(gonet, { validAttachments: [] });
    const env = recordedEnv('recorder2', 'DEL');
    expect(env.CNI_ARGS).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=default');
    expect(env.CNI_NETNS).toBe('/var/run/netns/cni-1234');
    expect(JSON.parse(recorded('recorder2', 'DEL')).runtimeConfig).toEqual({
      portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    });
    expect(existsSync(join(cacheDir, 'results', GO_FILE))).toBe(false);
    // other networks' attachments stay
    expect(existsSync(join(cacheDir, 'results', OLD_FILE))).toBe(true);
  });

  it('CHECK of a 0.4.0 Go-cached attachment sends the 0.4.0 result in Go layout', async () => {
    await cni.checkNetworkList(oldnet, { containerID: 'abc', netNS: '/var/run/netns/old', ifName: 'eth1' });
    expect(JSON.parse(recorded('recorder', 'CHECK')).prevResult).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth1', mac: '02:42:ac:11:00:02', sandbox: '/var/run/netns/old' }],
      ips: [{ version: '4', interface: 0, address: '10.1.0.3/16', gateway: '10.1.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    });
    // 0.x results keep Go's struct order inside a request
    expect(recorded('recorder', 'CHECK')).toContain(
      '"prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"eth1","mac":"02:42:ac:11:00:02","sandbox":"/var/run/netns/old"}],"ips":[{"version":"4","interface":0,"address":"10.1.0.3/16","gateway":"10.1.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
    );
  });

  it('reports unreadable cached results as Go does', async () => {
    const rt = { containerID: 'abc', netNS: '', ifName: 'eth1' };
    writeFileSync(join(cacheDir, 'results', OLD_FILE), 'adfadsfasdfasfdsafaf');
    await expect(cni.checkNetworkList(oldnet, rt)).rejects.toThrow(
      `failed to get network "oldnet" cached result: decoding version from network config: invalid character 'a' looking for beginning of value`,
    );
    writeFileSync(
      join(cacheDir, 'results', OLD_FILE),
      '{"cniVersion":"0.4567.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}',
    );
    await expect(cni.checkNetworkList(oldnet, rt)).rejects.toThrow(
      'failed to get network "oldnet" cached result: unsupported CNI result version "0.4567.0"',
    );
  });
});

describe('files written by ours are the files Go writes', () => {
  it('1.0.0 attachment with CNI args and capability args: same bytes, 0600 in 0700', async () => {
    const fresh = join(dir, 'fresh');
    const ours = new CNIConfig({ path: [bin], cacheDir: fresh });
    // the plugin prints its result pretty, in its own order
    writeFileSync(
      join(bin, 'result.json'),
      JSON.stringify(
        {
          cniVersion: '1.0.0',
          interfaces: [
            { name: 'cni0', mac: '0a:58:0a:f4:00:01' },
            { name: 'veth1234', mac: 'aa:bb:cc:dd:ee:ff' },
            { name: 'eth0', mac: '12:34:56:78:9a:bc', sandbox: '/var/run/netns/cni-1234' },
          ],
          ips: [{ interface: 2, address: '10.244.0.5/24', gateway: '10.244.0.1' }],
          routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }],
          dns: { nameservers: ['10.96.0.10'] },
        },
        null,
        4,
      ),
    );
    await ours.addNetworkList(gonet, goRt);
    const file = join(fresh, 'results', GO_FILE);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(FIX, 'results', GO_FILE), 'utf8'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(fresh, 'results')).mode & 0o777).toBe(0o700);
  });

  it('0.4.0 attachment without args: omitted fields, same bytes', async () => {
    const fresh = join(dir, 'fresh');
    const ours = new CNIConfig({ path: [bin], cacheDir: fresh });
    writeFileSync(
      join(bin, 'result.json'),
      '{"cniVersion":"0.4.0","interfaces":[{"name":"eth1","mac":"02:42:ac:11:00:02","sandbox":"/var/run/netns/old"}],"ips":[{"version":"4","interface":0,"address":"10.1.0.3/16","gateway":"10.1.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
    );
    await ours.addNetworkList(oldnet, { containerID: 'abc', netNS: '/var/run/netns/old', ifName: 'eth1' });
    expect(readFileSync(join(fresh, 'results', OLD_FILE), 'utf8')).toBe(
      readFileSync(join(FIX, 'results', OLD_FILE), 'utf8'),
    );
  });
});
