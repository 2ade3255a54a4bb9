// libcni driving real plugins (ours from dist/cni/bin, and Debian's Go plugins) in throwaway
// namespaces: bridge + host-local + portmap, ADD / CHECK / DEL / GC / STATUS, for each version.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  addrsOf,
  destroyNetNS,
  distCniBin,
  GO_CNI,
  hostLocal,
  linkNames,
  makeNetNS,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CNIConfig,
  type NetworkConfigList,
  networkConfFromBytes,
  RawExec,
  type RuntimeConf,
} from '../src/index.js';

let host: TestNetNS | undefined;
let ctrs: TestNetNS[] = [];
let tmp: TempDir | undefined;

beforeEach(() => {
  host = makeNetNS('lch');
  ctrs = [makeNetNS('lcc'), makeNetNS('lcd')];
  tmp = tempDir('libcni-real-');
});
afterEach(() => {
  for (const c of ctrs) destroyNetNS(c);
  ctrs = [];
  destroyNetNS(host);
  host = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

function natRules(ns: TestNetNS): string {
  return execFileSync('ip', ['netns', 'exec', ns.name, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' });
}

function setup(version: string, pluginDir: string) {
  const h = host as TestNetNS;
  const dir = (tmp as TempDir).path;
  const dataDir = join(dir, 'ipam');
  const list: NetworkConfigList = networkConfFromBytes(
    JSON.stringify({
      cniVersion: version,
      name: 'lcnet',
      plugins: [
        {
          type: 'bridge',
          bridge: 'lcbr0',
          isGateway: true,
          ipam: hostLocal(dataDir, '10.77.0.0/24', '10.77.0.1'),
        },
        { type: 'portmap', backend: 'iptables', capabilities: { portMappings: true } },
      ],
    }),
  );
  const cni = new CNIConfig({
    path: [pluginDir],
    cacheDir: join(dir, 'cache'),
    exec: new RawExec({ forkIn: (fork) => h.run(fork) }),
  });
  const rt = (i: number, port: number): RuntimeConf => ({
    containerID: `lc-ctr-${i}`,
    netNS: (ctrs[i] as TestNetNS).path,
    ifName: 'eth0',
    capabilityArgs: {
      portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }],
      mac: 'c2:11:22:33:44:55', // not enabled by any plugin: never sent
    },
  });
  const leases = () => readdirSync(join(dataDir, 'lcnet')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  return { h, dir, list, cni, rt, leases };
}

const VERSIONS = ['0.3.1', '0.4.0', '1.0.0', '1.1.0'];

describe.each(VERSIONS)('our bridge + host-local + portmap, list version %s', (version) => {
  it('ADD, CHECK, DEL in the namespaces; cache written and removed', async () => {
    const s = setup(version, distCniBin);
    const ctr = ctrs[0] as TestNetNS;
    const result = await s.cni.addNetworkList(s.list, s.rt(0, 18080));
    expect(result.cniVersion).toBe(version);
    expect(result.ips?.[0]?.address).toBe('10.77.0.2/24');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(linkNames(s.h)).toContain('lcbr0');
    expect(natRules(s.h)).toContain('--dport 18080');
    const cacheFile = join(s.dir, 'cache', 'results', 'lcnet-lc-ctr-0-eth0');
    expect(existsSync(cacheFile)).toBe(true);
    expect(await s.cni.getNetworkListCachedResult(s.list, s.rt(0, 18080))).toEqual(result);

    if (version === '0.3.1') {
      await expect(s.cni.checkNetworkList(s.list, s.rt(0, 18080))).rejects.toThrow(
        'configuration version "0.3.1" does not support the CHECK command',
      );
    } else {
      await s.cni.checkNetworkList(s.list, s.rt(0, 18080));
    }

    await s.cni.delNetworkList(s.list, s.rt(0, 18080));
    expect(linkNames(ctr)).not.toContain('eth0');
    expect(natRules(s.h)).not.toContain('--dport 18080');
    expect(s.leases()).toEqual([]);
    expect(existsSync(cacheFile)).toBe(false);
    // DEL again: idempotent
    await s.cni.delNetworkList(s.list, s.rt(0, 18080));
  });
});

describe('GC and STATUS with our plugins (1.1.0)', () => {
  it('GC removes the stale attachment (veth, lease, port mapping), keeps the valid one', async () => {
    const s = setup('1.1.0', distCniBin);
    await s.cni.addNetworkList(s.list, s.rt(0, 18081));
    await s.cni.addNetworkList(s.list, s.rt(1, 18082));
    expect(s.leases().sort()).toEqual(['10.77.0.2', '10.77.0.3']);
    await s.cni.getStatusNetworkList(s.list);

    await s.cni.gcNetworkList(s.list, { validAttachments: [{ containerID: 'lc-ctr-0', ifName: 'eth0' }] });
    expect(addrsOf(ctrs[0] as TestNetNS, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(linkNames(ctrs[1] as TestNetNS)).not.toContain('eth0');
    expect(s.leases()).toEqual(['10.77.0.2']);
    const rules = natRules(s.h);
    expect(rules).toContain('--dport 18081');
    expect(rules).not.toContain('--dport 18082');
    expect((await s.cni.getCachedAttachments()).map((a) => a.containerID)).toEqual(['lc-ctr-0']);

    await s.cni.delNetworkList(s.list, s.rt(0, 18081));
    expect(s.leases()).toEqual([]);
  });
});

describe('Go plugins (/usr/lib/cni, v1.1.1) driven by our libcni', () => {
  it('ADD, CHECK, DEL with bridge + host-local + portmap, 1.0.0', async () => {
    const s = setup('1.0.0', GO_CNI);
    const ctr = ctrs[0] as TestNetNS;
    const result = await s.cni.addNetworkList(s.list, s.rt(0, 18083));
    expect(result.ips?.[0]?.address).toBe('10.77.0.2/24');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    expect(natRules(s.h)).toContain('--dport 18083');
    // Go portmap v1.1.1's CHECK fails on an IPv4-only attachment (it looks for the IPv6 DNAT
    // chain): CHECK the bridge alone, with the cached result of the whole list.
    const bridgeOnly = { ...s.list, plugins: s.list.plugins.slice(0, 1) };
    await s.cni.checkNetworkList(bridgeOnly, s.rt(0, 18083));
    await s.cni.delNetworkList(s.list, s.rt(0, 18083));
    expect(linkNames(ctr)).not.toContain('eth0');
    expect(natRules(s.h)).not.toContain('--dport 18083');
    expect(s.leases()).toEqual([]);
  });
});
