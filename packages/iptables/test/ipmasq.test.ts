import { execFileSync } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { formatChainName, gcIPMasq, ipMasqComment, setupIPMasq, teardownIPMasq } from '../src/index.js';

let nss: TestNetNS[] = [];
afterEach(() => {
  for (const n of nss) destroyNetNS(n);
  nss = [];
});
function ns(): TestNetNS {
  const n = makeNetNS('masq');
  nss.push(n);
  return n;
}
const sh = (n: TestNetNS, ...cmd: string[]) =>
  execFileSync('ip', ['netns', 'exec', n.name, ...cmd], { encoding: 'utf8' });

describe('ipMasq, iptables backend', () => {
  it('creates the reference chain and rules, tears them down, garbage-collects', () => {
    const n = ns();
    const base = { network: 'mynet', ifname: 'eth0', ns: n.ns, backend: 'iptables' as const };
    setupIPMasq({ ...base, containerID: 'abc123', ipns: ['10.22.0.5/16', 'fd00::5/64'] });
    setupIPMasq({ ...base, containerID: 'abc123', ipns: ['10.22.0.5/16', 'fd00::5/64'] });
    setupIPMasq({ ...base, containerID: 'other', ipns: ['10.22.0.6/16'] });
    const chain = formatChainName('mynet', 'abc123');
    expect(chain).toBe('CNI-70a29d9dc18bc4d652ea5d59');
    const v4 = sh(n, 'iptables', '-t', 'nat', '-S');
    expect(v4).toContain(
      `-A POSTROUTING -s 10.22.0.5/32 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j ${chain}`,
    );
    expect(v4).toContain(
      `-A ${chain} -d 10.22.0.0/16 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j ACCEPT`,
    );
    expect(v4).toContain(
      `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j MASQUERADE`,
    );
    expect(v4.split('\n').filter((l) => l.startsWith(`-A ${chain}`))).toHaveLength(2);
    const v6 = sh(n, 'ip6tables', '-t', 'nat', '-S');
    expect(v6).toContain(
      `-A ${chain} ! -d ff00::/8 -m comment --comment "name: \\"mynet\\" id: \\"abc123\\"" -j MASQUERADE`,
    );

    teardownIPMasq({ ...base, containerID: 'abc123', ipns: ['10.22.0.5/16', 'fd00::5/64'] });
    teardownIPMasq({ ...base, containerID: 'abc123', ipns: ['10.22.0.5/16', 'fd00::5/64'] });
    expect(sh(n, 'iptables', '-t', 'nat', '-S')).not.toContain(chain);
    expect(sh(n, 'ip6tables', '-t', 'nat', '-S')).not.toContain(chain);
    expect(sh(n, 'iptables', '-t', 'nat', '-S')).toContain(formatChainName('mynet', 'other'));

    setupIPMasq({ ...base, containerID: 'keep', ipns: ['10.22.0.7/16'] });
    gcIPMasq('mynet', [{ containerID: 'keep', ifname: 'eth0' }], n.ns);
    const after = sh(n, 'iptables', '-t', 'nat', '-S');
    expect(after).not.toContain(formatChainName('mynet', 'other'));
    expect(after).toContain(formatChainName('mynet', 'keep'));
  });
});

describe('ipMasq, nftables backend', () => {
  it('creates the reference table, replaces stale rules, tears down by hash, garbage-collects', () => {
    const n = ns();
    const base = { network: 'mynet', ifname: 'eth0', ns: n.ns, backend: 'nftables' as const };
    setupIPMasq({ ...base, containerID: 'c1', ipns: ['10.22.0.5/16', 'fd00::5/64'] });
    setupIPMasq({ ...base, containerID: 'c1', ipns: ['10.22.0.9/16'] });
    setupIPMasq({ ...base, containerID: 'c2', ipns: ['10.22.0.6/16'] });
    const text = sh(n, 'nft', 'list', 'table', 'inet', 'cni_plugins_masquerade');
    expect(text).toContain('type nat hook postrouting priority srcnat');
    expect(text).toContain('ip daddr 224.0.0.0/4 return');
    expect(text).toContain('goto masq_checks');
    const c1 = ipMasqComment('mynet', 'eth0', 'c1');
    expect(c1).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}, net: mynet, if: eth0, id: c1$/);
    expect(text).toContain(`ip saddr 10.22.0.9 ip daddr != 10.22.0.0/16 masquerade comment "${c1}"`);
    expect(text).not.toContain('10.22.0.5');
    expect(text).not.toContain('fd00::5');

    teardownIPMasq({ ...base, containerID: 'c1', ipns: [] });
    teardownIPMasq({ ...base, containerID: 'c1', ipns: [] });
    const t2 = sh(n, 'nft', 'list', 'table', 'inet', 'cni_plugins_masquerade');
    expect(t2).not.toContain(c1);
    expect(t2).toContain('10.22.0.6');

    setupIPMasq({ ...base, containerID: 'c3', ipns: ['fd00::7/64'] });
    gcIPMasq('mynet', [{ containerID: 'c3', ifname: 'eth0' }], n.ns);
    const t3 = sh(n, 'nft', 'list', 'table', 'inet', 'cni_plugins_masquerade');
    expect(t3).not.toContain('10.22.0.6');
    expect(t3).toContain('ip6 saddr fd00::7 ip6 daddr != fd00::/64 masquerade');
  });
});
