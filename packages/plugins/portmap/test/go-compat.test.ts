// Side by side with the Go reference (Debian's /usr/lib/cni/portmap, v1.1.1): the same rules for
// the same config, and each implementation's DEL cleans up the other's ADD.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CmdArgs, cmdAdd, cmdDel } from '../src/index.js';
import { makeTopology, sh, type Topology } from './env.js';

const GO = '/usr/lib/cni/portmap';

const conf = {
  cniVersion: '0.4.0',
  name: 'gonet',
  type: 'portmap',
  snat: true,
  backend: 'iptables',
  runtimeConfig: {
    portMappings: [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 8081, containerPort: 81, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, protocol: 'udp' },
      { hostPort: 9090, containerPort: 90, protocol: 'tcp', hostIP: '10.98.0.1' },
    ],
  },
  prevResult: {
    cniVersion: '0.4.0',
    interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
    ips: [
      { version: '4', address: '10.99.0.2/24', interface: 0 },
      { version: '6', address: 'fd99::2/64', interface: 0 },
    ],
  },
};

function goRun(t: Topology, command: string, cid: string): void {
  execFileSync('ip', ['netns', 'exec', t.host.name, GO], {
    input: JSON.stringify(conf),
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: cid,
      CNI_NETNS: t.ctr.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/usr/lib/cni',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function ours(cid: string): CmdArgs {
  return { containerID: cid, netns: '/run/netns/x', ifName: 'eth0', stdinData: JSON.stringify(conf) };
}

/** The nat tables (v4 and v6) without comments lines and counters. */
function rules(t: Topology): string {
  const clean = (s: string) =>
    s
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .sort()
      .join('\n');
  return `${clean(sh(t.host, 'iptables-save', '-t', 'nat'))}\n--\n${clean(sh(t.host, 'ip6tables-save', '-t', 'nat'))}`;
}

describe('portmap side by side with the Go plugin', () => {
  let t: Topology;
  beforeEach(() => {
    t = makeTopology('go');
  });
  afterEach(() => t.destroy());

  it('the Go binary is installed', () => {
    expect(existsSync(GO)).toBe(true);
  });

  it('creates the same chains and rules (bit-exact names)', () => {
    const empty = rules(t);
    goRun(t, 'ADD', 'abc123');
    const go = rules(t);
    expect(go).toContain('CNI-DN-');
    goRun(t, 'DEL', 'abc123');
    cmdAdd(ours('abc123'), { hostNS: t.host.ns });
    const ts = rules(t);
    expect(ts).toEqual(go);
    cmdDel(ours('abc123'), { hostNS: t.host.ns });
    expect(rules(t)).not.toContain('CNI-DN-');
    expect(empty).not.toContain('CNI-DN-');
  });

  it('our DEL removes a Go ADD, and the Go DEL removes ours', () => {
    goRun(t, 'ADD', 'go-add');
    expect(rules(t)).toContain('id: \\"go-add\\"');
    cmdDel(ours('go-add'), { hostNS: t.host.ns });
    expect(rules(t)).not.toContain('go-add');
    expect(rules(t)).not.toContain('CNI-DN-');

    cmdAdd(ours('ts-add'), { hostNS: t.host.ns });
    expect(rules(t)).toContain('id: \\"ts-add\\"');
    goRun(t, 'DEL', 'ts-add');
    expect(rules(t)).not.toContain('ts-add');
    expect(rules(t)).not.toContain('CNI-DN-');
  });
});
