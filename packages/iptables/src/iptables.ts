// The iptables/ip6tables backend: one `iptables-save -t <table>` to read, one
// `iptables-restore -w --noflush` batch to write, per operation, under a host-wide lock so that
// concurrent plugin processes never build their batch from a stale view.
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { nftTableExists } from '@cni/netlink';
import { flock, LOCK_EX, LOCK_UN, type NetNS } from '@cni/ns';
import { execIn, findBinary } from './exec.js';
import { sameRule } from './rules.js';
import { joinWords, splitWords } from './shellwords.js';

export type IPFamily = 4 | 6;
export type Rule = readonly string[];

export class IPTablesError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'IPTablesError';
  }
}

const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** One table as iptables-save printed it: chain → rules (words after `-A <chain>`). */
export class TableState {
  readonly chains = new Map<string, string[][]>();

  constructor(readonly table: string) {
    for (const c of BUILTIN[table] ?? []) this.chains.set(c, []);
  }

  static parse(table: string, text: string): TableState {
    const st = new TableState(table);
    let inTable = false;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        inTable = line.slice(1) === table;
        continue;
      }
      if (!inTable) continue;
      if (line === 'COMMIT') {
        inTable = false;
        continue;
      }
      if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0] ?? '';
        if (!st.chains.has(name)) st.chains.set(name, []);
        continue;
      }
      const words = splitWords(line);
      if (words[0] === '-A' && words[1]) {
        const list = st.chains.get(words[1]) ?? [];
        st.chains.set(words[1], list);
        list.push(words.slice(2));
      }
    }
    return st;
  }
}

/**
 * The changes of one operation on one table. Every method looks at the state read at the start
 * (plus the changes already queued) and only queues what is needed, so each is idempotent:
 * ensuring a chain that exists, deleting a rule or chain that is gone, do nothing.
 */
export class TableEdit {
  readonly lines: string[] = [];

  constructor(readonly state: TableState) {}

  get table(): string {
    return this.state.table;
  }

  hasChain(chain: string): boolean {
    return this.state.chains.has(chain);
  }

  chainNames(): string[] {
    return [...this.state.chains.keys()];
  }

  /** The rules of a chain (words after `-A <chain>`); empty for a missing chain. */
  rules(chain: string): readonly Rule[] {
    return this.state.chains.get(chain) ?? [];
  }

  hasRule(chain: string, rule: Rule): boolean {
    return this.rules(chain).some((r) => sameRule(r, rule));
  }

  ensureChain(chain: string): void {
    if (this.hasChain(chain)) return;
    this.lines.push(`:${chain} - [0:0]`);
    this.state.chains.set(chain, []);
  }

  /** Create the chain or empty it. */
  clearChain(chain: string): void {
    const rules = this.state.chains.get(chain);
    if (!rules) {
      this.ensureChain(chain);
      return;
    }
    if (rules.length > 0) this.lines.push(`-F ${chain}`);
    rules.length = 0;
  }

  /** Empty and remove a chain, after removing every rule that jumps to it; gone is fine. */
  deleteChain(chain: string): void {
    if (!this.hasChain(chain)) return;
    for (const other of this.chainNames()) {
      if (other !== chain) this.deleteRulesWhere(other, (r) => jumpTarget(r) === chain);
    }
    this.clearChain(chain);
    this.lines.push(`-X ${chain}`);
    this.state.chains.delete(chain);
  }

  append(chain: string, rule: Rule): void {
    this.ensureChain(chain);
    this.lines.push(`-A ${chain} ${joinWords(rule)}`);
    this.state.chains.get(chain)?.push([...rule]);
  }

  /** Insert at position 1 (the top). */
  insert(chain: string, rule: Rule): void {
    this.ensureChain(chain);
    this.lines.push(`-I ${chain} 1 ${joinWords(rule)}`);
    this.state.chains.get(chain)?.unshift([...rule]);
  }

  /** Append (or prepend) unless an equal rule is already there — the reference's InsertUnique. */
  insertUnique(chain: string, rule: Rule, prepend = false): void {
    if (this.hasRule(chain, rule)) return;
    if (prepend) this.insert(chain, rule);
    else this.append(chain, rule);
  }

  appendUnique(chain: string, rule: Rule): void {
    this.insertUnique(chain, rule, false);
  }

  /** Delete every copy of a rule; a missing rule or chain is fine. */
  deleteRule(chain: string, rule: Rule): void {
    this.deleteRulesWhere(chain, (r) => sameRule(r, rule));
  }

  /** Delete the rules of `chain` for which `pred` holds (by their listed text). */
  deleteRulesWhere(chain: string, pred: (rule: Rule) => boolean): number {
    const rules = this.state.chains.get(chain);
    if (!rules) return 0;
    let n = 0;
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i] as string[];
      if (!pred(r)) continue;
      // Position-independent delete by the exact listed text.
      this.lines.push(`-D ${chain} ${joinWords(r)}`);
      rules.splice(i, 1);
      n++;
    }
    return n;
  }
}

/** The target of `-j X` / `-g X` in a rule, if any. */
export function jumpTarget(rule: Rule): string | undefined {
  for (let i = 0; i < rule.length - 1; i++) if (rule[i] === '-j' || rule[i] === '-g') return rule[i + 1];
  return undefined;
}

/** The value of `--comment` in a rule, if any. */
export function ruleComment(rule: Rule): string | undefined {
  const i = rule.indexOf('--comment');
  return i >= 0 ? rule[i + 1] : undefined;
}

export interface IPTablesOptions {
  /** Namespace to act in (default: where the thread is). */
  ns?: NetNS | undefined;
  /** Host-wide lock file serializing our read-modify-write batches. */
  lockFile?: string;
  /** Attempts when a batch fails because someone else changed the table meanwhile. */
  attempts?: number;
}

export const DEFAULT_LOCK_FILE = '/run/cni-ts-netfilter.lock';

export class IPTables {
  readonly family: IPFamily;
  readonly ns: NetNS | undefined;
  readonly #lockFile: string;
  readonly #attempts: number;

  constructor(family: IPFamily, opts: IPTablesOptions = {}) {
    this.family = family;
    this.ns = opts.ns;
    this.#lockFile = opts.lockFile ?? DEFAULT_LOCK_FILE;
    this.#attempts = opts.attempts ?? 4;
  }

  get command(): string {
    return this.family === 4 ? 'iptables' : 'ip6tables';
  }

  #bin(suffix: '' | '-save' | '-restore'): string {
    const name = this.command + suffix;
    const bin = findBinary(name);
    if (!bin) throw new IPTablesError(`${name} not found in PATH`);
    return bin;
  }

  /** Is this backend usable here (the binary runs and can list a table)? Never throws. */
  usable(): boolean {
    try {
      const r = execIn(this.ns, this.#bin(''), ['-w', '-t', 'filter', '-S', 'INPUT']);
      return r.status === 0;
    } catch {
      return false;
    }
  }

  /**
   * Does this family certainly have no `table` here, so that it holds no rules? Asked of the
   * kernel without running a tool: neither iptables-nft's nftables table (`ip`/`ip6` family, one
   * netlink request) nor a legacy x_tables table (`/proc/net/ip{,6}_tables_names`) of that name
   * exists. false when either exists or the kernel cannot say. A teardown skips such a family
   * (an IPv4-only node: no `ip6tables-save` on every portmap DEL).
   */
  tableAbsent(table: string): boolean {
    if (nftTableExists(this.ns, this.family === 4 ? 'ip' : 'ip6', table) !== false) return false;
    const legacy = (): string => {
      try {
        return readFileSync(`/proc/thread-self/net/ip${this.family === 4 ? '' : '6'}_tables_names`, 'latin1');
      } catch (err) {
        // no x_tables module for this family: no legacy table at all
        return (err as NodeJS.ErrnoException).code === 'ENOENT' ? '' : table;
      }
    };
    const names = this.ns ? this.ns.run(legacy) : legacy();
    return !names.split('\n').includes(table);
  }

  /** Read one table (one iptables-save). */
  read(table: string): TableState {
    const r = execIn(this.ns, this.#bin('-save'), ['-t', table]);
    if (r.status !== 0)
      throw new IPTablesError(`${this.command}-save -t ${table} failed: ${r.stderr.trim()}`, r.stderr);
    return TableState.parse(table, r.stdout);
  }

  /** Apply restore lines to one table in one atomic batch. */
  apply(table: string, lines: readonly string[]): void {
    if (lines.length === 0) return;
    const input = `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
    const r = execIn(this.ns, this.#bin('-restore'), ['-w', '5', '--noflush'], input);
    if (r.status !== 0)
      throw new IPTablesError(`${this.command}-restore failed: ${r.stderr.trim()}`, r.stderr);
  }

  /** `iptables -C`: does the kernel hold this rule (exact kernel comparison)? */
  check(table: string, chain: string, rule: Rule): boolean {
    const r = execIn(this.ns, this.#bin(''), ['-w', '-t', table, '-C', chain, ...rule]);
    return r.status === 0;
  }

  /**
   * Read `table`, let `fn` queue changes, write them as one batch. Runs under the host-wide lock;
   * if the batch fails (another program changed the table between read and write), it is read
   * again and rebuilt.
   */
  update<T>(table: string, fn: (edit: TableEdit) => T): T {
    return withLock(this.#lockFile, () => {
      let lastErr: unknown;
      for (let attempt = 0; attempt < this.#attempts; attempt++) {
        const edit = new TableEdit(this.read(table));
        const result = fn(edit);
        try {
          this.apply(table, edit.lines);
          return result;
        } catch (err) {
          lastErr = err;
        }
      }
      throw lastErr;
    });
  }

  /** Read-only look at a table. */
  view<T>(table: string, fn: (edit: TableEdit) => T): T {
    return fn(new TableEdit(this.read(table)));
  }
}

function withLock<T>(file: string, fn: () => T): T {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a', 0o600);
  try {
    flock(fd, LOCK_EX);
    try {
      return fn();
    } finally {
      flock(fd, LOCK_UN);
    }
  } finally {
    closeSync(fd);
  }
}
