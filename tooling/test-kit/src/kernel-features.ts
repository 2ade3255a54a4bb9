// Kernel features a test needs and this machine's kernel may lack (8021q, ipvlan, vrf, dummy,
// bridge VLAN filtering). A test declares them with requireKernelFeature(): on a kernel that has
// them it runs, on one that does not it FAILS with a message pointing at the User-Mode Linux lane
// (scripts/uml/run.sh). Never a skip: a missing feature is a broken test environment.
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { destroyNetNS, makeNetNS, type TestNetNS } from './netns.js';

export type KernelFeature = 'vlan' | 'ipvlan' | 'vrf' | 'dummy' | 'bridge-vlan';

export const KERNEL_FEATURES: readonly KernelFeature[] = ['vlan', 'ipvlan', 'vrf', 'dummy', 'bridge-vlan'];

const DESCRIPTIONS: Record<KernelFeature, string> = {
  vlan: '802.1Q VLAN links (8021q)',
  ipvlan: 'ipvlan links',
  vrf: 'VRF devices',
  dummy: 'dummy links',
  'bridge-vlan': 'bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)',
};

export interface KernelFeatureProbe {
  feature: KernelFeature;
  available: boolean;
  /** Why it is missing: the failing command and what it printed. Empty when available. */
  reason: string;
}

const cache = new Map<KernelFeature, KernelFeatureProbe>();

function ip(t: TestNetNS, args: string[]): { ok: boolean; out: string } {
  // spawnSync inside run(): the child inherits the namespace of the thread that forks it.
  const r = t.run(() => spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 }));
  if (r.error) return { ok: false, out: `ip ${args.join(' ')}: ${r.error.message}` };
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return { ok: r.status === 0, out };
}

/** The commands that must all succeed, in a fresh namespace, for the feature to count as present. */
function probeSteps(feature: KernelFeature): string[][] {
  // A veth pair gives vlan and ipvlan a parent (loopback cannot carry either).
  const parent = [['link', 'add', 'kfp0', 'type', 'veth', 'peer', 'name', 'kfp1']];
  switch (feature) {
    case 'vlan':
      return [...parent, ['link', 'add', 'link', 'kfp0', 'name', 'kfp0.10', 'type', 'vlan', 'id', '10']];
    case 'ipvlan':
      return [...parent, ['link', 'add', 'link', 'kfp0', 'name', 'kfipv', 'type', 'ipvlan', 'mode', 'l2']];
    case 'vrf':
      return [['link', 'add', 'kfvrf', 'type', 'vrf', 'table', '100']];
    case 'dummy':
      return [['link', 'add', 'kfdum', 'type', 'dummy']];
    case 'bridge-vlan':
      // Without CONFIG_BRIDGE_VLAN_FILTERING the kernel refuses vlan_filtering 1 (EOPNOTSUPP).
      return [['link', 'add', 'kfbr', 'type', 'bridge', 'vlan_filtering', '1']];
  }
}

function assertFeature(feature: string): asserts feature is KernelFeature {
  if (!(KERNEL_FEATURES as readonly string[]).includes(feature)) {
    throw new Error(`unknown kernel feature "${feature}" (known: ${KERNEL_FEATURES.join(', ')})`);
  }
}

/**
 * Probe a feature by creating its link type in a throwaway namespace (with `ip`), once per
 * process; the answer is cached. Needs root, like every kernel test.
 */
export function probeKernelFeature(feature: KernelFeature): KernelFeatureProbe {
  assertFeature(feature);
  const known = cache.get(feature);
  if (known) return known;
  const t = makeNetNS('kfeat');
  let result: KernelFeatureProbe;
  try {
    result = { feature, available: true, reason: '' };
    for (const args of probeSteps(feature)) {
      const r = ip(t, args);
      if (!r.ok) {
        result = { feature, available: false, reason: `\`ip ${args.join(' ')}\` failed: ${r.out}` };
        break;
      }
    }
  } finally {
    destroyNetNS(t);
  }
  cache.set(feature, result);
  return result;
}

/** True when the running kernel can create the feature's links (probed once, then cached). */
export function hasKernelFeature(feature: KernelFeature): boolean {
  return probeKernelFeature(feature).available;
}

/** The error requireKernelFeature throws: names every missing feature and the way to run the test. */
export class MissingKernelFeatureError extends Error {
  readonly missing: readonly KernelFeatureProbe[];
  constructor(missing: readonly KernelFeatureProbe[]) {
    const lines = missing.map((p) => `  - ${p.feature}: ${DESCRIPTIONS[p.feature]} — ${p.reason}`);
    super(
      `this kernel (${release()}) lacks ${missing.length === 1 ? 'a feature' : 'features'} the test needs:\n` +
        `${lines.join('\n')}\n` +
        'Name the test file *.uml.test.ts and run it in the User-Mode Linux lane: ' +
        'scripts/uml/run.sh <file> (pnpm test:kernel-uml).',
    );
    this.name = 'MissingKernelFeatureError';
    this.missing = missing;
  }
}

/**
 * Declare the kernel features a test needs. Throws MissingKernelFeatureError when any is missing
 * (never skips). Call it in beforeAll or at the top of a test.
 */
export function requireKernelFeature(...features: KernelFeature[]): void {
  if (features.length === 0) throw new Error('requireKernelFeature: name at least one feature');
  for (const f of features) assertFeature(f);
  const missing = features.map(probeKernelFeature).filter((p) => !p.available);
  if (missing.length > 0) throw new MissingKernelFeatureError(missing);
}

/** Forget cached probe answers (for tests of this module). */
export function clearKernelFeatureCache(): void {
  cache.clear();
}
