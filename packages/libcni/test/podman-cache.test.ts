// A result cache written by a real Go libcni: podman 4.3.1 (Debian bookworm, CNI backend, Go
// libcni 1.1) ran one container on fixtures/podman-4.3/capnet.conflist with two port mappings
// (see fixtures/podman-4.3/README.md for how it was captured). Ours reads that file as Go wrote
// it, and DELs an attachment the Go plugins made and cached in exactly that format.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  destroyNetNS,
  distCniBin,
  GO_CNI,
  linkNames,
  makeNetNS,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CNIConfig, networkConfFromBytes, networkConfFromFile, RawExec } from '../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures', 'podman-4.3');
const PODMAN_ID = '8a1039668499f971fd5f696063e9d841041fbaaf53e50466df32618378ac5211';
const PODMAN_FILE = `capnet-${PODMAN_ID}-eth0`;

let tmp: TempDir | undefined;
let host: TestNetNS | undefined;
let ctr: TestNetNS | undefined;

beforeEach(() => {
  tmp = tempDir('libcni-podman-');
});
afterEach(() => {
  destroyNetNS(ctr);
  destroyNetNS(host);
  ctr = undefined;
  host = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

describe("a result cache written by podman 4.3.1's Go libcni", () => {
  it('is listed and read back: args, capability args and the result in the list version', async () => {
    const cacheDir = join((tmp as TempDir).path, 'cache');
    mkdirSync(join(cacheDir, 'results'), { recursive: true, mode: 0o700 });
    cpSync(join(FIX, PODMAN_FILE), join(cacheDir, 'results', PODMAN_FILE));
    const cni = new CNIConfig({ path: [GO_CNI], cacheDir });
    const list = networkConfFromFile(join(FIX, 'capnet.conflist'));

    const [att, ...more] = await cni.getCachedAttachments(PODMAN_ID);
    expect(more).toEqual([]);
    expect(att).toMatchObject({
      containerID: PODMAN_ID,
      ifName: 'eth0',
      networkName: 'capnet',
      netns: '', // Go libcni 1.1 did not cache the netns yet
      cniArgs: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAME', 'capc1'],
      ],
      capabilityArgs: {
        aliases: { capnet: ['8a1039668499'] },
        portMappings: [
          { hostPort: 18080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 18081, containerPort: 81, protocol: 'udp' },
        ],
      },
    });
    // the config is the conflist's bytes, as podman handed them to libcni
    expect(Buffer.from(att?.config ?? '').toString()).toBe(
      readFileSync(join(FIX, 'capnet.conflist'), 'utf8'),
    );

    const rt = { containerID: PODMAN_ID, netNS: '/run/netns/gone', ifName: 'eth0' };
    const result = await cni.getNetworkListCachedResult(list, rt);
    expect(result).toMatchObject({
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'cni-cap0', mac: 'a2:d2:02:7e:ec:48' },
        { name: 'vethda45e7d5', mac: '26:55:8a:bf:95:a7' },
        {
          name: 'eth0',
          mac: '0a:67:dc:96:03:88',
          sandbox: '/run/netns/netns-48f17f32-617c-3075-359c-7b920b276b0f',
        },
      ],
      ips: [{ address: '10.89.7.8/24', gateway: '10.89.7.1', interface: 2 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    const cached = await cni.getNetworkListCachedConfig(list, rt);
    expect(cached?.rt.args).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAME', 'capc1'],
    ]);
  });

  it('an attachment the Go plugins made, cached in that format, is fully removed by our DEL', async () => {
    host = makeNetNS('pch');
    ctr = makeNetNS('pcc');
    const h = host;
    const dir = (tmp as TempDir).path;
    const cacheDir = join(dir, 'cache');
    // podman's network, with its state kept in the test's directory
    const conf = JSON.parse(readFileSync(join(FIX, 'capnet.conflist'), 'utf8'));
    conf.plugins[0].ipam.dataDir = join(dir, 'ipam');
    conf.plugins[2].dataDir = join(dir, 'firewall'); // ours records attachments; Go ignores the key
    conf.plugins[3].dataDir = join(dir, 'tuning');
    const bytes = Buffer.from(`${JSON.stringify(conf, null, 2)}\n`);
    const list = networkConfFromBytes(bytes);
    const exec = new RawExec({ forkIn: (fork) => h.run(fork) });
    const template = JSON.parse(readFileSync(join(FIX, PODMAN_FILE), 'utf8'));
    const containerID = 'f00dfeed'.repeat(8);
    const rt = {
      containerID,
      netNS: ctr.path,
      ifName: 'eth0',
      args: template.cniArgs as [string, string][],
      capabilityArgs: template.capabilityArgs as Record<string, unknown>,
    };

    // ADD by the Go plugins; then the cache file exactly as Go libcni 1.1 writes it
    const goCni = new CNIConfig({ path: [GO_CNI], cacheDir, exec });
    const result = await goCni.addNetworkList(list, rt);
    const file = join(cacheDir, 'results', `capnet-${containerID}-eth0`);
    writeFileSync(
      file,
      JSON.stringify({
        kind: 'cniCacheV1',
        containerId: containerID,
        config: bytes.toString('base64'),
        ifName: 'eth0',
        networkName: 'capnet',
        cniArgs: template.cniArgs,
        capabilityArgs: template.capabilityArgs,
        result,
      }),
      { mode: 0o600 },
    );
    const nat = () =>
      execFileSync('ip', ['netns', 'exec', h.name, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' });
    expect(nat()).toMatch(/CNI-DN-/);
    expect(linkNames(h).filter((n) => n.startsWith('veth'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'ipam', 'capnet'))).toContain('10.89.7.2');

    // DEL by our libcni and our plugins, with only what the cache holds
    const ours = new CNIConfig({ path: [distCniBin], cacheDir, exec });
    const cached = await ours.getNetworkListCachedConfig(list, {
      containerID,
      netNS: ctr.path,
      ifName: 'eth0',
    });
    expect(cached?.rt.capabilityArgs).toEqual(template.capabilityArgs);
    await ours.delNetworkList(list, { ...(cached?.rt ?? rt), netNS: ctr.path });

    expect(existsSync(file)).toBe(false);
    expect(linkNames(ctr)).toEqual([]);
    expect(linkNames(h).filter((n) => n.startsWith('veth'))).toEqual([]);
    expect(readdirSync(join(dir, 'ipam', 'capnet')).filter((f) => /^\d/.test(f))).toEqual([]);
    const after = nat();
    expect(after).not.toMatch(/CNI-DN-|CNI-[0-9a-f]{24}/);
    expect(after).not.toContain(containerID);
  });
});
