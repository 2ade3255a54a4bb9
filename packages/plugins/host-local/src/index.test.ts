// The exported PluginDef run in process through @cni/skel (how another plugin embeds
// host-local, or delegates to it without a second Node process).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlugin } from '@cni/skel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plugin } from './index.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'host-local-inproc-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const env = (command: string, id = 'c1') => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_IFNAME: 'eth0',
  CNI_NETNS: '/var/run/netns/none',
  CNI_PATH: '/opt/cni/bin',
});
const stdin = (v: string) =>
  Buffer.from(
    JSON.stringify({
      cniVersion: v,
      name: 'inproc',
      type: 'host-local',
      ipam: { type: 'host-local', subnet: '10.99.0.0/24', dataDir },
    }),
  );

describe('plugin definition', () => {
  it('declares every spec version and the 1.1 verbs', () => {
    expect(plugin.type).toBe('host-local');
    expect(plugin.versions).toEqual(['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(typeof plugin.gc).toBe('function');
    expect(typeof plugin.status).toBe('function');
  });

  it('runs ADD, CHECK, DEL, STATUS and GC in process', async () => {
    const add = await runPlugin(plugin, env('ADD'), stdin('1.1.0'));
    expect(add.exitCode, add.stdout).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({
      cniVersion: '1.1.0',
      ips: [{ address: '10.99.0.2/24', gateway: '10.99.0.1' }],
    });
    expect((await runPlugin(plugin, env('CHECK'), stdin('1.1.0'))).exitCode).toBe(0);
    expect(
      (await runPlugin(plugin, { CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, stdin('1.1.0'))).exitCode,
    ).toBe(0);
    const dup = await runPlugin(plugin, env('ADD'), stdin('1.1.0'));
    expect(dup.exitCode).toBe(1);
    expect(JSON.parse(dup.stdout).msg).toMatch(/duplicate allocation is not allowed/);
    expect((await runPlugin(plugin, env('DEL'), stdin('1.1.0'))).exitCode).toBe(0);
    expect(readdirSync(join(dataDir, 'inproc')).sort()).toEqual(['last_reserved_ip.0', 'lock']);
  });
});
