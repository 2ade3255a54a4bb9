import { describe, expect, it } from 'vitest';
import { freeTable, parseConf } from './config.js';

const conf = (extra: object = {}) =>
  JSON.stringify({ cniVersion: '1.1.0', name: 'n', type: 'vrf', ...extra });

describe('parseConf', () => {
  it('reads vrfname and table (0 = automatic), case-insensitively', () => {
    expect(parseConf(conf({ vrfname: 'blue' }))).toMatchObject({ vrfName: 'blue', table: 0 });
    expect(parseConf(conf({ VRFName: 'red', Table: 1001 }))).toMatchObject({ vrfName: 'red', table: 1001 });
    expect(parseConf(conf({ vrfname: 'x', table: 4294967295 })).table).toBe(4294967295);
  });

  it.each([
    [{}, 7, 'configuration is expected to have a valid vrf name'],
    [{ vrfname: '' }, 7, 'configuration is expected to have a valid vrf name'],
    [{ vrfname: 5 }, 6, 'key "vrfname" must be a string'],
    [{ vrfname: 'a-very-long-vrf-name' }, 7, 'invalid "vrfname" "a-very-long-vrf-name"'],
    [{ vrfname: 'a/b' }, 7, 'invalid "vrfname" "a/b"'],
    [{ vrfname: 'v', table: -1 }, 7, 'invalid "table" -1'],
    [{ vrfname: 'v', table: 2 ** 32 }, 7, 'invalid "table" 4294967296'],
    [{ vrfname: 'v', table: '10' }, 6, 'key "table" must be an integer'],
  ])('%j is refused (code %i)', (extra, code, text) => {
    expect(() => parseConf(conf(extra))).toThrow(
      expect.objectContaining({ code, msg: expect.stringContaining(text) }),
    );
  });
});

describe('freeTable', () => {
  it('is the lowest table ≥ 1 no VRF uses', () => {
    expect(freeTable([])).toBe(1);
    expect(freeTable([1, 2, 4])).toBe(3);
    expect(freeTable([2, 3])).toBe(1);
    expect(freeTable([1, 1, 2])).toBe(3);
  });
  it('never picks the reserved default/main/local tables', () => {
    const taken = Array.from({ length: 252 }, (_, i) => i + 1);
    expect(freeTable(taken)).toBe(256);
  });
});
