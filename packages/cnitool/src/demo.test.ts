import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CAP_ARGS, demoConfList, demoPluginPaths } from './demo.js';

describe('demo plugin directory', () => {
  it('CNI_PATH first; else the dist/cni/bin of an ancestor directory; else /opt/cni/bin', () => {
    expect(demoPluginPaths({ CNI_PATH: '/a:/b' })).toEqual(['/a', '/b']);
    const root = mkdtempSync(join(tmpdir(), 'cnitool-demo-unit-'));
    try {
      const bin = join(root, 'dist', 'cni', 'bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'bridge'), '');
      const from = join(root, 'packages', 'cnitool', 'dist', 'bin', 'main.js');
      expect(demoPluginPaths({}, from)).toEqual([bin]);
      expect(demoPluginPaths({ CNI_PATH: '' }, from)).toEqual([bin]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(demoPluginPaths({}, '/nonexistent/deep/file.js')).toEqual(['/opt/cni/bin']);
  });
});

describe('the embedded network', () => {
  it('keeps the chain order, drops missing plugins, carries the version and the IPAM directory', () => {
    const all = demoConfList('/tmp/ipam');
    expect((all.plugins as { type: string }[]).map((p) => p.type)).toEqual([
      'bridge',
      'portmap',
      'firewall',
      'tuning',
      'bandwidth',
    ]);
    const some = demoConfList('/tmp/ipam', ['bridge', 'host-local', 'firewall'], '1.0.0');
    expect(some).toMatchObject({
      cniVersion: '1.0.0',
      name: 'cnitool-demo',
      plugins: [{ type: 'bridge', ipam: { type: 'host-local', dataDir: '/tmp/ipam' } }, { type: 'firewall' }],
    });
    expect(Object.keys(DEMO_CAP_ARGS)).toEqual(['portMappings', 'bandwidth']);
  });
});
