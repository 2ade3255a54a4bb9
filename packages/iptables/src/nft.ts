// The nftables backend: libnftables in process through koffi (one context per namespace,
// created inside it, since a context's netlink socket belongs to the netns it was made in),
// or the `nft` binary when the library is missing.
import { loadKoffi, type NetNS } from '@cni/ns';
import { execIn, findBinary } from './exec.js';

export class NftError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

const NFT_CTX_OUTPUT_HANDLE = 1 << 3;
const NFT_CTX_OUTPUT_JSON = 1 << 4;

type Fn = (...args: unknown[]) => unknown;
interface Lib {
  ctxNew: Fn;
  bufferOutput: Fn;
  bufferError: Fn;
  setFlags: Fn;
  run: Fn;
  getOutput: Fn;
  getError: Fn;
}

let lib: Lib | null | undefined;

function loadLib(): Lib | null {
  if (lib !== undefined) return lib;
  if (process.env.CNI_TS_NFT_NO_LIBRARY === '1') {
    lib = null;
    return lib;
  }
  try {
    const koffi = loadKoffi();
    const so = koffi.load('libnftables.so.1');
    koffi.opaque('nft_ctx');
    lib = {
      ctxNew: so.func('nft_ctx * nft_ctx_new(uint32_t flags)') as Fn,
      bufferOutput: so.func('int nft_ctx_buffer_output(nft_ctx *ctx)') as Fn,
      bufferError: so.func('int nft_ctx_buffer_error(nft_ctx *ctx)') as Fn,
      setFlags: so.func('void nft_ctx_output_set_flags(nft_ctx *ctx, uint32_t flags)') as Fn,
      run: so.func('int nft_run_cmd_from_buffer(nft_ctx *ctx, const char *buf)') as Fn,
      getOutput: so.func('const char *nft_ctx_get_output_buffer(nft_ctx *ctx)') as Fn,
      getError: so.func('const char *nft_ctx_get_error_buffer(nft_ctx *ctx)') as Fn,
    };
  } catch {
    lib = null;
  }
  return lib;
}

/** Is libnftables loadable (otherwise the `nft` binary is used)? */
export function hasLibnftables(): boolean {
  return loadLib() !== null;
}

const contexts = new WeakMap<object, unknown>();
const NO_NS = {};

export interface NftOptions {
  ns?: NetNS | undefined;
}

/** One nftables endpoint bound to one namespace. */
export class Nft {
  readonly ns: NetNS | undefined;

  constructor(opts: NftOptions = {}) {
    this.ns = opts.ns;
  }

  #in<T>(fn: () => T): T {
    return this.ns ? this.ns.run(fn) : fn();
  }

  /** Which engine runs the commands: 'library', 'binary' or null (neither is present). */
  engine(): 'library' | 'binary' | null {
    if (loadLib()) return 'library';
    return findBinary('nft') ? 'binary' : null;
  }

  #ctx(l: Lib): unknown {
    const key = this.ns ?? NO_NS;
    let ctx = contexts.get(key);
    if (!ctx) {
      ctx = this.#in(() => l.ctxNew(0));
      if (!ctx) throw new NftError('nft_ctx_new failed');
      l.bufferOutput(ctx);
      l.bufferError(ctx);
      l.setFlags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
      contexts.set(key, ctx);
    }
    return ctx;
  }

  /**
   * Run nft commands (text syntax, or a JSON document) as one transaction; returns the output
   * (JSON for list commands).
   */
  run(commands: string): string {
    const l = loadLib();
    if (l) {
      const ctx = this.#ctx(l);
      return this.#in(() => {
        const rc = l.run(ctx, commands) as number;
        const out = (l.getOutput(ctx) as string | null) ?? '';
        const err = (l.getError(ctx) as string | null) ?? '';
        if (rc !== 0) throw nftError(err || `nft failed (${rc})`);
        return out;
      });
    }
    const bin = findBinary('nft');
    if (!bin) throw new NftError('neither libnftables nor the nft binary is available');
    const r = execIn(this.ns, bin, ['-j', '-a', '-f', '-'], commands);
    if (r.status !== 0) throw nftError(r.stderr.trim() || `nft exited with ${r.status}`);
    return r.stdout;
  }

  /** `list ruleset`-style JSON objects of one listing command; a missing table/chain → []. */
  list(command: string): NftObject[] {
    let out: string;
    try {
      out = this.run(command);
    } catch (err) {
      if (err instanceof NftError && err.notFound) return [];
      throw err;
    }
    if (!out.trim()) return [];
    const doc = JSON.parse(out) as { nftables?: NftObject[] };
    return doc.nftables ?? [];
  }

  /** Rules of one chain with handle and comment; a missing table or chain gives []. */
  rules(family: string, table: string, chain: string): NftRule[] {
    const out: NftRule[] = [];
    for (const o of this.list(`list chain ${family} ${table} ${chain}`)) {
      if (o.rule) out.push(o.rule);
    }
    return out;
  }

  /** Chains of one table (names); a missing table gives []. */
  chains(family: string, table: string): string[] {
    return this.list(`list table ${family} ${table}`)
      .filter((o) => o.chain)
      .map((o) => (o.chain as { name: string }).name);
  }

  /** Is the backend usable here: can we read the ruleset (needs CAP_NET_ADMIN)? Never throws. */
  usable(): boolean {
    try {
      if (!this.engine()) return false;
      this.run('list tables');
      return true;
    } catch {
      return false;
    }
  }
}

export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  expr?: unknown[];
}

export interface NftObject {
  rule?: NftRule;
  chain?: unknown;
  table?: unknown;
  [k: string]: unknown;
}

function nftError(msg: string): NftError {
  return new NftError(msg.trim(), /No such file or directory|does not exist/.test(msg));
}

/** Quote a string for nft text syntax (comments). */
export function nftQuote(s: string): string {
  return `"${s.replace(/["\\\n\r]/g, '')}"`;
}
