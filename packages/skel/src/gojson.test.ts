import { describe, expect, it } from 'vitest';
import { parseJSONConfig } from './conf.js';
import { CniError } from './errors.js';
import { goJSONParse, goJSONSyntaxError } from './gojson.js';
import { seededRandom } from '@cni-internal/test-kit/random';

// Inputs and the messages the Go reference plugin (encoding/json) printed for them; null: valid.
const CASES: [string, string | null][] = [
  ['{x', "invalid character 'x' looking for beginning of object key string"],
  ['{"name"', 'unexpected end of JSON input'],
  ['{"name":}', "invalid character '}' looking for beginning of value"],
  ['{"name" "x"}', "invalid character '\"' after object key"],
  ['{"name":"x",}', "invalid character '}' looking for beginning of object key string"],
  ['{"name":"x" "y"}', "invalid character '\"' after object key:value pair"],
  ['[1 2]', "invalid character '2' after array element"],
  ['[1,]', "invalid character ']' looking for beginning of value"],
  ['tru', "invalid character ' ' in literal true (expecting 'e')"],
  ['trux', "invalid character 'x' in literal true (expecting 'e')"],
  ['nul', "invalid character ' ' in literal null (expecting 'l')"],
  ['fals0', "invalid character '0' in literal false (expecting 'e')"],
  ['-', "invalid character ' ' in numeric literal"],
  ['-x', "invalid character 'x' in numeric literal"],
  ['01', "invalid character '1' after top-level value"],
  ['1.', "invalid character ' ' after decimal point in numeric literal"],
  ['1.x', "invalid character 'x' after decimal point in numeric literal"],
  ['1e', "invalid character ' ' in exponent of numeric literal"],
  ['1e+', "invalid character ' ' in exponent of numeric literal"],
  ['1ex', "invalid character 'x' in exponent of numeric literal"],
  ['"abc', 'unexpected end of JSON input'],
  ['"a\\q"', "invalid character 'q' in string escape code"],
  ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ['"\\u12', "invalid character ' ' in \\u hexadecimal character escape"],
  ['"\\', "invalid character ' ' in string escape code"],
  ['{"a":1}x', "invalid character 'x' after top-level value"],
  [' {} {}', "invalid character '{' after top-level value"],
  ['{"a":[1,2}', "invalid character '}' after array element"],
  ['{"a":"b\tc"}', "invalid character '\\t' in string literal"],
  ['{"a":\'x\'}', "invalid character '\\'' looking for beginning of value"],
  ['@', "invalid character '@' looking for beginning of value"],
  ['{"a":"\u00e9"', 'unexpected end of JSON input'],
  ['{"a":\u00e9}', "invalid character '\u00c3' looking for beginning of value"],
  ['{"a":\u0001}', "invalid character '\\x01' looking for beginning of value"],
  ['\n\n{"a":tx}', "invalid character 'x' in literal true (expecting 'r')"],
  ['[', 'unexpected end of JSON input'],
  ['{"a":', 'unexpected end of JSON input'],
  ['{"a"', 'unexpected end of JSON input'],
  ['{"a":1,', 'unexpected end of JSON input'],
  ['["x",', 'unexpected end of JSON input'],
  ['{"name":"n","x":-0.5e10,"y":[true,false,null,{}]}', null],
  ['{"a":\u00a0}', "invalid character '\u00c2' looking for beginning of value"],
  ['{"a":\u0085}', "invalid character '\u00c2' looking for beginning of value"],
  ['{"a":\u007f}', "invalid character '\\x7f' looking for beginning of value"],
  ['{"a":\\}', "invalid character '\\\\' looking for beginning of value"],
  ['{"a":\u2028}', "invalid character '\u00e2' looking for beginning of value"],
  ['{"a":"x\u0000"}', "invalid character '\\x00' in string literal"],
];

describe('Go encoding/json syntax error messages', () => {
  for (const [input, want] of CASES) {
    it(`${JSON.stringify(input)} → ${want ?? 'valid'}`, () => {
      expect(goJSONSyntaxError(input) ?? null).toBe(want);
    });
  }

  it('parseJSONConfig reports them as code 6 with the Go prefix', () => {
    let err: unknown;
    try {
      parseJSONConfig('{x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).toJSON()).toEqual({
      code: 6,
      msg: "error unmarshall network config: invalid character 'x' looking for beginning of object key string",
    });
  });

  it('the scanner accepts exactly what JSON.parse accepts (so it runs only on a failure)', () => {
    const rnd = seededRandom(7);
    const atoms = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"\\u00e9"',
      '"\\x"',
      '"\\u12g4"',
      '1',
      '-0',
      '01',
      '1.',
      '.5',
      '2e',
      '3E+1',
      'true',
      'tru',
      'null',
      'nul',
      'false',
      ' ',
      '\n',
      '\t',
      '\u00a0',
      '"\u0001"',
      '"',
      '\\',
    ];
    const inputs = CASES.map(([t]) => t);
    for (let i = 0; i < 20000; i++) {
      let t = '';
      for (let n = rnd(9); n >= 0; n--) t += atoms[rnd(atoms.length)];
      inputs.push(t);
    }
    for (const t of inputs) {
      let ok = true;
      try {
        JSON.parse(t);
      } catch {
        ok = false;
      }
      expect([t, goJSONSyntaxError(t) === undefined]).toEqual([t, ok]);
      if (!ok) expect(() => goJSONParse(t)).toThrow(goJSONSyntaxError(t) as string);
    }
  });

  it('valid JSON still parses', () => {
    expect(parseJSONConfig(' {"a":[1,-2.5e3,true,null,"\\u00e9"]}\n')).toEqual({
      a: [1, -2500, true, null, 'é'],
    });
  });
});
