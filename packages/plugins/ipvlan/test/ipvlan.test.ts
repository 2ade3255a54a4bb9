// ipvlan as a process on this machine's kernel (which has no ipvlan): everything decided
// before the link is created — VERSION, configuration errors (nothing created), DEL idempotence.
import {
  ALL_VERSIONS,
  destroyNetNS,
  hostLocal,
  ip,
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
  bin = ourBin('ipvlan');
});

beforeEach(() => {
  host = makeNetNS('ivh');
  ctr = makeNetNS('ivc');
  data = tempDir('cni-ipvlan-');
  vethPair(host, 'hm0', 'hm0p', 1500);
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = (extra: object = {}) => ({
  cniVersion: '1.0.0',
  name: 'ivnet',
  type: 'ipvlan',
  ipam: hostLocal(data.path),
  ...extra,
});
const run = (command: string, stdin: object, netns = ctr.path) =>
  runIn(host, bin, { command, containerID: 'ctr-iv', netns, stdin });

describe('ipvlan process (host kernel)', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS });
  });

  it.each([
    [{ mode: 'bridge' }, 7, 'unknown ipvlan mode: "bridge"'],
    [{ mode: 3 }, 6, 'failed to load netconf: key "mode" must be a string, got number 3'],
    [{ mtu: -1 }, 7, 'invalid "mtu" -1: must not be negative'],
    [{ master: 'hm0', mtu: 9000 }, 7, 'invalid MTU 9000, must be [0, master MTU(1500)]'],
    [{ master: 'nope0' }, 7, 'failed to lookup master "nope0": Link not found'],
    [
      { linkInContainer: 'yes' },
      6,
      'failed to load netconf: key "linkInContainer" must be a boolean, got string "yes"',
    ],
    [{ ipam: undefined }, 7, 'ipvlan requires an IPAM configuration ("ipam.type") or a prevResult with IPs'],
    [{}, 999, 'no default route interface found'],
    [
      {
        master: undefined,
        ipam: undefined,
        prevResult: { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.1.0.2/24' }] },
      },
      7,
      'chained master failure. PrevResult lacks a single named interface',
    ],
  ])('ADD %j is error %i, nothing created', async (extra, code, msg) => {
    const r = await run('ADD', conf(extra));
    expect(r.json).toEqual({ code, msg });
    expect(r.code).toBe(1);
    expect(linkNames(ctr)).toEqual([]);
    expect(linkNames(host).sort()).toEqual(['hm0', 'hm0p']);
  });

  it('DEL needs no master and no default route; succeeds without netns, with a gone netns, twice', async () => {
    const c = conf({ master: 'gone0' });
    for (const netns of ['', '/run/netns/cni-no-such-ns', ctr.path, ctr.path]) {
      const del = await run('DEL', c, netns);
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
    }
    ip(host, 'link', 'del', 'hm0');
    expect((await run('DEL', conf())).code).toBe(0);
  });

  it('CHECK needs a prevResult', async () => {
    const r = await run('CHECK', conf({ ipam: undefined }));
    expect(r.json).toEqual({ code: 999, msg: 'Required prevResult missing' });
  });
});
