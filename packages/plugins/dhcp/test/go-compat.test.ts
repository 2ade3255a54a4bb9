// Side by side with the Go reference (Debian's /usr/lib/cni/dhcp, 1.1.1) against the same
// dnsmasq: same identity on the wire (client id, MAC → same address), same result.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GO_CNI, runPluginProcess } from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DhcpEnv } from './env.js';

const GO_DHCP = join(GO_CNI, 'dhcp');
let env: DhcpEnv;
let goDaemon: ChildProcess | undefined;

beforeEach(() => {
  env = new DhcpEnv();
});

afterEach(async () => {
  if (goDaemon && goDaemon.exitCode === null) {
    const p = goDaemon;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await done;
  }
  goDaemon = undefined;
  await env.cleanup();
});

async function startGoDaemon(socket: string): Promise<void> {
  goDaemon = spawn(GO_DHCP, ['daemon', '-socketpath', socket, '-timeout', '3s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  goDaemon.stderr?.resume();
  goDaemon.stdout?.resume();
  await env.until(() => existsSync(socket), 'the Go daemon socket');
}

describe.runIf(existsSync(GO_DHCP))('Go reference side by side', () => {
  it('the same attachment gets the same address and result from Go and from us', async () => {
    await env.startDnsmasq([`--dhcp-option=33,192.168.60.0,${env.subnet}.253`]);
    const goSock = join(env.dir.path, 'go.sock');
    await startGoDaemon(goSock);
    const c = env.addContainer();
    const conf = (sock: string) => ({
      cniVersion: '1.0.0',
      name: 'dhnet',
      type: 'dhcp',
      ipam: { type: 'dhcp', daemonSocketPath: sock, request: [{ option: '33' }] },
    });
    const goAdd = await runPluginProcess(GO_DHCP, {
      command: 'ADD',
      containerID: 'ctr1',
      netns: c.path,
      stdin: conf(goSock),
    });
    expect(goAdd.code, goAdd.stdout + goAdd.stderr).toBe(0);
    const goLease = env.leaseOf('ctr1/dhnet/eth0');
    expect(goLease).toBeDefined();
    const goDel = await runPluginProcess(GO_DHCP, {
      command: 'DEL',
      containerID: 'ctr1',
      netns: c.path,
      stdin: conf(goSock),
    });
    expect(goDel.code).toBe(0);
    await env.until(() => env.leaseOf('ctr1/dhnet/eth0') === undefined, 'Go release');

    await env.startDaemon();
    const ours = await env.run('ADD', c, conf(env.socket));
    expect(ours.code).toBe(0);
    const ourLease = env.leaseOf('ctr1/dhnet/eth0');
    // same client id (leaseOf matched it), same MAC, same address, same result
    expect(ourLease?.mac).toBe(goLease?.mac);
    expect(ourLease?.ip).toBe(goLease?.ip);
    // (Debian's 1.1.1 prints an empty "dns": {} for 1.0.0 results; current Go and we omit it)
    expect(ours.json.ips).toEqual(goAdd.json.ips);
    expect(ours.json.routes).toEqual(goAdd.json.routes);
    expect(ours.json.routes).toHaveLength(2);
  });
});
