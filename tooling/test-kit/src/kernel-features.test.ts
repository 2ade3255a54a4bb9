import { describe, expect, it } from 'vitest';
import {
  hasKernelFeature,
  KERNEL_FEATURES,
  type KernelFeature,
  MissingKernelFeatureError,
  probeKernelFeature,
  requireKernelFeature,
} from './kernel-features.js';

describe('kernel features', () => {
  it('knows the five features the lane exists for', () => {
    expect([...KERNEL_FEATURES].sort()).toEqual(['bridge-vlan', 'dummy', 'ipvlan', 'vlan', 'vrf']);
  });

  it('rejects an unknown feature by name, before probing anything', () => {
    const bogus = 'vxlan-gpe' as KernelFeature;
    expect(() => hasKernelFeature(bogus)).toThrow(/unknown kernel feature "vxlan-gpe" \(known: vlan, ipvlan/);
    expect(() => probeKernelFeature(bogus)).toThrow(/unknown kernel feature "vxlan-gpe"/);
    expect(() => requireKernelFeature('vrf', bogus)).toThrow(/unknown kernel feature "vxlan-gpe"/);
  });

  it('needs at least one feature to require', () => {
    expect(() => requireKernelFeature()).toThrow(/name at least one feature/);
  });

  it('names every missing feature, why, and the lane to run the test in', () => {
    const err = new MissingKernelFeatureError([
      { feature: 'vlan', available: false, reason: '`ip link add …` failed: Error: Unknown device type.' },
      { feature: 'bridge-vlan', available: false, reason: 'RTNETLINK answers: Operation not supported' },
    ]);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('MissingKernelFeatureError');
    expect(err.missing.map((m) => m.feature)).toEqual(['vlan', 'bridge-vlan']);
    expect(err.message).toMatch(/lacks features the test needs/);
    expect(err.message).toContain(
      '- vlan: 802.1Q VLAN links (8021q) — `ip link add …` failed: Error: Unknown device type.',
    );
    expect(err.message).toContain('- bridge-vlan: bridge VLAN filtering');
    expect(err.message).toContain('*.uml.test.ts');
    expect(err.message).toContain('scripts/uml/run.sh');
  });

  it('says "a feature" for one', () => {
    const err = new MissingKernelFeatureError([{ feature: 'dummy', available: false, reason: 'x' }]);
    expect(err.message).toMatch(/lacks a feature the test needs:\n {2}- dummy: dummy links — x\n/);
  });
});
