// Canonical form of an iptables rule, as iptables-save prints it, so that a rule we are about to
// add can be compared with what is already in the kernel without one `iptables -C` per rule.
import { isIP } from '@cni/ip';

const HEADER: Record<string, string> = {
  '-s': '-s',
  '--source': '-s',
  '--src': '-s',
  '-d': '-d',
  '--destination': '-d',
  '--dst': '-d',
  '-i': '-i',
  '--in-interface': '-i',
  '-o': '-o',
  '--out-interface': '-o',
  '-p': '-p',
  '--protocol': '-p',
};
const HEADER_ORDER = ['-s', '-d', '-i', '-o', '-p'];
const RENAME: Record<string, string> = {
  '--destination-ports': '--dports',
  '--source-ports': '--sports',
  '--destination-port': '--dport',
  '--source-port': '--sport',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
};
const PROTO_OPTS = new Set(['--dport', '--sport', '--tcp-flags', '--syn', '--tcp-option']);
const MODULE_OPTS: Record<string, Set<string>> = {
  comment: new Set(['--comment']),
  multiport: new Set(['--dports', '--sports', '--ports']),
  addrtype: new Set(['--src-type', '--dst-type', '--limit-iface-in', '--limit-iface-out']),
  mark: new Set(['--mark']),
  conntrack: new Set(['--ctstate', '--ctproto', '--ctorigsrc', '--ctorigdst', '--ctstatus', '--ctdir']),
};

function bigFromIP(ip: string): { v: bigint; bits: number } {
  if (isIP(ip) === 4) {
    const v = ip.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n);
    return { v, bits: 32 };
  }
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = bigFromIP(v4[1]).v;
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { v: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n), bits: 128 };
}

function ipFromBig(v: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: the longest run (≥2) of zero groups becomes ::
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `10.1.2.3` → `10.1.2.3/32`, `10.1.2.3/24` → `10.1.2.0/24`, `fd00::1` → `fd00::1/128`. */
export function canonicalAddress(text: string): string {
  const [addr = '', prefixText] = text.split('/');
  if (!isIP(addr)) return text;
  const { v, bits } = bigFromIP(addr);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return text;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return `${ipFromBig(v & mask, bits)}/${prefix}`;
}

/** Rewrite a rule into iptables-save order and spelling. */
export function canonicalRule(rule: readonly string[]): string[] {
  const header = new Map<string, string[]>();
  const rest: string[][] = [];
  let proto: string | undefined;
  let current: string[] | undefined;
  let module: string | undefined;
  for (let i = 0; i < rule.length; i++) {
    let tok = rule[i] as string;
    let neg = false;
    if (tok === '!' && i + 1 < rule.length && HEADER[rule[i + 1] as string]) {
      neg = true;
      i++;
      tok = rule[i] as string;
    }
    const h = HEADER[tok];
    if (h) {
      let value = rule[++i] ?? '';
      if (h === '-s' || h === '-d') value = canonicalAddress(value);
      if (h === '-p') {
        value = value.toLowerCase();
        proto = value;
      }
      header.set(h, neg ? ['!', h, value] : [h, value]);
      continue;
    }
    tok = RENAME[tok] ?? tok;
    if (tok === '-m' || tok === '-j' || tok === '-g') {
      module = tok === '-m' ? rule[i + 1] : undefined;
      current = [tok, rule[++i] ?? ''];
      rest.push(current);
      continue;
    }
    if (
      tok.startsWith('--') &&
      PROTO_OPTS.has(tok) &&
      proto &&
      (module === undefined || !(MODULE_OPTS[module]?.has(tok) ?? module === proto))
    ) {
      module = proto;
      current = ['-m', proto];
      rest.push(current);
    }
    if (!current) {
      current = [];
      rest.push(current);
    }
    current.push(tok);
  }
  const out: string[] = [];
  for (const k of HEADER_ORDER) out.push(...(header.get(k) ?? []));
  // The target is printed last.
  const targets = rest.filter((s) => s[0] === '-j' || s[0] === '-g');
  for (const s of rest) if (!targets.includes(s)) out.push(...s);
  for (const s of targets) out.push(...s);
  return out;
}

export function sameRule(a: readonly string[], b: readonly string[]): boolean {
  const x = canonicalRule(a);
  const y = canonicalRule(b);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}
