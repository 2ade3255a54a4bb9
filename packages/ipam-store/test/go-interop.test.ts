// The store against the Go reference host-local (Debian's containernetworking-plugins in
// /usr/lib/cni): same lock, same records, each side releases what the other allocated.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIP, parseIP } from '@cni/ip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalizeRangeSets, DiskStore, IPAllocator } from '../src/index.js';

const GO = '/usr/lib/cni/host-local';
let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ipam-go-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const conf = () =>
  JSON.stringify({
    cniVersion: '0.4.0',
    name: 'interop',
    type: 'host-local',
    ipam: { type: 'host-local', subnet: '10.77.0.0/24', dataDir },
  });
const goEnv = (command: string, id: string) => ({
  PATH: '/usr/bin:/bin',
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_NETNS: '/var/run/netns/none',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/usr/lib/cni',
});

describe('store and the Go host-local', () => {
  it('the Go plugin is installed', () => {
    expect(existsSync(GO)).toBe(true);
  });

  it('Go waits for our lock: it takes the same flock on <dir>/lock', async () => {
    const store = DiskStore.open('interop', dataDir);
    const set = canonicalizeRangeSets([[{ subnet: '10.77.0.0/24' }]])[0] ?? [];
    store.lock();
    let goDone = false;
    const child = spawn(GO, [], { env: goEnv('ADD', 'go-1'), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    void exited.then(() => {
      goDone = true;
    });
    child.stdin.end(conf());
    await new Promise((r) => setTimeout(r, 400));
    expect(goDone).toBe(false);
    // While Go waits, we allocate the address it would have taken.
    const ours = new IPAllocator(set, store, 0).get('ts-1', 'eth0');
    expect(formatIP(ours.address.ip)).toBe('10.77.0.2');
    store.unlock();
    expect(await exited).toBe(0);
    store.close();
    expect(JSON.parse(out).ips[0].address).toBe('10.77.0.3/24');
    expect(readFileSync(join(dataDir, 'interop', '10.77.0.3'), 'utf8')).toBe('go-1\r\neth0');
  });

  it('we release what Go allocated and Go releases what we allocated', () => {
    const r = spawnSync(GO, [], { env: goEnv('ADD', 'go-2'), input: conf(), encoding: 'utf8' });
    expect(r.status, r.stdout).toBe(0);
    const store = DiskStore.open('interop', dataDir);
    const set = canonicalizeRangeSets([[{ subnet: '10.77.0.0/24' }]])[0] ?? [];
    try {
      store.withLock(() => {
        // Round robin continues after Go's last_reserved_ip.0.
        expect(formatIP(new IPAllocator(set, store, 0).get('ts-2', 'eth0').address.ip)).toBe('10.77.0.3');
        expect(store.releaseByID('go-2', 'eth0').map(formatIP)).toEqual(['10.77.0.2']);
      });
    } finally {
      store.close();
    }
    const d = spawnSync(GO, [], { env: goEnv('DEL', 'ts-2'), input: conf(), encoding: 'utf8' });
    expect(d.status, d.stdout).toBe(0);
    expect(readdirSync(join(dataDir, 'interop')).sort()).toEqual(['last_reserved_ip.0', 'lock']);
    expect(parseIP(readFileSync(join(dataDir, 'interop', 'last_reserved_ip.0'), 'utf8'))).toEqual(
      parseIP('10.77.0.3'),
    );
  });
});
