import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createNamedNetNS,
  NetNS,
  removeNamedNetNS,
  spawnSyncLibc,
  NSPathNotExistError,
  NSPathNotNSError,
  sysctlGet,
  sysctlGetIn,
  sysctlPath,
  sysctlSetIn,
  validateNetNSPath,
} from '../src/index.js';

// The test kit depends on this package, so these tests make their namespaces directly.
interface TestNetNS {
  path: string;
  ns: NetNS;
  run<T>(fn: () => T): T;
}
function makeNetNS(label: string): TestNetNS {
  const path = createNamedNetNS(
    `cnitest-ns-${label}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
  );
  const ns = NetNS.open(path);
  return { path, ns, run: (fn) => ns.run(fn) };
}
function destroyNetNS(t: TestNetNS | undefined): void {
  if (!t) return;
  t.ns.close();
  removeNamedNetNS(t.path);
}

function nsInode(path: string): string {
  return execFileSync('stat', ['-L', '-c', '%i', path], { encoding: 'utf8' }).trim();
}

describe('NetNS', () => {
  let host: TestNetNS;
  let cont: TestNetNS;
  beforeEach(() => {
    host = makeNetNS('host');
    cont = makeNetNS('cont');
  });
  afterEach(() => {
    destroyNetNS(host);
    destroyNetNS(cont);
  });

  it('validates paths with the reference errors', () => {
    expect(() => validateNetNSPath('/run/netns/does-not-exist-x')).toThrow(NSPathNotExistError);
    expect(() => validateNetNSPath('/etc/hostname')).toThrow(NSPathNotNSError);
    expect(() => validateNetNSPath(cont.path)).not.toThrow();
    expect(() => validateNetNSPath('/proc/self/ns/net')).not.toThrow();
  });

  it('a sysctl written inside run changes the target and not the caller', () => {
    const key = 'net.ipv4.conf.lo.forwarding';
    const mine = sysctlGet(key);
    sysctlSetIn(cont.ns, key, mine === '1' ? '0' : '1');
    expect(sysctlGetIn(cont.ns, key)).toBe(mine === '1' ? '0' : '1');
    expect(sysctlGet(key)).toBe(mine);
    expect(sysctlGetIn(host.ns, key)).not.toBe(undefined);
  });

  it('a child spawned inside run sees the target namespace', () => {
    const inside = cont.run(() =>
      spawnSync('stat', ['-L', '-c', '%i', '/proc/self/ns/net'], { encoding: 'utf8' }),
    );
    expect(inside.stdout.trim()).toBe(nsInode(cont.path));
    expect(nsInode('/proc/self/ns/net')).not.toBe(nsInode(cont.path));
  });

  it('a child started by spawnSyncLibc inside run sees the target namespace', () => {
    const stat = ['-L', '-c', '%i', '/proc/self/ns/net'];
    const inside = cont.run(() => spawnSyncLibc('/usr/bin/stat', stat, { PATH: '/usr/bin:/bin' }));
    expect(inside?.status).toBe(0);
    expect(inside?.stdout.trim()).toBe(nsInode(cont.path));
    const outside = spawnSyncLibc('/usr/bin/stat', stat, { PATH: '/usr/bin:/bin' });
    expect(outside?.stdout.trim()).toBe(nsInode('/proc/self/ns/net'));
  });

  it('a socket made inside run keeps acting on the target', async () => {
    cont.run(() => execFileSync('ip', ['link', 'set', 'lo', 'up']));
    // listen(port) without a host creates and binds the socket synchronously, inside run.
    // (listen(port, host) would resolve the host asynchronously and create the socket
    // later, outside the namespace: the trap DESIGN §3 warns about.)
    const server = cont.run(() => {
      const s = createServer((c) => c.end('hello from cont'));
      s.listen(47011);
      return s;
    });
    await new Promise((r) => server.once('listening', r));
    try {
      // From the caller's namespace the port is closed: the listener lives in cont.
      const outside = await new Promise<string>((resolve) => {
        const c = createConnection(47011, '127.0.0.1');
        c.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
        c.on('data', () => resolve('connected'));
      });
      expect(outside).toBe('ECONNREFUSED');
      // A client in cont (a child spawned inside run) reaches it, after run returned.
      const script = `require('net').connect(47011,'127.0.0.1').on('data',d=>process.stdout.write(d))`;
      const child = await new Promise<string>((resolve, reject) => {
        const cp = cont.run(() => spawn(process.execPath, ['-e', script]));
        let out = '';
        cp.stdout.on('data', (d: Buffer) => {
          out += d;
        });
        cp.on('error', reject);
        cp.on('close', () => resolve(out));
      });
      expect(child).toBe('hello from cont');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('async fs after run still acts on the original namespace', async () => {
    cont.run(() => sysctlGet('net.ipv4.ip_forward'));
    const viaPool = await readFile('/proc/thread-self/ns/net').catch(() => null);
    expect(viaPool).toBeNull(); // nsfs files are not readable; the point is the next line
    const poolIno = (await import('node:fs/promises'))
      .stat('/proc/thread-self/ns/net')
      .then((s) => String(s.ino));
    expect(await poolIno).not.toBe(nsInode(cont.path));
  });

  it('run refuses a function that returns a promise and switches back', () => {
    expect(() => cont.run(() => Promise.resolve(1))).toThrow(/synchronous/);
    expect(NetNS.current().sameAs(NetNS.original())).toBe(true);
  });

  it('nested run returns to the outer namespace', () => {
    const inner = cont.run(() => host.run(() => NetNS.current().sameAs(host.ns)));
    expect(inner).toBe(true);
    const after = cont.run(() => {
      host.run(() => 0);
      return NetNS.current().sameAs(cont.ns);
    });
    expect(after).toBe(true);
  });

  it('createTemp gives a private namespace that lives while open', () => {
    const t = NetNS.createTemp();
    try {
      expect(t.sameAs(NetNS.original())).toBe(false);
      expect(t.run(() => NetNS.current().sameAs(t))).toBe(true);
    } finally {
      t.close();
    }
  });
});

describe('sysctlPath', () => {
  it('interchanges dots and slashes by the first separator', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
    expect(sysctlPath('net.ipv4.conf.eth0/100.forwarding')).toBe(
      '/proc/sys/net/ipv4/conf/eth0.100/forwarding',
    );
    expect(sysctlPath('net/ipv4/conf/eth0.100/forwarding')).toBe(
      '/proc/sys/net/ipv4/conf/eth0.100/forwarding',
    );
  });
  it('rejects keys that leave /proc/sys', () => {
    expect(() => sysctlPath('net/../../etc/passwd')).toThrow(/invalid sysctl key/);
    expect(() => sysctlPath('/etc/passwd')).toThrow(/invalid sysctl key/);
  });
});
