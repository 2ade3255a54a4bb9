// Splitting and quoting of iptables-save lines (the format iptables-restore reads back).

/** Split one iptables-save line into words: double quotes group, backslash escapes. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) {
        const n = line[i + 1] as string;
        if (n === '"' || n === '\\') {
          cur += n;
          i++;
          continue;
        }
        cur += c;
      } else if (c === '"') quoted = false;
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      i++;
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quoted) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
  if (inWord) out.push(cur);
  return out;
}

/** Quote one word for an iptables-restore line. */
export function quoteWord(w: string): string {
  if (w !== '' && /^[A-Za-z0-9_./:,!=+@%^-]+$/.test(w)) return w;
  if (w.includes('\n') || w.includes('\r') || w.includes('\0'))
    throw new Error(`iptables argument contains a line break or NUL: ${JSON.stringify(w)}`);
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function joinWords(words: readonly string[]): string {
  return words.map(quoteWord).join(' ');
}
