import { runPlugin } from '@cni/skel';
import { describe, expect, it } from 'vitest';
import { plugin } from './index.js';

describe('static plugin definition', () => {
  it('declares every spec version and runs in process', async () => {
    expect(plugin.type).toBe('static');
    expect(plugin.versions).toEqual(['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    const conf = {
      cniVersion: '0.4.0',
      name: 'n',
      type: 'static',
      ipam: { type: 'static', addresses: [{ address: '10.1.1.1/24' }] },
    };
    const env = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_IFNAME: 'eth0',
      CNI_NETNS: '/x',
      CNI_PATH: '/opt/cni/bin',
    };
    const r = await runPlugin(plugin, env, Buffer.from(JSON.stringify(conf)));
    expect(r.exitCode, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '10.1.1.1/24' }],
      dns: {},
    });
  });
});
