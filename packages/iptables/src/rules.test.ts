import { describe, expect, it } from 'vitest';
import { canonicalAddress, canonicalRule, sameRule } from './rules.js';
import { joinWords, splitWords } from './shellwords.js';

describe('shell words', () => {
  it('round-trips iptables-save quoting', () => {
    const line = '-A X -m comment --comment "dnat name: \\"net\\" id: \\"c1\\"" -j ACCEPT';
    const w = splitWords(line);
    expect(w).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'dnat name: "net" id: "c1"', '-j', 'ACCEPT']);
    expect(splitWords(joinWords(w))).toEqual(w);
  });
  it('rejects line breaks and unterminated quotes', () => {
    expect(() => joinWords(['a\nb'])).toThrow(/line break/);
    expect(() => splitWords('-A "x')).toThrow(/unterminated/);
  });
});

describe('canonical rules', () => {
  it('addresses', () => {
    expect(canonicalAddress('10.1.2.3')).toBe('10.1.2.3/32');
    expect(canonicalAddress('10.1.2.3/24')).toBe('10.1.2.0/24');
    expect(canonicalAddress('fd00::1')).toBe('fd00::1/128');
    expect(canonicalAddress('fd00:0:0:0::5/64')).toBe('fd00::/64');
    expect(canonicalAddress('::/0')).toBe('::/0');
    expect(canonicalAddress('not-an-ip')).toBe('not-an-ip');
  });
  it('reorders like iptables-save', () => {
    expect(
      canonicalRule([
        '-m',
        'comment',
        '--comment',
        'c',
        '-m',
        'multiport',
        '-p',
        'tcp',
        '--destination-ports',
        '80,81',
        '-j',
        'X',
      ]),
    ).toEqual([
      '-p',
      'tcp',
      '-m',
      'comment',
      '--comment',
      'c',
      '-m',
      'multiport',
      '--dports',
      '80,81',
      '-j',
      'X',
    ]);
    expect(
      canonicalRule(['-p', 'tcp', '--dport', '80', '-d', '1.2.3.4', '-s', '10.0.0.0/24', '-j', 'M']),
    ).toEqual([
      '-s',
      '10.0.0.0/24',
      '-d',
      '1.2.3.4/32',
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '80',
      '-j',
      'M',
    ]);
    expect(
      sameRule(
        ['-d', '10.0.0.2/24', '-j', 'ACCEPT', '-m', 'comment', '--comment', 'x'],
        ['-d', '10.0.0.0/24', '-m', 'comment', '--comment', 'x', '-j', 'ACCEPT'],
      ),
    ).toBe(true);
    expect(
      sameRule(['!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE'], ['-d', '224.0.0.0/4', '-j', 'MASQUERADE']),
    ).toBe(false);
  });
});
