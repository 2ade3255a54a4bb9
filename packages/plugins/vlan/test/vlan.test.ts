// vlan as a process on this machine's kernel (which has no 8021q): everything decided before
// the link is created — VERSION, configuration errors (nothing created), DEL idempotence.
import {
  ALL_VERSIONS,
  destroyNetNS,
  hostLocal,
  linkNames,
  makeNetNS,
  ourBin,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
  vethPair,
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  bin = ourBin('vlan');
});

beforeEach(() => {
  host = makeNetNS('vlh');
  ctr = makeNetNS('vlc');
  data = tempDir('cni-vlan-');
  vethPair(host, 'hm0', 'hm0p', 1500);
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (extra: object = {}) => ({
  cniVersion: '1.0.0',
  name: 'vlnet',
  type: 'vlan',
  master: 'hm0',
  vlanId: 100,
  ipam: hostLocal(data.path),
  ...extra,
});
const run = (command: string, stdin: object, netns = ctr.path) =>
  runIn(host, bin, { command, containerID: 'ctr-vl', netns, stdin });

describe('vlan process (host kernel)', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS });
  });

  it.each([
    [
      { master: undefined },
      7,
      '"master" field is required. It specifies the host interface name to create the VLAN for',
    ],
    [
      { master: '' },
      7,
      '"master" field is required. It specifies the host interface name to create the VLAN for',
    ],
    [{ vlanId: 4095 }, 7, 'invalid "vlanId" 4095: must be in [0, 4094]'],
    [{ vlanId: -1 }, 7, 'invalid "vlanId" -1: must be in [0, 4094]'],
    [{ vlanId: '100' }, 6, 'failed to load netconf: key "vlanId" must be an integer, got string "100"'],
    [{ mtu: -1 }, 7, 'invalid "mtu" -1: must be in [0, master MTU]'],
    [{ mtu: 1501 }, 7, 'invalid MTU 1501, must be [0, master MTU(1500)]'],
    [{ master: 'nope0' }, 7, 'failed to lookup master "nope0": Link not found'],
    [{ ipam: undefined }, 7, 'vlan interface requires an IPAM configuration'],
  ])('ADD %j is error %i, nothing created', async (extra, code, msg) => {
    const r = await run('ADD', conf(extra));
    expect(r.json).toEqual({ code, msg });
    expect(r.code).toBe(1);
    expect(linkNames(ctr)).toEqual([]);
    expect(linkNames(host).sort()).toEqual(['hm0', 'hm0p']);
  });

  it('DEL needs no master; succeeds without netns, with a gone netns, twice', async () => {
    const c = conf({ master: 'gone0' });
    for (const netns of ['', '/run/netns/cni-no-such-ns', ctr.path, ctr.path]) {
      const del = await run('DEL', c, netns);
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
    }
  });

  it('CHECK runs IPAM CHECK first (before the prevResult is looked at)', async () => {
    const r = await run('CHECK', conf());
    expect(r.json).toEqual({
      code: 999,
      msg: 'host-local: Failed to find address added by container ctr-vl',
    });
  });
});
