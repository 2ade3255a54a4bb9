// static as a real process, for every spec version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltPlugin, buildPlugin, type PluginEnv, runPlugin } from '@cni-internal/test-kit';

const VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
let built: BuiltPlugin;
beforeAll(async () => {
  built = await buildPlugin('static');
}, 120_000);
afterAll(() => built?.cleanup());

const env = (command: string, args?: string): PluginEnv => ({
  command,
  containerID: 'c1',
  ifname: 'eth0',
  netns: '/var/run/netns/cni-test-none',
  ...(args === undefined ? {} : { args }),
});
const conf = (version: string) => ({
  cniVersion: version,
  name: 'snet',
  type: 'static',
  ipam: {
    type: 'static',
    addresses: [{ address: '10.10.0.1/24', gateway: '10.10.0.254' }],
    routes: [{ dst: '0.0.0.0/0' }],
    dns: { nameservers: ['8.8.8.8'] },
  },
});

describe('static process', () => {
  for (const v of VERSIONS) {
    it(`[${v}] ADD, CHECK, DEL`, async () => {
      const add = await runPlugin(built.bin, env('ADD'), conf(v));
      expect(add.code, add.stdout + add.stderr).toBe(0);
      if (v === '0.1.0' || v === '0.2.0') {
        expect(add.json).toEqual({
          cniVersion: v,
          ip4: { ip: '10.10.0.1/24', gateway: '10.10.0.254', routes: [{ dst: '0.0.0.0/0' }] },
          dns: { nameservers: ['8.8.8.8'] },
        });
      } else if (v.startsWith('0.')) {
        expect(add.json).toEqual({
          cniVersion: v,
          ips: [{ version: '4', address: '10.10.0.1/24', gateway: '10.10.0.254' }],
          routes: [{ dst: '0.0.0.0/0' }],
          dns: { nameservers: ['8.8.8.8'] },
        });
      } else {
        expect(add.json).toEqual({
          cniVersion: v,
          ips: [{ address: '10.10.0.1/24', gateway: '10.10.0.254' }],
          routes: [{ dst: '0.0.0.0/0' }],
          dns: { nameservers: ['8.8.8.8'] },
        });
      }
      if (v >= '0.4.0') {
        expect((await runPlugin(built.bin, env('CHECK'), { ...conf(v), prevResult: add.json })).code).toBe(0);
        const bad = {
          ...conf(v),
          prevResult: {
            cniVersion: v,
            ips: [
              { ...(v < '1.0.0' ? { version: '4' } : {}), address: '10.10.0.1/24', gateway: '10.10.0.9' },
            ],
          },
        };
        const chk = await runPlugin(built.bin, env('CHECK'), bad);
        expect(chk.code).toBe(1);
        expect(chk.json?.msg).toBe('static: Failed to match addr 10.10.0.1 on interface eth0');
      }
      const del = await runPlugin(built.bin, env('DEL'), conf(v));
      expect(del.code, del.stdout).toBe(0);
    });
  }

  it('[1.1.0] CNI_ARGS IP=/GATEWAY=, STATUS and GC succeed', async () => {
    const c = { cniVersion: '1.1.0', name: 'snet', type: 'static', ipam: { type: 'static' } };
    const add = await runPlugin(built.bin, env('ADD', 'IP=10.10.0.1/24,11.11.0.1/24;GATEWAY=10.10.0.254'), c);
    expect(add.code, add.stdout).toBe(0);
    expect(add.json?.ips).toEqual([
      { address: '10.10.0.1/24', gateway: '10.10.0.254' },
      { address: '11.11.0.1/24' },
    ]);
    expect((await runPlugin(built.bin, { command: 'STATUS' }, c)).code).toBe(0);
    expect(
      (await runPlugin(built.bin, { command: 'GC' }, { ...c, 'cni.dev/valid-attachments': [] })).code,
    ).toBe(0);
  });

  it('bad input is a CNI error naming the value', async () => {
    const c = {
      cniVersion: '1.0.0',
      name: 'snet',
      type: 'static',
      ipam: { type: 'static', addresses: [{ address: '10.0.0.1' }] },
    };
    const r = await runPlugin(built.bin, env('ADD'), c);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({
      code: 7,
      msg: "the 'address' field is expected to be in CIDR notation, got: '10.0.0.1'",
    });
  });
});
