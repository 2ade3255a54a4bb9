// spawnSyncLibc's cases, run with each way it reaches posix_spawn: koffi (spawn.test.ts) and
// the plugin bundle's addon cni_sys.node (sys-native.test.ts).
import { describe, expect, it } from 'vitest';
import type { spawnSyncLibc as SpawnSyncLibc } from '../src/index.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export function spawnCases(backend: string, load: () => typeof SpawnSyncLibc): void {
  describe(`spawnSyncLibc (posix_spawn through ${backend})`, () => {
    const spawnSyncLibc: typeof SpawnSyncLibc = (...a) => load()(...a);
    const sh = (script: string, input?: string) => spawnSyncLibc('/bin/sh', ['-c', script], env, input);
    it('passes argv, env and stdin; returns the exit status, stdout and stderr', () => {
      const r = sh('echo "$0 $1 $FOO"; echo oops >&2; cat; exit 3', 'from stdin\n');
      expect(r).toBeDefined();
      expect(r?.status).toBe(3);
      expect(r?.stdout).toBe('/bin/sh  \nfrom stdin\n');
      expect(r?.stderr).toBe('oops\n');
      const e = spawnSyncLibc('/usr/bin/env', [], { FOO: 'bar', SKIPPED: undefined });
      expect(e?.stdout).toBe('FOO=bar\n');
    });

    it('collects output far beyond a pipe buffer without blocking', () => {
      const r = sh('head -c 3000000 /dev/zero | tr "\\0" x; head -c 200000 /dev/zero | tr "\\0" y >&2');
      expect(r?.status).toBe(0);
      expect(r?.stdout.length).toBe(3_000_000);
      expect(r?.stderr.length).toBe(200_000);
    });

    it('gives large input whole on stdin', () => {
      const input = 'line\n'.repeat(100_000);
      expect(sh('wc -c', input)?.stdout.trim()).toBe(String(input.length));
    });

    it('reports death by signal as 128 + N and a missing program as 127', () => {
      expect(sh('kill -9 $$')?.status).toBe(137);
      const r = spawnSyncLibc('/nonexistent/program', [], env);
      expect(r?.status).toBe(127);
      expect(r?.stderr).toMatch(/\/nonexistent\/program/);
    });

    it('starts the child with default signal handlers (Node ignores SIGPIPE)', () => {
      // with SIGPIPE ignored, `yes` would report "Broken pipe" on stderr instead of dying quietly
      const r = sh('yes | head -n 1');
      expect(r?.stdout).toBe('y\n');
      expect(r?.stderr).toBe('');
    });
  });
}
