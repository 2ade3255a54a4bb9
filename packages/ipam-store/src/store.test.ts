import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIP, parseIP } from '@cni/ip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, parseRecord, validateNetworkName, validateOwner } from './store.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ipam-store-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
const ip = (s: string) => {
  const r = parseIP(s);
  if (!r) throw new Error(s);
  return r;
};

describe('DiskStore', () => {
  it('creates <dataDir>/<network> (0755) and the lock file', () => {
    const s = DiskStore.open('mynet', dataDir);
    try {
      expect(statSync(join(dataDir, 'mynet')).mode & 0o777).toBe(0o755);
      expect(existsSync(join(dataDir, 'mynet', 'lock'))).toBe(true);
    } finally {
      s.close();
    }
  });
  it('reserves exclusively and records the last reserved address per range set', () => {
    const s = DiskStore.open('n', dataDir);
    try {
      s.withLock(() => {
        expect(s.reserve('c1', 'eth0', ip('10.0.0.2'), 0)).toBe(true);
        expect(s.reserve('c2', 'eth0', ip('10.0.0.2'), 0)).toBe(false);
        expect(s.reserve('c2', 'eth0', ip('2001:db8::2'), 1)).toBe(true);
        expect(formatIP(s.lastReservedIP(0) ?? ip('0.0.0.0'))).toBe('10.0.0.2');
        expect(formatIP(s.lastReservedIP('1') ?? ip('0.0.0.0'))).toBe('2001:db8::2');
        expect(s.lastReservedIP(7)).toBeUndefined();
      });
      expect(readdirSync(join(dataDir, 'n')).sort()).toEqual([
        '10.0.0.2',
        '2001:db8::2',
        'last_reserved_ip.0',
        'last_reserved_ip.1',
        'lock',
      ]);
    } finally {
      s.close();
    }
  });
  it('releases by container+ifname, falling back to legacy id-only records', () => {
    const s = DiskStore.open('n', dataDir);
    const dir = join(dataDir, 'n');
    try {
      s.withLock(() => {
        s.reserve('c1', 'eth0', ip('10.0.0.2'), 0);
        s.reserve('c1', 'eth1', ip('10.0.0.3'), 0);
        writeFileSync(join(dir, '10.0.0.9'), 'c1\n');
        writeFileSync(join(dir, '10.0.0.10'), 'old\n');
        expect(s.getByID('c1', 'eth0').map(formatIP).sort()).toEqual(['10.0.0.2', '10.0.0.9']);
        expect(s.releaseByID('c1', 'eth0').map(formatIP)).toEqual(['10.0.0.2']);
        expect(s.releaseByID('old', 'eth0').map(formatIP)).toEqual(['10.0.0.10']);
        expect(s.releaseByID('unknown', 'eth0')).toEqual([]);
        expect(s.findByID('c1', 'eth1')).toBe(true);
        expect(s.findByID('nobody', 'eth1')).toBe(false);
      });
    } finally {
      s.close();
    }
  });
  it('GC keeps valid attachments and legacy records of valid containers, removes the rest', () => {
    const s = DiskStore.open('n', dataDir);
    const dir = join(dataDir, 'n');
    try {
      s.withLock(() => {
        s.reserve('keep', 'eth0', ip('10.0.0.2'), 0);
        s.reserve('keep', 'eth1', ip('10.0.0.3'), 0);
        s.reserve('gone', 'eth0', ip('10.0.0.4'), 0);
        writeFileSync(join(dir, '10.0.0.5'), 'keep');
        writeFileSync(join(dir, '10.0.0.6'), 'gone2');
        writeFileSync(join(dir, '10.0.0.7'), '');
        mkdirSync(join(dir, 'stray'));
        writeFileSync(join(dir, 'README'), 'not a record');
        const { released, failed } = s.releaseUnlisted([{ containerID: 'keep', ifname: 'eth0' }]);
        expect(failed).toEqual([]);
        expect(released.map((r) => r.name).sort()).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.6', '10.0.0.7']);
        expect(readdirSync(dir).sort()).toEqual([
          '10.0.0.2',
          '10.0.0.5',
          'README',
          'last_reserved_ip.0',
          'lock',
          'stray',
        ]);
        expect(
          s
            .releaseUnlisted([])
            .released.map((r) => r.name)
            .sort(),
        ).toEqual(['10.0.0.2', '10.0.0.5']);
      });
    } finally {
      s.close();
    }
  });
  it('removes temporaries left by a dead writer when locked', () => {
    const s = DiskStore.open('n', dataDir);
    const dir = join(dataDir, 'n');
    writeFileSync(join(dir, '.cni-ts-tmp.999999.10.0.0.2'), 'x\r\neth0');
    try {
      s.withLock(() => s.reservations());
      expect(readdirSync(dir)).toEqual(['lock']);
    } finally {
      s.close();
    }
  });
  it('parses records', () => {
    expect(parseRecord('abc\r\neth0')).toEqual({ id: 'abc', ifname: 'eth0' });
    expect(parseRecord(' abc \n')).toEqual({ id: 'abc', ifname: '' });
    expect(parseRecord('')).toEqual({ id: '', ifname: '' });
  });
});

describe('names that would escape the data directory', () => {
  it.each(['', '.', '..', 'a/b', '../x', 'a\\b', 'a\nb'])('network name %j is rejected', (name) => {
    expect(() => validateNetworkName(name)).toThrow(/invalid network name/);
    expect(() => DiskStore.open(name, dataDir)).toThrow(/invalid network name/);
  });
  it('rejects owners that could forge a record', () => {
    expect(() => validateOwner('', 'eth0')).toThrow('invalid container ID ""');
    expect(() => validateOwner('a\r\nb', 'eth0')).toThrow('invalid container ID');
    expect(() => validateOwner('../x', 'eth0')).toThrow('invalid container ID "../x"');
    expect(() => validateOwner('c', '..')).toThrow('invalid interface name ".."');
    expect(() => validateOwner('c', 'eth0\r\nx')).toThrow('invalid interface name');
    expect(() => validateOwner('c', 'eth0')).not.toThrow();
  });
});
