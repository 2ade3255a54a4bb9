// The attachment records of the firewall plugin: one small JSON file per attachment,
// `<dataDir>/<network>/<containerID>-<ifname>`, written on ADD and removed on DEL. The rules
// themselves are keyed by address only; the records are what GC matches against
// cni.dev/valid-attachments.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERR_INVALID_CONFIG, FirewallError } from './config.js';

export interface AttachmentRecord {
  containerID: string;
  ifname: string;
  network: string;
  /** The backend the rules were written with. */
  backend: 'iptables' | 'firewalld';
  firewalldZone: string;
  /** Container addresses as in prevResult (`10.0.0.2/24`). */
  addresses: string[];
}

/** A file or directory name from a CNI value: no `/`, no NUL, not `.` or `..`, not empty. */
function component(what: string, v: string): string {
  if (v === '' || v === '.' || v === '..' || v.includes('/') || v.includes('\0'))
    throw new FirewallError(
      ERR_INVALID_CONFIG,
      `${what} ${JSON.stringify(v)} cannot name an attachment record`,
      'it must be non-empty, without "/", and not "." or ".."',
    );
  return v;
}

export function recordPath(dataDir: string, network: string, containerID: string, ifname: string): string {
  return join(
    dataDir,
    component('network name', network),
    `${component('container ID', containerID)}-${component('interface name', ifname)}`,
  );
}

/** Write the record atomically (temporary file, then rename). */
export function writeRecord(dataDir: string, rec: AttachmentRecord): string {
  const path = recordPath(dataDir, rec.network, rec.containerID, rec.ifname);
  mkdirSync(join(dataDir, rec.network), { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  return path;
}

function parseRecord(text: string): AttachmentRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<AttachmentRecord>;
    if (
      typeof r.containerID !== 'string' ||
      typeof r.ifname !== 'string' ||
      typeof r.network !== 'string' ||
      (r.backend !== 'iptables' && r.backend !== 'firewalld') ||
      typeof r.firewalldZone !== 'string' ||
      !Array.isArray(r.addresses) ||
      !r.addresses.every((a) => typeof a === 'string')
    )
      return undefined;
    return r as AttachmentRecord;
  } catch {
    return undefined;
  }
}

/** The record of one attachment; undefined when there is none (or it is unreadable). */
export function readRecord(
  dataDir: string,
  network: string,
  containerID: string,
  ifname: string,
): AttachmentRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordPath(dataDir, network, containerID, ifname), 'utf8');
  } catch {
    return undefined;
  }
  return parseRecord(text);
}

/** Remove one record; a missing one is fine. */
export function removeRecord(dataDir: string, network: string, containerID: string, ifname: string): void {
  rmSync(recordPath(dataDir, network, containerID, ifname), { force: true });
}

/** Every readable record under dataDir (all networks); unreadable files are skipped. */
export function listRecords(dataDir: string): AttachmentRecord[] {
  const out: AttachmentRecord[] = [];
  let networks: string[];
  try {
    networks = readdirSync(dataDir);
  } catch {
    return out;
  }
  for (const net of networks) {
    let files: string[];
    try {
      files = readdirSync(join(dataDir, net));
    } catch {
      continue;
    }
    for (const f of files) {
      if (/\.tmp-\d+$/.test(f)) continue;
      let text: string;
      try {
        text = readFileSync(join(dataDir, net, f), 'utf8');
      } catch {
        continue;
      }
      const r = parseRecord(text);
      if (r && r.network === net) out.push(r);
    }
  }
  return out;
}
