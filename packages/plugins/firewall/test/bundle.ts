// Bundle a TypeScript entry into one .mjs that plain Node runs, so kernel tests can start many
// real processes at once.
import { bundleEntry } from '@cni-internal/test-kit';

export function bundle(entry: string): string {
  return bundleEntry(entry, 'cni-fw-');
}
