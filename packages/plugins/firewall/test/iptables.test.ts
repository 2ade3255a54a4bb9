import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CmdArgs, cmdAdd, cmdCheck, cmdDel, cmdGC, cmdStatus } from '../src/index.js';

const GO = '/usr/lib/cni/firewall';
let host: TestNetNS;
let ctr: TestNetNS;
let dataDir: string;
beforeEach(() => {
  host = makeNetNS('fwh');
  ctr = makeNetNS('fwc');
  dataDir = mkdtempSync(join(tmpdir(), 'cni-fw-state-'));
});
afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  rmSync(dataDir, { recursive: true, force: true });
});

const prevResult = {
  cniVersion: '0.4.0',
  interfaces: [{ name: 'cni0' }, { name: 'vethx' }, { name: 'eth0', sandbox: '/run/netns/x' }],
  ips: [
    { version: '4', address: '10.88.0.5/16', interface: 2 },
    { version: '6', address: 'fd88::5/64', interface: 2 },
  ],
};

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: '0.4.0',
    name: 'fwnet',
    type: 'firewall',
    backend: 'iptables',
    dataDir,
    prevResult,
    ...extra,
  };
}
const args = (conf: Record<string, unknown>, cid = 'c1'): CmdArgs => ({
  containerID: cid,
  netns: '/run/netns/x',
  ifName: 'eth0',
  stdinData: JSON.stringify(conf),
});
const save = (cmd: string) =>
  execFileSync('ip', ['netns', 'exec', host.name, cmd, '-t', 'filter'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .join('\n');
const both = () => `${save('iptables-save')}\n--\n${save('ip6tables-save')}`;

function goRun(command: string, conf: Record<string, unknown>, cid = 'c1'): void {
  execFileSync('ip', ['netns', 'exec', host.name, GO], {
    input: JSON.stringify(conf),
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: cid,
      CNI_NETNS: ctr.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

describe('firewall, iptables backend', () => {
  it('adds the reference chains and rules once, checks and deletes them', () => {
    const a = args(config({ iptablesAdminChainName: 'MY-ADMIN' }));
    expect(cmdAdd(a, { hostNS: host.ns })).toEqual(prevResult);
    cmdAdd(a, { hostNS: host.ns });
    const v4 = save('iptables-save');
    expect(v4).toContain('-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD');
    expect(v4).toContain(
      '-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j MY-ADMIN',
    );
    expect(v4).toContain(
      '-A CNI-FORWARD -d 10.88.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    );
    expect(v4).toContain('-A CNI-FORWARD -s 10.88.0.5/32 -j ACCEPT');
    expect(v4.match(/^-A CNI-FORWARD /gm)).toHaveLength(3);
    expect(save('ip6tables-save')).toContain('-A CNI-FORWARD -s fd88::5/128 -j ACCEPT');
    cmdCheck(a, { hostNS: host.ns });
    cmdStatus(a, { hostNS: host.ns });

    cmdDel(a, { hostNS: host.ns });
    cmdDel(a, { hostNS: host.ns });
    expect(save('iptables-save')).not.toContain('10.88.0.5');
    expect(() => cmdCheck(a, { hostNS: host.ns })).toThrow(/not found/);
    // DEL without prevResult succeeds and touches nothing
    cmdDel(args({ cniVersion: '0.4.0', name: 'fwnet', type: 'firewall', dataDir }), { hostNS: host.ns });
  });

  it('records the attachment on ADD and removes the record on DEL; DEL without prevResult uses it', () => {
    const a = args(config());
    cmdAdd(a, { hostNS: host.ns });
    const file = join(dataDir, 'fwnet', 'c1-eth0');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      containerID: 'c1',
      ifname: 'eth0',
      network: 'fwnet',
      backend: 'iptables',
      firewalldZone: 'trusted',
      addresses: ['10.88.0.5/16', 'fd88::5/64'],
    });
    cmdDel(a, { hostNS: host.ns });
    expect(existsSync(file)).toBe(false);
    expect(both()).not.toMatch(/10\.88\.0\.5|fd88::5/);
    // a runtime that lost prevResult: the record says what to remove
    cmdAdd(a, { hostNS: host.ns });
    const { prevResult: _, ...noPrev } = config();
    cmdDel(args(noPrev), { hostNS: host.ns });
    expect(both()).not.toMatch(/10\.88\.0\.5|fd88::5/);
    expect(existsSync(file)).toBe(false);
    // names that cannot name a record are an error before anything is added
    const before = both();
    expect(() => cmdAdd(args(config(), 'a/b'), { hostNS: host.ns })).toThrow(/container ID "a\/b"/);
    expect(() => cmdAdd(args(config({ name: '..' })), { hostNS: host.ns })).toThrow(/network name "\.\."/);
    expect(both()).toBe(before);
  });

  it('GC removes the rules and records of stale attachments, keeps valid ones and held addresses', () => {
    const withIPs = (cid: string, ...ips: string[]) =>
      args(
        config({ prevResult: { ...prevResult, ips: ips.map((address) => ({ address, interface: 2 })) } }),
        cid,
      );
    const stale = withIPs('stale', '10.88.0.7/16', 'fd88::7/64');
    const keep = withIPs('keep', '10.88.0.8/16');
    // an address another network's attachment holds too (same subnet on another bridge)
    const shared = withIPs('stale2', '10.88.0.9/16');
    const other = args(
      config({
        name: 'othernet',
        prevResult: { ...prevResult, ips: [{ address: '10.88.0.9/16', interface: 2 }] },
      }),
      'o1',
    );
    for (const a of [stale, keep, shared, other]) cmdAdd(a, { hostNS: host.ns });
    expect(readdirSync(join(dataDir, 'fwnet')).sort()).toEqual(['keep-eth0', 'stale-eth0', 'stale2-eth0']);
    const gc = args({
      cniVersion: '1.1.0',
      name: 'fwnet',
      type: 'firewall',
      backend: 'iptables',
      dataDir,
      'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
    });
    cmdGC(gc, { hostNS: host.ns });
    const after = both();
    expect(after).not.toMatch(/10\.88\.0\.7|fd88::7/);
    expect(after).toContain('-A CNI-FORWARD -s 10.88.0.8/32 -j ACCEPT');
    expect(after).toContain('-A CNI-FORWARD -s 10.88.0.9/32 -j ACCEPT'); // othernet still has it
    expect(readdirSync(join(dataDir, 'fwnet'))).toEqual(['keep-eth0']);
    expect(readdirSync(join(dataDir, 'othernet'))).toEqual(['o1-eth0']);
    cmdCheck(keep, { hostNS: host.ns });
    cmdCheck(other, { hostNS: host.ns });
    // GC again is a no-op; the other network's GC with nothing valid removes its address
    cmdGC(gc, { hostNS: host.ns });
    expect(both()).toBe(after);
    cmdGC(
      args({ ...JSON.parse(gc.stdinData as string), name: 'othernet', 'cni.dev/valid-attachments': [] }),
      {
        hostNS: host.ns,
      },
    );
    expect(both()).not.toContain('10.88.0.9');
    expect(readdirSync(join(dataDir, 'othernet'))).toEqual([]);
    expect(() =>
      cmdGC(
        args({ ...JSON.parse(gc.stdinData as string), 'cni.dev/valid-attachments': [{ containerID: 1 }] }),
      ),
    ).toThrow(/valid-attachments\[0\]/);
  });

  it('ingress policies create the isolation stages', () => {
    cmdAdd(args(config({ ingressPolicy: 'isolated' })), { hostNS: host.ns });
    const v4 = save('iptables-save');
    const def = 'CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)';
    const iso = 'CNI firewall plugin rules (ingressPolicy: isolated)';
    expect(v4).toContain(`-A FORWARD -m comment --comment "${def}" -j CNI-ISOLATION-STAGE-1`);
    expect(v4).toContain(`-A CNI-ISOLATION-STAGE-1 -i cni0 -o cni0 -m comment --comment "${iso}" -j DROP`);
    expect(v4).toContain(
      `-A CNI-ISOLATION-STAGE-1 -i cni0 ! -o cni0 -m comment --comment "${iso}" -j CNI-ISOLATION-STAGE-2`,
    );
    expect(v4).toContain(`-A CNI-ISOLATION-STAGE-2 -o cni0 -m comment --comment "${def}" -j DROP`);
    expect(() => cmdAdd(args(config({ ingressPolicy: 'bogus' })), { hostNS: host.ns })).toThrow(
      /unknown ingress policy: "bogus"/,
    );
  });

  it('bad input names the key and value', () => {
    expect(() => cmdAdd(args(config({ backend: 'pf' })), { hostNS: host.ns })).toThrow(/backend.*"pf"/);
    expect(() => cmdAdd(args(config({ iptablesAdminChainName: 'a b' })), { hostNS: host.ns })).toThrow(
      /"a b"/,
    );
    expect(() =>
      cmdAdd(args({ cniVersion: '0.4.0', name: 'x', type: 'firewall', dataDir }), { hostNS: host.ns }),
    ).toThrow(/missing prevResult/);
  });

  it.each(['', 'same-bridge'])(
    'same rules as the Go plugin (ingressPolicy "%s"), and cross DEL',
    (policy) => {
      const conf = config(policy ? { ingressPolicy: policy } : {});
      const empty = both();
      goRun('ADD', conf);
      // Go v1.1.1 comments every isolation rule with the policy; the reference HEAD (which we
      // follow) uses "(ingressPolicy: same-bridge|isolated)" on the shared jump/RETURN/DROP rules.
      const go = both().replaceAll('(ingressPolicy: same-bridge)', '(ingressPolicy: X)');
      goRun('DEL', conf);
      expect(both()).not.toContain('10.88.0.5');
      // Our ADD in a fresh host namespace gives the same table.
      destroyNetNS(host);
      host = makeNetNS('fwh');
      expect(both()).toEqual(empty);
      cmdAdd(args(conf), { hostNS: host.ns });
      const ours = both()
        .replaceAll('(ingressPolicy: same-bridge|isolated)', '(ingressPolicy: X)')
        .replaceAll('(ingressPolicy: same-bridge)', '(ingressPolicy: X)');
      expect(ours).toEqual(go);
      // Cross DEL: each implementation removes the other's per-address rules.
      goRun('DEL', conf);
      expect(both()).not.toMatch(/10\.88\.0\.5|fd88::5/);
      goRun('ADD', conf);
      cmdDel(args(conf), { hostNS: host.ns });
      expect(both()).not.toMatch(/10\.88\.0\.5|fd88::5/);
    },
  );
});
