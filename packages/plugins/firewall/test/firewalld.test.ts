// The firewalld backend against a real firewalld: a private D-Bus system bus started by the
// test, and firewalld running inside a test namespace (so its nftables ruleset lands there).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CmdArgs,
  chooseBackend,
  cmdAdd,
  cmdCheck,
  cmdDel,
  cmdGC,
  cmdStatus,
  DBusConnection,
  FIREWALLD_NAME,
  isFirewalldRunning,
  parseConf,
} from '../src/index.js';

let dir: string;
let host: TestNetNS;
let bus: ChildProcess | undefined;
let fwd: ChildProcess | undefined;
const savedAddress = process.env.DBUS_SYSTEM_BUS_ADDRESS;

function exited(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => p.once('exit', () => r()));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cni-fwd-'));
  mkdirSync(join(dir, 'sys'));
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  bus = spawn('dbus-daemon', [`--config-file=${dir}/bus.conf`, '--nofork', '--nopidfile'], {
    stdio: 'ignore',
  });
  process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${dir}/bus`;
  host = makeNetNS('fwd');
  // firewalld runs in the test namespace only; its config dir is private (runtime changes only).
  fwd = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.name,
      'firewalld',
      '--nofork',
      '--nopid',
      '--system-config',
      join(dir, 'sys'),
      '--log-target',
      'console',
    ],
    { stdio: 'ignore', env: { ...process.env } },
  );
  const deadline = Date.now() + 30_000;
  while (!isFirewalldRunning()) {
    if (Date.now() > deadline) throw new Error('firewalld did not appear on the test bus');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  fwd?.kill('SIGTERM');
  await exited(fwd);
  bus?.kill('SIGTERM');
  await exited(bus);
  destroyNetNS(host);
  rmSync(dir, { recursive: true, force: true });
  if (savedAddress === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  else process.env.DBUS_SYSTEM_BUS_ADDRESS = savedAddress;
});

const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
  ips: [
    { address: '10.88.0.5/16', interface: 0 },
    { address: 'fd88::5/64', interface: 0 },
  ],
};
const conf = (extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.0.0',
  name: 'fwd',
  type: 'firewall',
  firewalldZone: 'trusted',
  dataDir: join(dir, 'state'),
  prevResult,
  ...extra,
});
const args = (c: Record<string, unknown>, containerID = 'c1'): CmdArgs => ({
  containerID,
  netns: '/run/netns/x',
  ifName: 'eth0',
  stdinData: JSON.stringify(c),
});

function query(source: string): boolean {
  const c = DBusConnection.system();
  try {
    return (
      c.call(
        FIREWALLD_NAME,
        '/org/fedoraproject/FirewallD1',
        'org.fedoraproject.FirewallD1.zone',
        'querySource',
        'trusted',
        source,
      )[0] === true
    );
  } finally {
    c.close();
  }
}

describe('firewall, firewalld backend', () => {
  it('is chosen automatically when firewalld is on the system bus', () => {
    expect(chooseBackend(parseConf(JSON.stringify(conf())))).toBe('firewalld');
    cmdStatus(args(conf()));
  });

  it('adds, checks and removes zone sources', () => {
    const a = args(conf());
    expect(cmdAdd(a)).toEqual(prevResult);
    cmdAdd(a); // ZONE_ALREADY_SET is fine
    expect(query('10.88.0.5/32')).toBe(true);
    expect(query('fd88::5/128')).toBe(true);
    cmdCheck(a);
    // firewalld applied it in its own (test) namespace
    expect(
      execFileSync('ip', ['netns', 'exec', host.name, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }),
    ).toContain('10.88.0.5');
    cmdDel(a);
    cmdDel(a);
    expect(query('10.88.0.5/32')).toBe(false);
    expect(() => cmdCheck(a)).toThrow(/failed to find the address 10.88.0.5\/32 in trusted zone/);
  });

  it('GC removes the zone sources of stale attachments (recorded with the firewalld backend)', () => {
    const at = (ip: string) => conf({ prevResult: { ...prevResult, ips: [{ address: ip, interface: 0 }] } });
    cmdAdd(args(at('10.88.1.1/24'), 'gone'));
    cmdAdd(args(at('10.88.1.2/24'), 'kept'));
    expect(query('10.88.1.1/32')).toBe(true);
    cmdGC(args({ ...conf(), 'cni.dev/valid-attachments': [{ containerID: 'kept', ifname: 'eth0' }] }));
    expect(query('10.88.1.1/32')).toBe(false);
    expect(query('10.88.1.2/32')).toBe(true);
    cmdDel(args(at('10.88.1.2/24'), 'kept'));
    expect(query('10.88.1.2/32')).toBe(false);
  });

  it('a bad zone is an error naming it', () => {
    expect(() => cmdAdd(args(conf({ firewalldZone: 'no-such-zone' })))).toThrow(/no-such-zone/);
  });

  it('STATUS is 50 when the bus has no firewalld', () => {
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${dir}/nonexistent`;
    try {
      expect(isFirewalldRunning()).toBe(false);
      let code = 0;
      try {
        cmdStatus(args(conf({ backend: 'firewalld' })));
      } catch (err) {
        code = (err as { code: number }).code;
      }
      expect(code).toBe(50);
    } finally {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
  });
});
