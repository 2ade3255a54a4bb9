// ipMasq with real traffic: the "client" namespace has no route back to the container subnet,
// so the container reaches it only when masquerading works.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { setupIPMasq, teardownIPMasq } from '../src/index.js';

const PY = '/usr/bin/python3';
let nss: TestNetNS[] = [];
let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill('SIGKILL');
  server = undefined;
  for (const n of nss) destroyNetNS(n);
  nss = [];
});
const ip = (n: TestNetNS, ...a: string[]) => execFileSync('ip', ['-n', n.name, ...a]);
const sh = (n: TestNetNS, ...a: string[]) =>
  execFileSync('ip', ['netns', 'exec', n.name, ...a], { encoding: 'utf8' });

function topology() {
  const [host, ctr, client] = ['mth', 'mtc', 'mtx'].map((l) => makeNetNS(l)) as [
    TestNetNS,
    TestNetNS,
    TestNetNS,
  ];
  nss = [host, ctr, client];
  for (const n of nss) {
    ip(n, 'link', 'set', 'lo', 'up');
    sh(n, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  }
  sh(host, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  ip(host, 'link', 'add', 'vh0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctr.name);
  ip(host, 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client.name);
  const addr = (n: TestNetNS, dev: string, v4: string, v6: string) => {
    ip(n, 'addr', 'add', v4, 'dev', dev);
    ip(n, '-6', 'addr', 'add', v6, 'dev', dev, 'nodad');
    ip(n, 'link', 'set', dev, 'up');
  };
  addr(host, 'vh0', '10.97.0.1/24', 'fd97::1/64');
  addr(ctr, 'eth0', '10.97.0.2/24', 'fd97::2/64');
  addr(host, 'vx0', '10.96.0.1/24', 'fd96::1/64');
  addr(client, 'eth0', '10.96.0.2/24', 'fd96::2/64');
  ip(ctr, 'route', 'add', 'default', 'via', '10.97.0.1');
  ip(ctr, '-6', 'route', 'add', 'default', 'via', 'fd97::1');
  return { host, ctr, client };
}

const SERVER = `
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', 7000)); s.listen(16); print('ready', flush=True)
while True:
    c, a = s.accept(); c.sendall(a[0].encode()); c.close()
`;
const CLIENT = `
import socket, sys
h = sys.argv[1]
try:
    s = socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2); s.connect((h, 7000)); print(s.recv(100).decode())
except Exception as e:
    print('error', e)
`;

describe.each(['iptables', 'nftables'] as const)('ipMasq traffic, %s', (backend) => {
  it('container traffic leaves with the host address; teardown stops it', async () => {
    const { host, ctr, client } = topology();
    server = spawn('ip', ['netns', 'exec', client.name, PY, '-c', SERVER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((r) => server?.stdout?.once('data', r));
    const talk = (h: string) => sh(ctr, PY, '-c', CLIENT, h).trim();
    expect(talk('10.96.0.2')).toMatch(/^error/);
    const args = {
      ipns: ['10.97.0.2/24', 'fd97::2/64'],
      network: 'mt',
      ifname: 'eth0',
      containerID: 'm1',
      ns: host.ns,
    };
    setupIPMasq({ ...args, backend });
    expect(talk('10.96.0.2')).toMatch(/10\.96\.0\.1$/);
    expect(talk('fd96::2')).toBe('fd96::1');
    teardownIPMasq(args);
    expect(talk('10.96.0.2')).toMatch(/^error/);
  });
});
