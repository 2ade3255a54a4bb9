// host-device as a real process (dist/cni/bin/host-device) in throwaway "host" and
// "container" namespaces. The "host NIC" is a veth end in the host namespace; PCI, auxiliary
// and kernel-path selection run against a fake sysfs tree (CNI_TS_SYSFS_ROOT).
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_VERSIONS,
  addrsOf,
  hostLocal,
  ip,
  linkInfo,
  linkNames,
  ourBin,
  runIn,
  type TempDir,
  tempDir,
  vethPair,
} from '@cni-internal/test-kit';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;
let sysfs: TempDir;

beforeAll(() => {
  bin = ourBin('host-device');
});

beforeEach(() => {
  host = makeNetNS('hdh');
  ctr = makeNetNS('hdc');
  data = tempDir('cni-hostdev-');
  sysfs = tempDir('cni-sysfs-');
  vethPair(host, 'hd0', 'hd0p');
  ip(host, 'link', 'set', 'hd0', 'address', '02:00:00:00:0d:01', 'mtu', '1450');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
  sysfs.cleanup();
});

const conf = (v: string, extra: object = {}) => ({
  cniVersion: v,
  name: 'hdnet',
  type: 'host-device',
  ...extra,
});
const run = (
  command: string,
  stdin: object,
  extra: { ifName?: string; netns?: string; env?: Record<string, string> } = {},
) =>
  runIn(host, bin, {
    command,
    containerID: 'ctr-hd',
    netns: extra.netns ?? ctr.path,
    stdin,
    ...(extra.ifName ? { ifName: extra.ifName } : {}),
    env: { CNI_TS_SYSFS_ROOT: sysfs.path, ...extra.env },
  });

const reserved = (): string[] => {
  const dir = join(data.path, 'hdnet');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

/** The device is back in the host under its name, down, without alias or addresses. */
function expectBackInHost(name = 'hd0') {
  const l = linkInfo(host, name);
  expect(l, `${name} in host`).toBeDefined();
  expect(l.ifalias ?? '').toBe('');
  expect(l.address).toBe('02:00:00:00:0d:01');
  expect(addrsOf(host, name)).toEqual([]);
}

/** A fake sysfs: PCI device `pci` bound to `driver`, with netdev `netdev` (unless DPDK). */
function fakePci(pci: string, driver: string, netdev?: string, virtio = false) {
  const dev = join(sysfs.path, 'bus/pci/devices', pci);
  const drv = join(sysfs.path, 'bus/pci/drivers', driver);
  mkdirSync(drv, { recursive: true });
  mkdirSync(dev, { recursive: true });
  symlinkSync(drv, join(dev, 'driver'));
  if (netdev) mkdirSync(join(dev, virtio ? 'virtio3' : '', 'net', netdev), { recursive: true });
}

describe('host-device process', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.json.supportedVersions).toEqual(ALL_VERSIONS);
  });

  it.each(ALL_VERSIONS)('ADD/CHECK/DEL by device name with host-local IPAM, cniVersion %s', async (v) => {
    const c = conf(v, { device: 'hd0', ipam: hostLocal(data.path) });
    const add = await run('ADD', c);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(linkInfo(host, 'hd0')).toBeUndefined();
    const l = linkInfo(ctr, 'eth0');
    expect(l.ifalias).toBe('hd0');
    expect(l.address).toBe('02:00:00:00:0d:01');
    expect(l.mtu).toBe(1450);
    expect(l.flags).toContain('UP');
    expect(addrsOf(ctr, 'eth0')).toEqual(['10.77.0.2/24']);
    if (v.startsWith('0.1') || v.startsWith('0.2')) {
      expect(add.json.ip4.ip).toBe('10.77.0.2/24');
    } else {
      expect(add.json.cniVersion).toBe(v);
      expect(add.json.interfaces).toEqual([{ name: 'eth0', mac: '02:00:00:00:0d:01', sandbox: ctr.path }]);
      expect(add.json.ips[0]).toMatchObject({ address: '10.77.0.2/24', interface: 0 });
    }
    if (v === '0.4.0' || v.startsWith('1.')) {
      const check = await run('CHECK', { ...c, prevResult: add.json });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.code).toBe(0);
    }
    const del = await run('DEL', c);
    expect(del.stdout + del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    expectBackInHost();
    expect(reserved()).toEqual([]);
    expect((await run('DEL', c)).code).toBe(0);
  });

  it('without IPAM the result is the device name and MAC; the device keeps its name in the host when ifName matches', async () => {
    const add = await run('ADD', conf('1.1.0', { device: 'hd0' }), { ifName: 'hd0' });
    expect(add.json).toEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'hd0', mac: '02:00:00:00:0d:01', sandbox: ctr.path }],
    });
    expect(linkInfo(ctr, 'hd0').ifalias).toBe('hd0');
    expect((await run('DEL', conf('1.1.0', { device: 'hd0' }), { ifName: 'hd0' })).code).toBe(0);
    expectBackInHost();
  });

  it('selects by hwaddr', async () => {
    const add = await run('ADD', conf('1.0.0', { hwaddr: '02:00:00:00:0D:01' }));
    expect(add.code).toBe(0);
    expect(linkInfo(ctr, 'eth0').ifalias).toBe('hd0');
    const miss = await run('ADD', conf('1.0.0', { hwaddr: '02:00:00:00:0d:99' }), { ifName: 'net1' });
    expect(miss.json.msg).toBe('failed to find host device: failed to find physical interface');
  });

  it('selects by kernelpath, pciBusID (also virtio), runtimeConfig.deviceID (PCI and auxiliary)', async () => {
    mkdirSync(join(sysfs.path, 'devices/pci0000:00/0000:00:19.0/net/hd0'), { recursive: true });
    const cases: [object, () => void][] = [
      [{ kernelpath: '/sys/devices/pci0000:00/0000:00:19.0' }, () => {}],
      [{ pciBusID: '0000:00:1f.0' }, () => fakePci('0000:00:1f.0', 'e1000e', 'hd0')],
      [{ pciBusID: '0000:00:05.0' }, () => fakePci('0000:00:05.0', 'virtio-pci', 'hd0', true)],
      [{ runtimeConfig: { deviceID: '0000:00:1f.0' } }, () => {}],
      [
        { runtimeConfig: { deviceID: 'mlx5_core.sf.4' } },
        () =>
          mkdirSync(join(sysfs.path, 'bus/auxiliary/devices/mlx5_core.sf.4/net/hd0'), { recursive: true }),
      ],
    ];
    for (const [extra, setup] of cases) {
      setup();
      const c = conf('1.0.0', extra);
      const add = await run('ADD', c);
      expect(add.code, `${JSON.stringify(extra)}: ${add.stdout}`).toBe(0);
      expect(linkInfo(ctr, 'eth0').ifalias).toBe('hd0');
      const del = await run('DEL', c);
      expect(del.code, del.stdout).toBe(0);
      expectBackInHost();
    }
  });

  it('DPDK: a PCI device bound to vfio-pci is not moved; IPAM still runs', async () => {
    fakePci('0000:00:1e.0', 'vfio-pci');
    const c = conf('1.0.0', { pciBusID: '0000:00:1e.0', ipam: hostLocal(data.path) });
    const add = await run('ADD', c);
    expect(add.code, add.stdout).toBe(0);
    expect(add.json.interfaces).toEqual([{ name: 'eth0', sandbox: ctr.path }]);
    expect(add.json.ips[0].address).toBe('10.77.0.2/24');
    expect(linkNames(ctr)).toEqual([]);
    expect((await run('CHECK', { ...c, prevResult: add.json })).code).toBe(0);
    expect((await run('DEL', c)).code).toBe(0);
    expect(reserved()).toEqual([]);
    const noIpam = await run('ADD', conf('1.0.0', { pciBusID: '0000:00:1e.0' }));
    expect(noIpam.json).toEqual({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: ctr.path }] });
  });

  it('rejects bad configurations naming key and value, before moving anything', async () => {
    const cases: [object, number, string][] = [
      [{}, 7, 'specify either "device", "hwaddr", "kernelpath" or "pciBusID"'],
      [{ device: 7 }, 6, 'key "device" must be a string, got number 7'],
      [{ hwaddr: 'nope' }, 7, 'invalid "hwaddr" "nope": not a MAC address'],
      [
        { kernelpath: '/etc/passwd' },
        7,
        'kernel device path "/etc/passwd" must be absolute and begin with /sys/devices/',
      ],
      [{ kernelpath: '/sys/devices/../../etc' }, 7, 'must be absolute and begin with /sys/devices/'],
      [{ pciBusID: '../../etc' }, 7, 'invalid "pciBusID" "../../etc"'],
      [
        { runtimeConfig: { deviceID: 'nope.0' } },
        7,
        'runtime config DeviceID nope.0 not found or unsupported',
      ],
      [{ pciBusID: '0000:00:aa.0' }, 7, 'error with host device'],
      [{ device: 'nope0' }, 999, 'failed to find host device: '],
    ];
    for (const [extra, code, text] of cases) {
      const r = await run('ADD', conf('1.0.0', extra));
      expect(r.code, JSON.stringify(extra)).toBe(1);
      expect(r.json.code, JSON.stringify(extra)).toBe(code);
      expect(r.json.msg).toContain(text);
      expect(r.stdout).not.toContain('    at ');
    }
    expect(linkNames(ctr)).toEqual([]);
    expect(linkInfo(host, 'hd0').flags).toContain('UP');
  });

  it('rolls back the move when IPAM fails: the device is back in the host, up, without alias', async () => {
    const r = await run('ADD', conf('1.0.0', { device: 'hd0', ipam: { type: 'no-such-ipam' } }));
    expect(r.code).toBe(1);
    expect(linkNames(ctr)).toEqual([]);
    expectBackInHost();
  });

  it('rolls back each step when the container already has the name', async () => {
    vethPair(ctr, 'eth0', 'ceth0p');
    const r = await run('ADD', conf('1.0.0', { device: 'hd0' }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toContain('failed to move link');
    expect(r.json.msg).toContain('to container NS');
    expectBackInHost();
    expect(linkInfo(host, 'hd0').flags).toContain('UP');
    expect(linkNames(ctr).sort()).toEqual(['ceth0p', 'eth0']);
  });

  it('DEL releases IPAM even when the netns is gone (reference bug #1196)', async () => {
    const gone = makeNetNS('hdgone');
    const c = conf('1.0.0', { device: 'hd0', ipam: hostLocal(data.path) });
    const add = await run('ADD', c, { netns: gone.path });
    expect(add.code).toBe(0);
    expect(reserved()).toEqual(['10.77.0.2']);
    const path = gone.path;
    destroyNetNS(gone);
    const del = await run('DEL', c, { netns: path });
    expect(del.stdout).toBe('');
    expect(del.code).toBe(0);
    expect(reserved()).toEqual([]);
    expect((await run('DEL', c, { netns: '' })).code).toBe(0);
  });

  it('DEL of a device without alias fails with the reference message; of a missing device succeeds', async () => {
    vethPair(ctr, 'eth0', 'ceth0p');
    const r = await run('DEL', conf('1.0.0', { device: 'hd0' }));
    expect(r.code).toBe(1);
    expect(r.json.msg).toBe('failed to find original ifname for "eth0" (alias is not set)');
    expect((await run('DEL', conf('1.0.0', { device: 'hd0' }), { ifName: 'net9' })).code).toBe(0);
  });

  it('DEL tolerates the sysfs device being gone', async () => {
    fakePci('0000:00:1f.0', 'e1000e', 'hd0');
    const c = conf('1.0.0', { pciBusID: '0000:00:1f.0' });
    expect((await run('ADD', c)).code).toBe(0);
    sysfs.cleanup();
    const del = await run('DEL', c);
    expect(del.code, del.stdout).toBe(0);
    expectBackInHost();
  });

  it('STATUS and GC succeed and are forwarded to IPAM', async () => {
    const c = conf('1.1.0', { device: 'hd0', ipam: hostLocal(data.path) });
    expect((await run('STATUS', c)).code).toBe(0);
    expect((await run('GC', { ...c, 'cni.dev/valid-attachments': [] })).code).toBe(0);
    expect((await run('STATUS', conf('1.1.0', { device: 'hd0', ipam: { type: 'no-such' } }))).code).toBe(1);
  });
});
