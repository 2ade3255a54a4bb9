// Shaping is real: TCP transfers between the host namespace and a container attached by our
// bridge or ptp, before and after the bandwidth plugin. The shaped direction is measurably
// slower than unshaped, and its throughput is within 30 % of the configured rate (a ratio of
// bytes over the receiver's own elapsed time, no wall-clock limit).
import {
  destroyNetNS,
  makeNetNS,
  ourBin,
  runIn,
  type TempDir,
  type TestNetNS,
  tempDir,
} from '@cni-internal/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Main, mainAdd, mainConf, transfer } from './env.js';

let host: TestNetNS;
let ctr: TestNetNS;
let data: TempDir;

beforeEach(() => {
  host = makeNetNS('bwsh');
  ctr = makeNetNS('bwsc');
  data = tempDir('cni-bandwidth-shape-');
});
afterEach(() => {
  destroyNetNS(host);
  destroyNetNS(ctr);
  data.cleanup();
});

const INGRESS = 4_000_000; // bits/s into the container
const EGRESS = 2_000_000; // bits/s out of the container
const BURST = 512_000; // bits (64 KB: ~40 full-size packets; 6 % of the larger transfer)

describe('bandwidth shapes real traffic', () => {
  it.each(['bridge', 'ptp'] as Main[])(
    'after %s: ingress and egress at the configured rates',
    async (main) => {
      const prev = await mainAdd(host, main, mainConf(main, '1.0.0', data.path), ctr, 'ctr-shape');
      const ctrIp = String(prev.ips[0].address).split('/')[0] as string;
      const hostIp = String(prev.ips[0].gateway);

      // unshaped first
      const freeIn = await transfer(host, ctr, ctrIp, 1_000_000);
      const freeOut = await transfer(ctr, host, hostIp, 500_000);

      const add = await runIn(host, ourBin('bandwidth'), {
        command: 'ADD',
        containerID: 'ctr-shape',
        netns: ctr.path,
        stdin: {
          cniVersion: '1.0.0',
          name: 'bwnet',
          type: 'bandwidth',
          ingressRate: INGRESS,
          ingressBurst: BURST,
          egressRate: EGRESS,
          egressBurst: BURST,
          prevResult: prev,
        },
      });
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);

      // ~2 s each at the configured rates
      const shapedIn = await transfer(host, ctr, ctrIp, 1_000_000);
      const shapedOut = await transfer(ctr, host, hostIp, 500_000);

      expect(shapedIn.bytes).toBe(1_000_000);
      expect(shapedOut.bytes).toBe(500_000);
      // the shaped direction takes measurably longer than unshaped
      expect(shapedIn.secs).toBeGreaterThan(freeIn.secs + 1);
      expect(shapedOut.secs).toBeGreaterThan(freeOut.secs + 1);
      // and runs at the configured rate, ±30 %
      const inRatio = shapedIn.bitsPerSec / INGRESS;
      const outRatio = shapedOut.bitsPerSec / EGRESS;
      expect(inRatio, `ingress ${shapedIn.bitsPerSec} bit/s`).toBeGreaterThan(0.7);
      expect(inRatio, `ingress ${shapedIn.bitsPerSec} bit/s`).toBeLessThan(1.3);
      expect(outRatio, `egress ${shapedOut.bitsPerSec} bit/s`).toBeGreaterThan(0.7);
      expect(outRatio, `egress ${shapedOut.bitsPerSec} bit/s`).toBeLessThan(1.3);
      // unshaped is far faster than either limit
      expect(freeIn.bitsPerSec).toBeGreaterThan(3 * INGRESS);
      expect(freeOut.bitsPerSec).toBeGreaterThan(3 * EGRESS);
      process.stderr.write(
        `${main}: in ${(shapedIn.bitsPerSec / 1e6).toFixed(2)} Mbit/s (free ${(freeIn.bitsPerSec / 1e6).toFixed(0)}), out ${(shapedOut.bitsPerSec / 1e6).toFixed(2)} Mbit/s (free ${(freeOut.bitsPerSec / 1e6).toFixed(0)})\n`,
      );
    },
  );
});
