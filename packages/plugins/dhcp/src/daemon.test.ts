import { describe, expect, it } from 'vitest';
import { parseDuration, parseFlags } from './daemon.js';

describe('daemon flags', () => {
  it('has the reference defaults', () => {
    expect(parseFlags([])).toEqual({
      socketPath: '/run/cni/dhcp.sock',
      pidFile: '',
      hostPrefix: '',
      stateDir: '/var/lib/cni/dhcp',
      broadcast: false,
      timeoutMs: 10_000,
      resendMaxMs: 62_000,
      resendTimeoutMs: 208_000,
    });
  });
  it('accepts Go flag syntax', () => {
    const f = parseFlags([
      '-socketpath',
      '/tmp/s',
      '--pidfile=/tmp/p',
      '-broadcast',
      '-timeout',
      '1m30s',
      '-resendmax=500ms',
      '-statedir',
      '/tmp/st',
    ]);
    expect(f).toMatchObject({
      socketPath: '/tmp/s',
      pidFile: '/tmp/p',
      broadcast: true,
      timeoutMs: 90_000,
      resendMaxMs: 500,
      stateDir: '/tmp/st',
    });
    expect(parseFlags(['-broadcast=false']).broadcast).toBe(false);
  });
  it('rejects unknown flags, missing values, relative pidfiles and bad durations', () => {
    expect(() => parseFlags(['-nope'])).toThrow(/flag provided but not defined: -nope/);
    expect(() => parseFlags(['-socketpath'])).toThrow(/needs an argument/);
    expect(() => parseFlags(['-pidfile', 'rel.pid'])).toThrow(/absolute/);
    expect(() => parseFlags(['-timeout', '10'])).toThrow(/invalid value "10" for flag -timeout/);
  });
  it('parses durations', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('1m2s')).toBe(62_000);
    expect(parseDuration('0')).toBe(0);
    expect(() => parseDuration('x')).toThrow();
  });
});
