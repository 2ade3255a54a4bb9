import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backupFile,
  formatBackup,
  gcBackups,
  networkFile,
  parseBackup,
  readBackupText,
  removeBackup,
  writeBackup,
} from './backup.js';

describe('backup format', () => {
  it('is Go\'s json.MarshalIndent(v, "", " ") in struct order, omitempty', () => {
    expect(
      formatBackup({ txQLen: 1000, allmulti: false, mtu: 1500, promisc: true, mac: 'aa:bb:cc:dd:ee:ff' }),
    ).toBe(
      '{\n "mac": "aa:bb:cc:dd:ee:ff",\n "promisc": true,\n "mtu": 1500,\n "allmulti": false,\n "txQLen": 1000\n}',
    );
    expect(formatBackup({ mtu: 0, mac: '' })).toBe('{}');
    expect(formatBackup({ txQLen: 0 })).toBe('{\n "txQLen": 0\n}');
  });

  it('parses what Go writes, keys case-insensitive; garbage is undefined', () => {
    expect(parseBackup('{\n "mac": "aa:bb:cc:dd:ee:ff",\n "promisc": false,\n "mtu": 1500\n}')).toEqual({
      mac: 'aa:bb:cc:dd:ee:ff',
      promisc: false,
      mtu: 1500,
    });
    expect(parseBackup('{"MTU": 9000, "AllMulti": true, "txqlen": 5}')).toEqual({
      mtu: 9000,
      allmulti: true,
      txQLen: 5,
    });
    expect(parseBackup('{"mtu": 0, "mac": ""}')).toEqual({});
    expect(parseBackup('nope')).toBeUndefined();
    expect(parseBackup('[]')).toBeUndefined();
    expect(parseBackup('{"mtu": "1500"}')).toBeUndefined();
    expect(parseBackup('{"promisc": 1}')).toBeUndefined();
  });
});

describe('backup files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tuning-backup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('write / read / remove at <dataDir>/<containerID>_<ifname>.json', () => {
    const d = join(dir, 'sub', 'dir');
    writeBackup(d, 'c1', 'eth0', 'net1', { mtu: 1500 });
    expect(backupFile(d, 'c1', 'eth0')).toBe(join(d, 'c1_eth0.json'));
    expect(readFileSync(join(d, 'c1_eth0.json'), 'utf8')).toBe('{\n "mtu": 1500\n}');
    expect(statSync(join(d, 'c1_eth0.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(networkFile(d, 'c1', 'eth0'), 'utf8')).toBe('net1');
    expect(readBackupText(d, 'c1', 'eth0')).toBe('{\n "mtu": 1500\n}');
    expect(readdirSync(d).sort()).toEqual(['c1_eth0.json', 'c1_eth0.network']);
    removeBackup(d, 'c1', 'eth0');
    expect(readdirSync(d)).toEqual([]);
    expect(readBackupText(d, 'c1', 'eth0')).toBeUndefined();
    removeBackup(d, 'c1', 'eth0');
  });

  it('GC removes only this network’s backups of invalid attachments', () => {
    writeBackup(dir, 'a', 'eth0', 'n1', { mtu: 1 });
    writeBackup(dir, 'b', 'eth0', 'n1', { mtu: 1 });
    writeBackup(dir, 'a_x', 'net1', 'n1', { mtu: 1 }); // underscores in the container ID
    writeBackup(dir, 'c', 'eth0', 'n2', { mtu: 1 });
    writeFileSync(join(dir, 'd_eth0.json'), '{}'); // Go-made: no marker
    writeFileSync(join(dir, 'e_eth0.network'), 'n1'); // marker left by a Go DEL
    const removed = gcBackups(dir, 'n1', new Set(['a_eth0']));
    expect(removed.sort()).toEqual(['a_x_net1', 'b_eth0', 'e_eth0']);
    expect(readdirSync(dir).sort()).toEqual([
      'a_eth0.json',
      'a_eth0.network',
      'c_eth0.json',
      'c_eth0.network',
      'd_eth0.json',
    ]);
    expect(gcBackups(join(dir, 'missing'), 'n1', new Set())).toEqual([]);
    expect(existsSync(join(dir, 'a_eth0.json'))).toBe(true);
  });
});
