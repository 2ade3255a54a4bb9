import { describe, expect, it } from 'vitest';
import { CniError, ErrCode } from './errors.js';
import {
  CURRENT_VERSION,
  compareVersions,
  isSpecVersion,
  parseVersion,
  SPEC_VERSIONS,
  versionsFrom,
} from './version.js';

describe('versions', () => {
  it('lists every spec version, oldest first, current last', () => {
    expect(SPEC_VERSIONS).toEqual(['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(CURRENT_VERSION).toBe('1.1.0');
    expect(SPEC_VERSIONS.at(-1)).toBe(CURRENT_VERSION);
  });

  it('versionsFrom keeps versions from the minimum up', () => {
    expect(versionsFrom('0.3.0')).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(versionsFrom('0.1.0')).toEqual([...SPEC_VERSIONS]);
    expect(versionsFrom('1.1.0')).toEqual(['1.1.0']);
    expect(versionsFrom('0.3')).toEqual(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    expect(versionsFrom('2.0.0')).toEqual([]);
  });

  it('compares numerically, not as strings', () => {
    expect(compareVersions('0.10.0', '0.9.0')).toBe(1);
    expect(compareVersions('0.3.1', '0.3.1')).toBe(0);
    expect(compareVersions('0.3.0', '0.4.0')).toBe(-1);
    expect(compareVersions('1', '0.9.9')).toBe(1);
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('+1.0.0', '1.0.0')).toBe(0);
  });

  it("'' means 0.1.0", () => {
    expect(parseVersion('')).toEqual([0, 1, 0]);
    expect(compareVersions('', '0.1.0')).toBe(0);
  });

  const garbage: [string, string][] = [
    ['1.2.3.4', 'invalid version "1.2.3.4": too many parts'],
    ['x.1.0', 'failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax'],
    ['1..0', 'failed to convert minor version part "": strconv.Atoi: parsing "": invalid syntax'],
    ['1.0.z', 'failed to convert micro version part "z": strconv.Atoi: parsing "z": invalid syntax'],
    ['v1.0.0', 'failed to convert major version part "v1": strconv.Atoi: parsing "v1": invalid syntax'],
    [
      '99999999999999999999',
      'failed to convert major version part "99999999999999999999": strconv.Atoi: parsing "99999999999999999999": value out of range',
    ],
  ];
  for (const [v, msg] of garbage) {
    it(`rejects ${JSON.stringify(v)} with CniError 6 (Go's message)`, () => {
      let err: unknown;
      try {
        compareVersions(v, '0.1.0');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CniError);
      expect((err as CniError).code).toBe(ErrCode.DecodingFailure);
      expect((err as CniError).msg).toBe(msg);
    });
  }

  it('isSpecVersion is an exact match', () => {
    expect(isSpecVersion('0.3.1')).toBe(true);
    expect(isSpecVersion('0.3')).toBe(false);
    expect(isSpecVersion('')).toBe(false);
  });
});

describe('CniError', () => {
  it('renders like Go types.Error and serialises code, msg, details', () => {
    const e = new CniError(7, 'bad config', 'key "x"');
    expect(e.message).toBe('bad config; key "x"');
    expect(e.toJSON()).toEqual({ code: 7, msg: 'bad config', details: 'key "x"' });
    expect(JSON.stringify(new CniError(4, 'm'))).toBe('{"code":4,"msg":"m"}');
    expect(e).toBeInstanceOf(Error);
  });

  it('from() keeps CniErrors and maps anything else to 999', () => {
    const e = new CniError(11, 'later');
    expect(CniError.from(e)).toBe(e);
    expect(CniError.from(new TypeError('boom')).toJSON()).toEqual({ code: 999, msg: 'boom' });
    expect(CniError.from('text').toJSON()).toEqual({ code: 999, msg: 'text' });
  });

  it('recognises an error made by another copy of the module', () => {
    const foreign = Object.assign(new Error('x'), {
      code: 3,
      msg: 'x',
      [Symbol.for('@cni/skel.CniError')]: true,
    });
    expect(CniError.is(foreign)).toBe(true);
    expect(CniError.is(new Error('x'))).toBe(false);
  });
});
