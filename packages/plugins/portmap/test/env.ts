// A test topology: "host" and "container" namespaces joined by a veth (10.99.0.0/24, fd99::/64),
// and a "client" namespace outside the host (10.98.0.0/24, fd98::/64). Echo servers in the
// container; clients in any namespace. All made with `ip`, inside the test namespaces only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';

export const PY = '/usr/bin/python3';

export function sh(n: TestNetNS, ...cmd: string[]): string {
  return execFileSync('ip', ['netns', 'exec', n.name, ...cmd], { encoding: 'utf8' });
}

export function nsExec(n: TestNetNS, ...cmd: string[]): string {
  return execFileSync('ip', ['-n', n.name, ...cmd], { encoding: 'utf8' });
}

export interface Topology {
  host: TestNetNS;
  ctr: TestNetNS;
  client: TestNetNS;
  servers: ChildProcess[];
  destroy(): void;
}

export function veth(a: TestNetNS, aIf: string, b: TestNetNS, bIf: string): void {
  execFileSync('ip', [
    '-n',
    a.name,
    'link',
    'add',
    aIf,
    'type',
    'veth',
    'peer',
    'name',
    bIf,
    'netns',
    b.name,
  ]);
}

export function addrUp(n: TestNetNS, ifname: string, v4: string, v6: string): void {
  nsExec(n, 'addr', 'add', v4, 'dev', ifname);
  nsExec(n, '-6', 'addr', 'add', v6, 'dev', ifname, 'nodad');
  nsExec(n, 'link', 'set', ifname, 'up');
}

export function makeTopology(label: string): Topology {
  const host = makeNetNS(`${label}h`);
  const ctr = makeNetNS(`${label}c`);
  const client = makeNetNS(`${label}x`);
  const t: Topology = {
    host,
    ctr,
    client,
    servers: [],
    destroy() {
      for (const s of t.servers) s.kill('SIGKILL');
      for (const n of [host, ctr, client]) destroyNetNS(n);
    },
  };
  for (const n of [host, ctr, client]) {
    nsExec(n, 'link', 'set', 'lo', 'up');
    // No DAD, also for link-local addresses: IPv6 works the moment a link is up.
    sh(n, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  }
  sh(host, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  veth(host, 'vh0', ctr, 'eth0');
  addrUp(host, 'vh0', '10.99.0.1/24', 'fd99::1/64');
  addrUp(ctr, 'eth0', '10.99.0.2/24', 'fd99::2/64');
  nsExec(ctr, 'route', 'add', 'default', 'via', '10.99.0.1');
  nsExec(ctr, '-6', 'route', 'add', 'default', 'via', 'fd99::1');
  veth(host, 'vx0', client, 'eth0');
  addrUp(host, 'vx0', '10.98.0.1/24', 'fd98::1/64');
  addrUp(client, 'eth0', '10.98.0.2/24', 'fd98::2/64');
  nsExec(client, 'route', 'add', 'default', 'via', '10.98.0.1');
  nsExec(client, '-6', 'route', 'add', 'default', 'via', 'fd98::1');
  return t;
}

const SERVER = `
import socket, sys, threading
port, tag = int(sys.argv[1]), sys.argv[2]
def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port)); s.listen(64)
    while True:
        c, a = s.accept()
        d = c.recv(1024); c.sendall(tag.encode() + b':' + d); c.close()
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    while True:
        d, a = s.recvfrom(1024); s.sendto(tag.encode() + b':' + d, a)
threading.Thread(target=udp, daemon=True).start()
print('ready', flush=True)
tcp()
`;

/** TCP+UDP echo server in `n` on `port`, replying `<tag>:<data>`. Resolves when listening. */
export function startEcho(t: Topology, n: TestNetNS, port: number, tag: string): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', n.name, PY, '-c', SERVER, String(port), tag], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.servers.push(p);
  return new Promise((resolve, reject) => {
    p.stdout?.once('data', () => resolve(p));
    p.once('exit', (c) => reject(new Error(`echo server exited ${c}`)));
  });
}

const CLIENT = `
import socket, sys
proto, host, port, msg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
try:
    if proto == 'tcp':
        s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(4); s.connect((host, port)); s.sendall(msg.encode())
        print(s.recv(1024).decode())
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(1)
        if len(sys.argv) > 5: s.bind(('', int(sys.argv[5])))
        for _ in range(3):
            s.sendto(msg.encode(), (host, port))
            try:
                print(s.recvfrom(1024)[0].decode()); break
            except socket.timeout: pass
        else: print('timeout')
except Exception as e:
    print('error', e)
`;

/** Send `msg` from namespace `n`; returns the reply or `timeout`/`error …`. */
export function talk(
  n: TestNetNS,
  proto: 'tcp' | 'udp',
  host: string,
  port: number,
  msg = 'hi',
  srcPort?: number,
): string {
  const args = ['netns', 'exec', n.name, PY, '-c', CLIENT, proto, host, String(port), msg];
  if (srcPort) args.push(String(srcPort));
  return execFileSync('ip', args, { encoding: 'utf8' }).trim();
}
