import { execFileSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CmdArgs, cmdAdd, cmdCheck, cmdDel, cmdStatus } from '../src/index.js';

const GO = '/usr/lib/cni/firewall';
let host: TestNetNS;
let ctr: TestNetNS;
beforeEach(() => {
  host = makeNetNS('fwh');
  ctr = makeNetNS('fwc');
});
afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
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
  return { cniVersion: '0.4.0', name: 'fwnet', type: 'firewall', backend: 'iptables', prevResult, ...extra };
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
    cmdDel(args({ cniVersion: '0.4.0', name: 'fwnet', type: 'firewall' }), { hostNS: host.ns });
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
      cmdAdd(args({ cniVersion: '0.4.0', name: 'x', type: 'firewall' }), { hostNS: host.ns }),
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
