// ipMasq side by side with the Go bridge plugin (Debian's /usr/lib/cni/bridge, v1.1.1): the same
// nat rules for the same network and container, and each side's teardown removes the other's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatChainName, setupIPMasq, teardownIPMasq } from '../src/index.js';

let host: TestNetNS;
let ctr: TestNetNS;
let dataDir: string;
beforeEach(() => {
  host = makeNetNS('mqh');
  ctr = makeNetNS('mqc');
  dataDir = mkdtempSync(join(tmpdir(), 'cni-mq-'));
});
afterEach(() => {
  destroyNetNS(ctr);
  destroyNetNS(host);
  rmSync(dataDir, { recursive: true, force: true });
});

function goBridge(command: string, cid: string): { ips?: { address: string }[] } {
  const conf = {
    cniVersion: '0.4.0',
    name: 'mqnet',
    type: 'bridge',
    bridge: 'cnimq0',
    isGateway: true,
    ipMasq: true,
    ipam: { type: 'host-local', subnet: '10.23.0.0/16', dataDir },
  };
  const out = execFileSync('ip', ['netns', 'exec', host.name, '/usr/lib/cni/bridge'], {
    input: JSON.stringify(conf),
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: cid,
      CNI_NETNS: ctr.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    },
    encoding: 'utf8',
  });
  return out ? JSON.parse(out) : {};
}

const nat = () =>
  execFileSync('ip', ['netns', 'exec', host.name, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('-A') || (l.startsWith(':') && !l.includes('ACCEPT')))
    .sort()
    .join('\n');

describe('ipMasq vs the Go bridge plugin', () => {
  it('same chain and rules; cross teardown', () => {
    const res = goBridge('ADD', 'mq-1');
    const ipns = (res.ips ?? []).map((i) => i.address);
    expect(ipns).toEqual(['10.23.0.2/16']);
    const go = nat();
    expect(go).toContain(formatChainName('mqnet', 'mq-1'));
    // our teardown removes the Go rules
    teardownIPMasq({ ipns, network: 'mqnet', ifname: 'eth0', containerID: 'mq-1', ns: host.ns });
    expect(nat()).toBe('');
    // our setup writes exactly what Go wrote
    setupIPMasq({
      ipns,
      network: 'mqnet',
      ifname: 'eth0',
      containerID: 'mq-1',
      ns: host.ns,
      backend: 'iptables',
    });
    expect(nat()).toBe(go);
    // and the Go DEL removes ours
    goBridge('DEL', 'mq-1');
    expect(nat()).toBe('');
  });
});
