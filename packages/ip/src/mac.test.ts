import { describe, expect, it } from 'vitest';
import { formatMAC, isUnicastMAC, macFromIPv4, normalizeMAC, parseMAC, randomMAC } from './mac.js';

describe('MAC helpers', () => {
  it('parses and formats', () => {
    expect(formatMAC(parseMAC('0A:58:0a:F4:00:01')!)).toBe('0a:58:0a:f4:00:01');
    expect(normalizeMAC('AA-BB-CC-DD-EE-FF')).toBe('aa:bb:cc:dd:ee:ff');
    for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:fg', 'aa:bb-cc:dd:ee:ff', 'aabbccddeeff']) {
      expect(parseMAC(bad)).toBeUndefined();
    }
  });
  it('random MACs are locally administered unicast', () => {
    for (let i = 0; i < 50; i++) {
      const m = parseMAC(randomMAC())!;
      expect(isUnicastMAC(m)).toBe(true);
      expect(m[0]! & 2).toBe(2);
    }
  });
  it('derives 0a:58 MACs from IPv4', () => {
    expect(macFromIPv4('10.244.0.1')).toBe('0a:58:0a:f4:00:01');
    expect(() => macFromIPv4('10.0.0')).toThrow(/invalid IPv4 address "10.0.0"/);
  });
});
