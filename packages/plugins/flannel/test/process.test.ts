// flannel as a real process on Linux: flannel → bridge → host-local with a real subnet.env,
// run inside a throwaway "host" namespace for a throwaway "container" namespace. The delegates
// are Debian's Go bridge and host-local, and the repo's own dist/cni/bin (required: pnpm build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestNetNS, withNetNS } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CniPathDir, distCniBin, makeCniPath } from './build.js';

const GO_DIR = '/usr/lib/cni';

interface DelegateSet {
  label: string;
  cniPath: string;
  flannel: string;
}

let goPath: CniPathDir;
const sets: DelegateSet[] = [];
const ownBuilt = ['flannel', 'bridge', 'host-local'].every((t) => existsSync(join(distCniBin, t)));

beforeAll(async () => {
  goPath = await makeCniPath([join(GO_DIR, 'bridge'), join(GO_DIR, 'host-local')]);
  sets.push({ label: 'Go bridge + host-local', cniPath: goPath.dir, flannel: goPath.flannel });
  // Our own flannel → bridge → host-local, as built by `pnpm build` (required, not optional).
  if (!ownBuilt) throw new Error(`${distCniBin} lacks flannel, bridge or host-local: run pnpm build first`);
  sets.push({ label: 'dist/cni/bin', cniPath: distCniBin, flannel: join(distCniBin, 'flannel') });
}, 120_000);
afterAll(() => goPath?.cleanup());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: plugin output
  json: any;
}

/** Run flannel as a process from inside the host namespace (spawned synchronously in run()). */
function flannel(set: DelegateSet, host: TestNetNS, ctr: TestNetNS, command: string, conf: object): Run {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  Object.assign(env, {
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'flannel-ctr-1',
    CNI_NETNS: ctr.path,
    CNI_IFNAME: 'eth0',
    CNI_PATH: set.cniPath,
    CNI_ARGS: '',
  });
  const r = host.run(() =>
    spawnSync(set.flannel, [], { env, input: JSON.stringify(conf), encoding: 'utf8', timeout: 60_000 }),
  );
  let json: unknown;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

interface IPAddr {
  ifname: string;
  mtu: number;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

function ip(ns: TestNetNS, ...args: string[]): unknown {
  const r = spawnSync('ip', ['-j', '-n', ns.name, ...args], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.trim() === '' ? [] : JSON.parse(r.stdout);
}

const link = (ns: TestNetNS, dev: string) =>
  (ip(ns, 'addr', 'show', 'dev', dev) as IPAddr[] | undefined)?.[0];
const globalAddrs = (l: IPAddr | undefined) =>
  (l?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
const routes = (ns: TestNetNS, family: '-4' | '-6') =>
  (ip(ns, family, 'route', 'show', 'dev', 'eth0') as { dst: string; gateway?: string }[] | undefined) ?? [];

interface Scenario {
  name: string;
  env: string;
  hostAddrs: string[];
  ctrAddrs: string[];
  v4Routes: { dst: string; gateway: string }[];
  v6Routes: { dst: string; gateway: string }[];
  /** FLANNEL_IPMASQ=false: the bridge must masquerade */
  masq?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'IPv4',
    env: 'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
    hostAddrs: ['10.1.17.1/24'],
    ctrAddrs: ['10.1.17.2/24'],
    v4Routes: [{ dst: '10.1.0.0/16', gateway: '10.1.17.1' }],
    v6Routes: [],
  },
  {
    name: 'IPv6',
    env: 'FLANNEL_IPV6_NETWORK=fc00:1::/48\nFLANNEL_IPV6_SUBNET=fc00:1:0:11::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
    hostAddrs: ['fc00:1:0:11::1/64'],
    ctrAddrs: ['fc00:1:0:11::2/64'],
    v4Routes: [],
    v6Routes: [{ dst: 'fc00:1::/48', gateway: 'fc00:1:0:11::1' }],
  },
  {
    name: 'dual stack',
    env:
      'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_IPV6_NETWORK=fc00:1::/48\n' +
      'FLANNEL_IPV6_SUBNET=fc00:1:0:11::1/64\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
    hostAddrs: ['10.1.17.1/24', 'fc00:1:0:11::1/64'],
    ctrAddrs: ['10.1.17.2/24', 'fc00:1:0:11::2/64'],
    v4Routes: [{ dst: '10.1.0.0/16', gateway: '10.1.17.1' }],
    v6Routes: [{ dst: 'fc00:1::/48', gateway: 'fc00:1:0:11::1' }],
  },
  {
    name: 'two IPv4 networks, flannel not masquerading',
    env: 'FLANNEL_NETWORK=10.1.0.0/16,10.2.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=false\n',
    hostAddrs: ['10.1.17.1/24'],
    ctrAddrs: ['10.1.17.2/24'],
    v4Routes: [
      { dst: '10.1.0.0/16', gateway: '10.1.17.1' },
      { dst: '10.2.0.0/16', gateway: '10.1.17.1' },
    ],
    v6Routes: [],
    masq: true,
  },
];

const natRules = (host: TestNetNS) =>
  host.run(
    () => spawnSync('iptables', ['-w', '-t', 'nat', '-S', 'POSTROUTING'], { encoding: 'utf8' }).stdout ?? '',
  );

describe('flannel → bridge → host-local', () => {
  it('has a CNI_PATH with our flannel and the Debian Go delegates', () => {
    expect(sets.map((s) => s.label)).toEqual(['Go bridge + host-local', 'dist/cni/bin']);
    expect(readdirSync(goPath.dir).sort()).toEqual(['bridge', 'flannel', 'host-local']);
  });

  for (const sc of SCENARIOS) {
    for (const [i, removeEnv] of [false, true].entries()) {
      it(`[${sc.name}] ADD configures bridge, addresses and routes; DEL after subnet.env ${removeEnv ? 'was deleted' : 'changed'} removes them`, async () => {
        for (const set of sets) {
          const work = mkdtempSync(join(tmpdir(), 'flannel-proc-'));
          try {
            await withNetNS(['fl-host', 'fl-ctr'], ([host, ctr]) => {
              if (!host || !ctr) throw new Error('namespaces');
              const subnetFile = join(work, 'subnet.env');
              const dataDir = join(work, 'flannel');
              const ipamDir = join(work, 'ipam');
              writeFileSync(subnetFile, sc.env);
              const conf = {
                cniVersion: '1.0.0',
                name: `cbr${i}`,
                type: 'flannel',
                subnetFile,
                dataDir,
                ipam: { dataDir: ipamDir },
                delegate: { hairpinMode: true, isDefaultGateway: false },
              };
              const mtu = Number(/FLANNEL_MTU=(\d+)/.exec(sc.env)?.[1]);

              const add = flannel(set, host, ctr, 'ADD', conf);
              expect(add.code, `${set.label}: ${add.stdout}${add.stderr}`).toBe(0);
              expect(add.json.cniVersion).toBe('1.0.0');
              expect(add.json.ips.map((x: { address: string }) => x.address)).toEqual(sc.ctrAddrs);
              // the saved delegate config, 0600 in a 0700 directory
              const saved = join(dataDir, 'flannel-ctr-1');
              expect(statSync(saved).mode & 0o777).toBe(0o600);
              expect(statSync(dataDir).mode & 0o777).toBe(0o700);
              const delegate = JSON.parse(readFileSync(saved, 'utf8'));
              expect(delegate).toMatchObject({ type: 'bridge', isGateway: true, ipMasq: !!sc.masq, mtu });

              const bridge = link(host, 'cni0');
              expect(globalAddrs(bridge).sort(), set.label).toEqual([...sc.hostAddrs].sort());
              const eth0 = link(ctr, 'eth0');
              expect(eth0?.mtu).toBe(mtu);
              expect(globalAddrs(eth0).sort()).toEqual([...sc.ctrAddrs].sort());
              const r4 = routes(ctr, '-4').filter((r) => r.gateway);
              expect(r4.map((r) => ({ dst: r.dst, gateway: r.gateway }))).toEqual(sc.v4Routes);
              const r6 = routes(ctr, '-6').filter((r) => r.gateway);
              expect(r6.map((r) => ({ dst: r.dst, gateway: r.gateway }))).toEqual(sc.v6Routes);
              const ipamNet = join(ipamDir, `cbr${i}`);
              const leased = () => readdirSync(ipamNet).filter((n) => /^[0-9a-f.:]+$/.test(n));
              expect(leased().length).toBe(sc.ctrAddrs.length);
              if (sc.masq) expect(natRules(host)).toMatch(/-A POSTROUTING -s 10\.1\.17\.2\/32 .*-j CNI-/);

              // flanneld got a new lease (or went away): DEL still undoes exactly the ADD
              if (removeEnv) rmSync(subnetFile);
              else
                writeFileSync(
                  subnetFile,
                  sc.env.replaceAll('17', '99').replace('FLANNEL_MTU=1472', 'FLANNEL_MTU=1450'),
                );
              const del = flannel(set, host, ctr, 'DEL', conf);
              expect(del.code, `${set.label}: ${del.stdout}${del.stderr}`).toBe(0);
              expect(link(ctr, 'eth0')).toBeUndefined();
              expect(leased()).toEqual([]);
              expect(existsSync(saved)).toBe(false);
              if (sc.masq) expect(natRules(host)).not.toMatch(/CNI-/);
              // a repeated DEL succeeds
              expect(flannel(set, host, ctr, 'DEL', conf).code).toBe(0);
            });
          } finally {
            rmSync(work, { recursive: true, force: true });
          }
        }
      });
    }
  }

  it('reports a missing subnet.env from the process, touching nothing', async () => {
    const set = sets[0] as DelegateSet;
    const work = mkdtempSync(join(tmpdir(), 'flannel-proc-'));
    try {
      await withNetNS(['fl-host', 'fl-ctr'], ([host, ctr]) => {
        if (!host || !ctr) throw new Error('namespaces');
        const subnetFile = join(work, 'subnet.env');
        const r = flannel(set, host, ctr, 'ADD', {
          cniVersion: '1.0.0',
          name: 'cbr0',
          type: 'flannel',
          subnetFile,
          dataDir: join(work, 'flannel'),
        });
        expect(r.code).toBe(1);
        expect(r.json).toEqual({
          code: 999,
          msg: `failed to load flannel 'subnet.env' file: open ${subnetFile}: no such file or directory. Check the flannel pod log for this node.`,
        });
        expect(link(host, 'cni0')).toBeUndefined();
        expect(existsSync(join(work, 'flannel'))).toBe(false);
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
