// Test environment: a "server" namespace with a bridge and dnsmasq, container namespaces
// connected to the bridge by veth pairs, and the dhcp daemon as a separate process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  destroyNetNS,
  ip,
  makeNetNS,
  ourBin,
  type PluginProcessResult,
  runPluginProcess,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';

export interface LeaseLine {
  expiry: number;
  mac: string;
  ip: string;
  clientId: string;
}

let seq = 0;

export class DhcpEnv {
  readonly dir: TempDir;
  readonly server: TestNetNS;
  readonly containers: TestNetNS[] = [];
  readonly subnet: string;
  dnsmasq: ChildProcess | undefined;
  daemon: ChildProcess | undefined;
  daemonLog = '';
  dnsmasqLog = '';
  #ports = 0;

  constructor() {
    this.dir = tempDir('cni-dhcp-');
    this.server = makeNetNS('dhs');
    // a /24 per environment, so that parallel files never share addresses in logs
    this.subnet = `10.${60 + (process.pid % 60)}.${(seq++ * 7 + (process.pid >> 6)) % 250}`;
    ip(this.server, 'link', 'add', 'br0', 'type', 'bridge');
    ip(this.server, 'addr', 'add', `${this.subnet}.1/24`, 'dev', 'br0');
    ip(this.server, 'link', 'set', 'br0', 'up');
  }

  get socket(): string {
    return join(this.dir.path, 'dhcp.sock');
  }
  get stateDir(): string {
    return join(this.dir.path, 'state');
  }
  get leaseFile(): string {
    return join(this.dir.path, 'dnsmasq.leases');
  }

  /** A container namespace with `ifName` connected to the server's bridge. */
  addContainer(ifName = 'eth0', up = true): TestNetNS {
    const c = makeNetNS('dhc');
    const port = `vp${this.#ports++}`;
    ip(this.server, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifName, 'netns', c.name);
    ip(this.server, 'link', 'set', port, 'master', 'br0');
    ip(this.server, 'link', 'set', port, 'up');
    if (up) ip(c, 'link', 'set', ifName, 'up');
    this.containers.push(c);
    return c;
  }

  /** Start dnsmasq in the server namespace (`extra` dnsmasq options, e.g. --dhcp-option=…). */
  async startDnsmasq(extra: string[] = [], range = `${this.subnet}.10,${this.subnet}.200`): Promise<void> {
    const args = [
      'netns',
      'exec',
      this.server.name,
      '/usr/sbin/dnsmasq',
      '--no-daemon',
      '--conf-file=/dev/null',
      '--interface=br0',
      '--except-interface=lo',
      '--bind-interfaces',
      '--port=0',
      '--no-ping',
      '--log-dhcp',
      '--log-facility=-',
      `--dhcp-range=${range},255.255.255.0,2m`,
      `--dhcp-leasefile=${this.leaseFile}`,
      `--pid-file=${join(this.dir.path, 'dnsmasq.pid')}`,
      ...extra,
    ];
    const p = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.dnsmasq = p;
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        this.dnsmasqLog += d.toString();
        if (!ready && this.dnsmasqLog.includes('DHCP, IP range')) {
          ready = true;
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', onData);
      p.once('exit', (code) => {
        if (!ready) reject(new Error(`dnsmasq exited with ${code}: ${this.dnsmasqLog}`));
      });
    });
  }

  /** Start the daemon (our dist binary) as a separate process; resolves when it answers. */
  async startDaemon(flags: string[] = []): Promise<ChildProcess> {
    const p = spawn(
      ourBin('dhcp'),
      [
        'daemon',
        '-socketpath',
        this.socket,
        '-statedir',
        this.stateDir,
        '-timeout',
        '2s',
        '-resendmax',
        '4s',
        '-resendtimeout',
        '40s',
        ...flags,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.daemon = p;
    this.daemonLog = '';
    const onData = (d: Buffer): void => {
      this.daemonLog += d.toString();
    };
    p.stdout?.on('data', onData);
    p.stderr?.on('data', onData);
    await this.until(
      () => this.daemonLog.includes('listening on') || p.exitCode !== null,
      `daemon start: ${this.daemonLog}`,
    );
    if (p.exitCode !== null) throw new Error(`daemon exited with ${p.exitCode}: ${this.daemonLog}`);
    return p;
  }

  /** Stop the daemon with `signal` and wait for it to exit. */
  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const p = this.daemon;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const done = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    p.kill(signal);
    const code = await done;
    this.daemon = undefined;
    return code;
  }

  /** Poll `cond` until true (the test's own timeout bounds the wait). */
  async until(cond: () => boolean, what: string, everyMs = 50): Promise<void> {
    for (;;) {
      if (cond()) return;
      if (this.dnsmasq && this.dnsmasq.exitCode !== null && !what.startsWith('dnsmasq'))
        throw new Error(`dnsmasq died while waiting for ${what}: ${this.dnsmasqLog}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  leases(): LeaseLine[] {
    if (!existsSync(this.leaseFile)) return [];
    return readFileSync(this.leaseFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [expiry, mac, ipAddr, , clientId] = l.split(' ');
        return { expiry: Number(expiry), mac: mac ?? '', ip: ipAddr ?? '', clientId: clientId ?? '' };
      });
  }

  leaseOf(clientID: string): LeaseLine | undefined {
    const hex = ['00', ...[...Buffer.from(clientID)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
    return this.leases().find((l) => l.clientId === hex);
  }

  conf(version = '1.0.0', ipam: object = {}, name = 'dhnet'): object {
    return {
      cniVersion: version,
      name,
      type: 'dhcp',
      ipam: { type: 'dhcp', daemonSocketPath: this.socket, ...ipam },
    };
  }

  run(
    command: string,
    c: TestNetNS | string,
    stdin: object,
    o: { containerID?: string; ifName?: string; args?: string } = {},
  ): Promise<PluginProcessResult> {
    return runPluginProcess(ourBin('dhcp'), {
      command,
      containerID: o.containerID ?? 'ctr1',
      netns: typeof c === 'string' ? c : c.path,
      ifName: o.ifName ?? 'eth0',
      args: o.args ?? '',
      stdin,
    });
  }

  async cleanup(): Promise<void> {
    await this.stopDaemon('SIGKILL').catch(() => undefined);
    if (this.dnsmasq && this.dnsmasq.exitCode === null) {
      const p = this.dnsmasq;
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await done;
    }
    for (const c of this.containers) destroyNetNS(c);
    destroyNetNS(this.server);
    this.dir.cleanup();
  }
}
