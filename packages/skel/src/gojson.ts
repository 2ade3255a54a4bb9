// Go encoding/json syntax errors: the first error Go's scanner reports for a text, with its
// exact message, so that bad input gets the same reply as from a Go plugin.

/** Go's quoteChar: '\'' for a quote, else strconv.Quote of the rune in single quotes. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const named: Record<string, string> = {
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\b': '\\b',
    '\f': '\\f',
    '\v': '\\v',
    '\x07': '\\a',
    '\\': '\\\\',
  };
  const n = named[c];
  if (n) return `'${n}'`;
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `'\\x${cp.toString(16).padStart(2, '0')}'`;
  if ((cp >= 0x80 && cp <= 0xa0) || cp === 0xad) return `'\\u${cp.toString(16).padStart(4, '0')}'`;
  return `'${c}'`;
}

class SyntaxErr {
  constructor(readonly msg: string) {}
}

const EOF_MSG = 'unexpected end of JSON input';

/** The message Go's json.Unmarshal gives for a syntax error in `text`, or undefined if valid. */
export function goJSONSyntaxError(text: string): string | undefined {
  let i = 0;
  // Go's scanner works on bytes and reports a byte as the rune of the same value.
  const chars = Array.from(Buffer.from(text, 'utf8').toString('latin1'));
  const peek = () => chars[i];
  const bad = (c: string, ctx: string) => new SyntaxErr(`invalid character ${quoteChar(c)} ${ctx}`);
  const ws = () => {
    while (i < chars.length && ' \t\r\n'.includes(chars[i] as string)) i++;
  };
  // At the end of input Go's scanner is fed a space: states that reject one report it.
  const need = (ctx?: string): string => {
    const c = peek();
    if (c === undefined) throw ctx ? bad(' ', ctx) : new SyntaxErr(EOF_MSG);
    return c;
  };
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      const ctx = `in literal ${word} (expecting ${quoteChar(word[k] as string)})`;
      const c = need(ctx);
      if (c !== word[k]) throw bad(c, ctx);
    }
    i++;
  };

  const string = () => {
    i++; // opening quote
    for (;;) {
      const c = need();
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        const e = need('in string escape code');
        if ('"\\/bfnrt'.includes(e)) {
          i++;
          continue;
        }
        if (e !== 'u') throw bad(e, 'in string escape code');
        i++;
        for (let k = 0; k < 4; k++) {
          const h = need('in \\u hexadecimal character escape');
          if (!/[0-9a-fA-F]/.test(h)) throw bad(h, 'in \\u hexadecimal character escape');
          i++;
        }
        continue;
      }
      if ((c.codePointAt(0) ?? 0) < 0x20) throw bad(c, 'in string literal');
      i++;
    }
  };

  const number = () => {
    if (peek() === '-') {
      i++;
      const c = need('in numeric literal');
      if (!isDigit(c)) throw bad(c, 'in numeric literal');
    }
    if (peek() === '0') i++;
    else while (isDigit(peek())) i++;
    if (peek() === '.') {
      i++;
      const c = need('after decimal point in numeric literal');
      if (!isDigit(c)) throw bad(c, 'after decimal point in numeric literal');
      while (isDigit(peek())) i++;
    }
    if (peek() === 'e' || peek() === 'E') {
      i++;
      let c = need('in exponent of numeric literal');
      if (c === '+' || c === '-') {
        i++;
        c = need('in exponent of numeric literal');
      }
      if (!isDigit(c)) throw bad(c, 'in exponent of numeric literal');
      while (isDigit(peek())) i++;
    }
  };

  const value = (): void => {
    ws();
    const c = need();
    if (c === '{') {
      i++;
      ws();
      if (need() === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const k = need();
        if (k !== '"') throw bad(k, 'looking for beginning of object key string');
        string();
        ws();
        const colon = need();
        if (colon !== ':') throw bad(colon, 'after object key');
        i++;
        value();
        ws();
        const sep = need();
        if (sep === ',') {
          i++;
          continue;
        }
        if (sep === '}') {
          i++;
          return;
        }
        throw bad(sep, 'after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (need() === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        const sep = need();
        if (sep === ',') {
          i++;
          continue;
        }
        if (sep === ']') {
          i++;
          return;
        }
        throw bad(sep, 'after array element');
      }
    }
    if (c === '"') string();
    else if (c === '-' || isDigit(c)) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else throw bad(c, 'looking for beginning of value');
  };

  try {
    value();
    ws();
    const rest = peek();
    if (rest !== undefined) throw bad(rest, 'after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof SyntaxErr) return e.msg;
    throw e;
  }
}

/**
 * JSON.parse, failing with Go's message for a syntax error. The scanner above accepts exactly
 * what JSON.parse accepts, so it runs only when JSON.parse fails, for the message: a valid
 * config costs one parse.
 */
export function goJSONParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(goJSONSyntaxError(text) ?? (e as Error).message);
  }
}
