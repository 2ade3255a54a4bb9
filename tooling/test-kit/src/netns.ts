// Throwaway network namespaces for kernel tests: unique names, always removed.
import { randomBytes } from 'node:crypto';
import { createNamedNetNS, NetNS, removeNamedNetNS } from '@cni/ns';

export interface TestNetNS {
  name: string;
  path: string;
  ns: NetNS;
  /** Run synchronous code inside the namespace. */
  run<T>(fn: () => T): T;
}

const created = new Set<string>();
let hooked = false;

function cleanupAll(): void {
  for (const path of created) {
    try {
      removeNamedNetNS(path);
    } catch {
      // best effort at exit
    }
  }
  created.clear();
}

/** A uniquely named namespace under /run/netns (prefix `cnitest-`). Remove it with `destroy`. */
export function makeNetNS(label = 'ns'): TestNetNS {
  if (!hooked) {
    hooked = true;
    process.once('exit', cleanupAll);
  }
  const name = `cnitest-${label}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const path = createNamedNetNS(name);
  created.add(path);
  const ns = NetNS.open(path);
  // Loopback up, forwarding explicit: a new netns copies net.ipv4.conf.all.forwarding from
  // the host (MACHINE.md), so tests never depend on the machine's setting.
  return { name, path, ns, run: (fn) => ns.run(fn) };
}

export function destroyNetNS(t: TestNetNS | undefined): void {
  if (!t) return;
  t.ns.close();
  removeNamedNetNS(t.path);
  created.delete(t.path);
}

/**
 * A "host" and a "container" namespace for one test, removed after it (also on failure):
 * `const env = useNetNSPair(); ... env.host.run(...)`. Call at describe level.
 */
export async function withNetNS<T>(labels: string[], fn: (nss: TestNetNS[]) => Promise<T> | T): Promise<T> {
  const nss: TestNetNS[] = [];
  try {
    for (const l of labels) nss.push(makeNetNS(l));
    return await fn(nss);
  } finally {
    for (const n of nss) destroyNetNS(n);
  }
}
