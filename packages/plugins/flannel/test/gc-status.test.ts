// GC and STATUS (CNI 1.1) through the flannel process, with the test kit's noop plugin as the
// delegate (Debian's Go delegates predate 1.1): what reaches the delegate and what is removed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeNoopPlugin, readNoopDebug, runPluginProcess, writeNoopDebug } from '@cni-internal/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CniPathDir, makeCniPath } from './build.js';

let cni: CniPathDir;
let work: string;
beforeAll(async () => {
  cni = await makeCniPath([]);
  await makeNoopPlugin(cni.dir, 'bridge');
  work = mkdtempSync(join(tmpdir(), 'flannel-gc-'));
}, 120_000);
afterAll(() => {
  cni?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('GC and STATUS as a process', () => {
  it('ADDs three attachments, GC keeps the valid one, STATUS forwards and reports a missing lease', async () => {
    const subnetFile = join(work, 'subnet.env');
    const dataDir = join(work, 'flannel');
    const debugFile = join(work, 'noop.json');
    writeFileSync(
      subnetFile,
      'FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n',
    );
    writeNoopDebug(debugFile, {
      ReportResult: JSON.stringify({ cniVersion: '1.1.0', ips: [{ address: '10.1.17.2/24' }] }),
    });
    const conf = {
      cniVersion: '1.1.0',
      name: 'cbr0',
      type: 'flannel',
      subnetFile,
      dataDir,
      delegate: { debugFile },
    };
    const run = (command: string, containerID: string, stdin: object) =>
      runPluginProcess(cni.flannel, {
        command,
        containerID,
        netns: '/var/run/netns/none',
        path: cni.dir,
        stdin,
      });

    for (const id of ['c1', 'c2', 'c3']) {
      const add = await run('ADD', id, conf);
      expect(add.code, add.stdout + add.stderr).toBe(0);
      expect(add.json).toEqual({ cniVersion: '1.1.0', ips: [{ address: '10.1.17.2/24' }] });
      expect(existsSync(join(dataDir, id))).toBe(true);
    }

    const valid = [{ containerID: 'c2', ifname: 'eth0' }];
    const gc = await run('GC', '', { ...conf, 'cni.dev/valid-attachments': valid });
    expect(gc.code, gc.stdout + gc.stderr).toBe(0);
    const seen = readNoopDebug(debugFile);
    expect(seen.Command).toBe('GC');
    const sent = JSON.parse(seen.Stdin ?? '{}');
    expect(sent).toMatchObject({
      cniVersion: '1.1.0',
      name: 'cbr0',
      type: 'bridge',
      'cni.dev/valid-attachments': valid,
    });
    expect(['c1', 'c2', 'c3'].map((id) => existsSync(join(dataDir, id)))).toEqual([false, true, false]);

    const status = await run('STATUS', '', conf);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(readNoopDebug(debugFile).Command).toBe('STATUS');

    rmSync(subnetFile);
    const down = await run('STATUS', '', conf);
    expect(down.code).toBe(1);
    expect(down.json.code).toBe(50);
    expect(down.json.msg).toBe(
      `failed to load flannel 'subnet.env' file: open ${subnetFile}: no such file or directory. Check the flannel pod log for this node.`,
    );
  });
});
