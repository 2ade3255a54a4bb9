// Error types of @cni/libcni. Messages are the Go libcni texts.
import { CniError } from '@cni/skel';

/** No config files at all in the directory (Go's NoConfigsFoundError). */
export class NoConfigsFoundError extends Error {
  readonly dir: string;
  constructor(dir: string) {
    super(`no net configurations found in ${dir}`);
    this.name = 'NoConfigsFoundError';
    this.dir = dir;
  }
}

/** Config files exist but none has the requested network name (Go's NotFoundError). */
export class NotFoundError extends Error {
  readonly dir: string;
  readonly network: string;
  constructor(dir: string, network: string) {
    super(`no net configuration with name "${network}" in ${dir}`);
    this.name = 'NotFoundError';
    this.dir = dir;
    this.network = network;
  }
}

/**
 * A CNI error object reported by a plugin (or made by libcni for a plugin that failed without
 * one, like Go's invoke). `message` is `msg` or `msg; details`. `cause` is the abort reason when
 * the plugin was killed by a timeout or an AbortSignal.
 */
export class PluginError extends CniError {
  constructor(code: number, msg: string, details?: string, options?: { cause?: unknown }) {
    super(code, msg, details);
    this.name = 'PluginError';
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

/** Several errors at once (Go's errors.Join): the message is theirs, one per line. */
export class JoinedError extends Error {
  readonly errors: Error[];
  constructor(errors: Error[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'JoinedError';
    this.errors = errors;
  }
}

/** `new Error(msg: cause.message)` with `cause` kept, like Go's fmt.Errorf("…: %w", err). */
export function wrapError(prefix: string, cause: unknown): Error {
  const text = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${prefix}: ${text}`, { cause });
}

/**
 * The first CNI error object in an error's `cause` chain (a plugin's reply, or a validation
 * error of libcni), e.g. to get the code a wrapped `plugin … failed (add): …` error carries.
 */
export function cniErrorOf(e: unknown): CniError | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 16 && cur; i++) {
    if (CniError.is(cur)) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
