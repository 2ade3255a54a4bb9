// Side by side with the Go reference (Debian's v1.1.1 in /usr/lib/cni): the same device
// ends up the same way in the container; an ADD by one is undone by the other's DEL.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { destroyNetNS, distCniBin, makeNetNS, type TestNetNS } from '@cni-internal/test-kit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addrsOf,
  GO_CNI,
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

const goBin = join(GO_CNI, 'host-device');
let ours: string;
let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeAll(() => {
  ours = ourBin('host-device');
  if (!existsSync(goBin)) throw new Error(`${goBin} missing: apt-get install containernetworking-plugins`);
});

beforeEach(() => {
  host = makeNetNS('hdgh');
  ctr = makeNetNS('hdgc');
  data = tempDir('cni-hostdev-go-');
  vethPair(host, 'hd0', 'hd0p');
  ip(host, 'link', 'set', 'hd0', 'address', '02:00:00:00:0d:01');
});

afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const conf = () => ({
  cniVersion: '1.0.0',
  name: 'hdgo',
  type: 'host-device',
  device: 'hd0',
  ipam: hostLocal(data.path),
});

type Impl = 'go' | 'ts';
const run = (impl: Impl, command: string, stdin: object) =>
  runIn(host, impl === 'go' ? goBin : ours, {
    command,
    containerID: 'ctr-hdgo',
    netns: ctr.path,
    stdin,
    path: impl === 'go' ? GO_CNI : distCniBin,
  });

function containerView() {
  const l = linkInfo(ctr, 'eth0');
  return { alias: l.ifalias, mac: l.address, up: l.flags.includes('UP'), addrs: addrsOf(ctr, 'eth0') };
}

describe('host-device side by side with Go v1.1.1', () => {
  it.each([
    ['go', 'ts'],
    ['ts', 'go'],
  ] as const)('%s ADD → same container state and result → %s CHECK and DEL', async (first, second) => {
    const add = await run(first, 'ADD', conf());
    expect(add.code, add.stdout + add.stderr).toBe(0);
    expect(containerView()).toEqual({
      alias: 'hd0',
      mac: '02:00:00:00:0d:01',
      up: true,
      addrs: ['10.77.0.2/24'],
    });
    // Go v1.1.1 printed an empty "dns": {} for 1.0.0; newer Go and @cni/skel omit it.
    const { dns, ...rest } = add.json;
    expect(dns ?? {}).toEqual({});
    expect(rest).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:0d:01', sandbox: ctr.path }],
      ips: [{ interface: 0, address: '10.77.0.2/24', gateway: '10.77.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    const check = await run(second, 'CHECK', { ...conf(), prevResult: add.json });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.code).toBe(0);
    const del = await run(second, 'DEL', conf());
    expect(del.code, del.stdout).toBe(0);
    expect(linkNames(ctr)).toEqual([]);
    const back = linkInfo(host, 'hd0');
    expect(back.address).toBe('02:00:00:00:0d:01');
    expect(addrsOf(host, 'hd0')).toEqual([]);
    // and the address was released in the shared host-local store: the next ADD gets .3
    const again = await run(first, 'ADD', conf());
    expect(again.json.ips[0].address).toBe('10.77.0.3/24');
    expect((await run(first, 'DEL', conf())).code).toBe(0);
  });

  it('the same error without a device key', async () => {
    const c = { cniVersion: '1.0.0', name: 'hdgo', type: 'host-device' };
    const go = await run('go', 'ADD', c);
    const ts = await run('ts', 'ADD', c);
    expect(ts.code).toBe(1);
    expect(ts.json.msg).toBe(go.json.msg);
  });
});
