// dummy as a process on this machine's kernel (which has no dummy driver): everything that
// does not create the link — VERSION, configuration errors (nothing created), DEL idempotence.
import { existsSync } from 'node:fs';
import {
  ALL_VERSIONS,
  destroyNetNS,
  linkNames,
  makeNetNS,
  ourBin,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let bin: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  bin = ourBin('dummy');
});

beforeEach(() => {
  host = makeNetNS('dmh');
  ctr = makeNetNS('dmc');
  data = tempDir('cni-dummy-');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const ipam = () => ({ type: 'host-local', dataDir: data.path, subnet: '10.77.0.0/24' });
const run = (command: string, stdin: object, netns = ctr.path) =>
  runIn(host, bin, { command, containerID: 'ctr-dm', netns, stdin });

describe('dummy process (host kernel)', () => {
  it('VERSION lists every spec version', async () => {
    const r = await run('VERSION', {});
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS });
  });

  it.each(['ADD', 'CHECK'])('%s without IPAM is error 7 and creates nothing', async (cmd) => {
    for (const extra of [{}, { ipam: {} }, { ipam: { type: '' } }]) {
      const r = await run(cmd, { cniVersion: '1.0.0', name: 'dm', type: 'dummy', ...extra });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ code: 7, msg: 'dummy interface requires an IPAM configuration' });
      expect(linkNames(ctr)).toEqual([]);
    }
  });

  it('a missing netns on ADD is an error; DEL succeeds without netns, with a gone netns, twice', async () => {
    const c = { cniVersion: '1.1.0', name: 'dm', type: 'dummy', ipam: ipam() };
    const add = await run('ADD', c, '/run/netns/cni-no-such-ns');
    expect(add.code).toBe(1);
    expect(add.json.msg).toContain('failed to open netns "/run/netns/cni-no-such-ns"');
    for (const netns of ['', '/run/netns/cni-no-such-ns', ctr.path, ctr.path]) {
      const del = await run('DEL', c, netns);
      expect(del.stdout + del.stderr).toBe('');
      expect(del.code).toBe(0);
    }
    expect(existsSync(ctr.path)).toBe(true);
  });
});
