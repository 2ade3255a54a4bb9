import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniError } from './errors.js';
import { findInPath, ownPluginType, splitPathList } from './invoke.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skel-find-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function file(rel: string, content = '#!/bin/sh\n', mode = 0o755): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

function errOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('findInPath (Go invoke.FindInPath)', () => {
  it('returns the first regular file over the directories in order', () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    mkdirSync(a);
    const inB = file('b/bridge');
    expect(findInPath('bridge', [a, b])).toBe(inB);
    const inA = file('a/bridge');
    expect(findInPath('bridge', [a, b])).toBe(inA);
  });

  it('skips directories and follows symlinks to regular files', () => {
    mkdirSync(join(root, 'a/bridge'), { recursive: true });
    const target = file('b/real');
    symlinkSync(target, join(root, 'b/bridge'));
    expect(findInPath('bridge', [join(root, 'a'), join(root, 'b')])).toBe(join(root, 'b/bridge'));
  });

  it('does not require the execute bit (Go only checks for a regular file)', () => {
    const p = file('a/ptp', 'x', 0o644);
    expect(findInPath('ptp', [join(root, 'a')])).toBe(p);
  });

  it('errors: empty name, a name with a separator, no paths, not found', () => {
    expect(errOf(() => findInPath('', [root])).msg).toBe('no plugin name provided');
    expect(errOf(() => findInPath('../bin/sh', [root])).msg).toBe('invalid plugin name: ../bin/sh');
    expect(errOf(() => findInPath('a/b', [root])).msg).toBe('invalid plugin name: a/b');
    expect(errOf(() => findInPath('bridge', [])).msg).toBe('no paths provided');
    const e = errOf(() => findInPath('nope', ['/x', '/y']));
    expect(e.toJSON()).toEqual({ code: 999, msg: 'failed to find plugin "nope" in path [/x /y]' });
  });

  it('a dangling symlink is not a plugin', () => {
    mkdirSync(join(root, 'a'));
    symlinkSync(join(root, 'missing'), join(root, 'a/bridge'));
    expect(errOf(() => findInPath('bridge', [join(root, 'a')])).msg).toContain(
      'failed to find plugin "bridge"',
    );
  });
});

describe('splitPathList (Go filepath.SplitList)', () => {
  it("'' is no paths; empty entries are kept", () => {
    expect(splitPathList('')).toEqual([]);
    expect(splitPathList('/a:/b')).toEqual(['/a', '/b']);
    expect(splitPathList('/a::/b')).toEqual(['/a', '', '/b']);
  });
});

describe('ownPluginType (our launcher marker)', () => {
  it('reads the type from the marker line in the first 512 bytes', () => {
    expect(ownPluginType(file('bridge', '#!/bin/sh\n# // cni-ts-plugin: bridge\nexec node x\n'))).toBe(
      'bridge',
    );
    expect(ownPluginType(file('hl', '#!/bin/sh\n# // cni-ts-plugin: host-local\n'))).toBe('host-local');
  });

  it('ignores files without it, or with it past 512 bytes, or unreadable', () => {
    expect(ownPluginType(file('go', '\x7fELF\x02\x01\x01'))).toBeUndefined();
    expect(
      ownPluginType(file('late', `#!/bin/sh\n${'#'.repeat(600)}\n# // cni-ts-plugin: late\n`)),
    ).toBeUndefined();
    expect(ownPluginType(join(root, 'missing'))).toBeUndefined();
  });
});
