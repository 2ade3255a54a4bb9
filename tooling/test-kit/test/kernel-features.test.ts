// The probes on whatever kernel runs the tests: answers are consistent, cached, and leave no
// namespace behind. (Which features exist depends on the kernel: the UML lane has them all.)
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  clearKernelFeatureCache,
  hasKernelFeature,
  KERNEL_FEATURES,
  MissingKernelFeatureError,
  probeKernelFeature,
  requireKernelFeature,
} from '../src/index.js';

const mine = () => readdirSync('/run/netns').filter((n) => n.startsWith(`cnitest-kfeat-${process.pid}-`));

describe('kernel feature probes', () => {
  it.each(KERNEL_FEATURES)('%s: require() throws exactly when has() says missing', (f) => {
    const probe = probeKernelFeature(f);
    expect(probe.feature).toBe(f);
    expect(hasKernelFeature(f)).toBe(probe.available);
    if (probe.available) {
      expect(probe.reason).toBe('');
      expect(() => requireKernelFeature(f)).not.toThrow();
    } else {
      // The reason quotes the failing command and the kernel's answer.
      expect(probe.reason).toMatch(/^`ip link add .*` failed: \S/);
      let err: unknown;
      try {
        requireKernelFeature(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MissingKernelFeatureError);
      expect((err as MissingKernelFeatureError).missing).toEqual([probe]);
      expect((err as Error).message).toContain(probe.reason);
    }
    expect(mine()).toEqual([]);
  });

  it('caches each answer and probes again after the cache is cleared', () => {
    const first = probeKernelFeature('dummy');
    expect(probeKernelFeature('dummy')).toBe(first);
    clearKernelFeatureCache();
    const again = probeKernelFeature('dummy');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(mine()).toEqual([]);
  });

  it('lists every missing feature of a multi-feature requirement', () => {
    const missing = KERNEL_FEATURES.filter((f) => !hasKernelFeature(f));
    if (missing.length === 0) {
      expect(() => requireKernelFeature(...KERNEL_FEATURES)).not.toThrow();
    } else {
      expect(() => requireKernelFeature(...KERNEL_FEATURES)).toThrow(
        new RegExp(missing.map((f) => `- ${f}: `).join('[^]*')),
      );
    }
  });
});
