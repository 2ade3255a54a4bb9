import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRecords, readRecord, recordPath, removeRecord, writeRecord } from './state.js';
import { cmdGC } from './verbs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cni-fw-records-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rec = (containerID: string, network = 'net', backend: 'iptables' | 'firewalld' = 'iptables') => ({
  containerID,
  ifname: 'eth0',
  network,
  backend,
  firewalldZone: 'trusted',
  addresses: ['10.1.0.2/24'],
});

describe('firewall attachment records', () => {
  it('write, read, list (all networks), remove; unreadable files are skipped', () => {
    expect(writeRecord(dir, rec('a'))).toBe(join(dir, 'net', 'a-eth0'));
    writeRecord(dir, rec('b', 'other'));
    writeFileSync(join(dir, 'net', 'junk-eth0'), '{not json');
    expect(readRecord(dir, 'net', 'a', 'eth0')).toEqual(rec('a'));
    expect(readRecord(dir, 'net', 'junk', 'eth0')).toBeUndefined();
    expect(readRecord(dir, 'net', 'nope', 'eth0')).toBeUndefined();
    expect(
      listRecords(dir)
        .map((r) => `${r.network}/${r.containerID}`)
        .sort(),
    ).toEqual(['net/a', 'other/b']);
    removeRecord(dir, 'net', 'a', 'eth0');
    removeRecord(dir, 'net', 'a', 'eth0');
    expect(readdirSync(join(dir, 'net'))).toEqual(['junk-eth0']);
    expect(listRecords(join(dir, 'missing'))).toEqual([]);
  });

  it('names that cannot be file names are refused with code 7', () => {
    for (const [n, c, i] of [
      ['', 'a', 'eth0'],
      ['..', 'a', 'eth0'],
      ['net', 'a/b', 'eth0'],
      ['net', 'a', 'e\0'],
    ] as const)
      expect(() => recordPath(dir, n, c, i)).toThrow(expect.objectContaining({ code: 7 }));
  });

  it('GC drops a firewalld record without D-Bus calls when firewalld is not running', () => {
    let asked = 0;
    writeRecord(dir, { ...rec('gone', 'net', 'firewalld'), addresses: ['10.1.0.3/24'] });
    writeRecord(dir, rec('kept', 'net', 'firewalld'));
    cmdGC(
      {
        containerID: '',
        netns: '',
        ifName: '',
        stdinData: JSON.stringify({
          name: 'net',
          dataDir: dir,
          'cni.dev/valid-attachments': [{ containerID: 'kept', ifname: 'eth0' }],
        }),
      },
      {
        firewalldRunning: () => {
          asked++;
          return false;
        },
      },
    );
    expect(asked).toBe(1);
    expect(readdirSync(join(dir, 'net'))).toEqual(['kept-eth0']);
  });
});
