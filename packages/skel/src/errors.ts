/** CNI error codes (spec table plus the Go reference's 8 and 999). */
export const ErrCode = {
  IncompatibleCNIVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironmentVariables: 4,
  IOFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetNS: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

export type ErrCodeValue = (typeof ErrCode)[keyof typeof ErrCode];

const BRAND = Symbol.for('@cni/skel.CniError');

/** The wire form of a CNI error: `{"code","msg","details"}` (details omitted when empty). */
export interface CniErrorJSON {
  code: number;
  msg: string;
  details?: string;
}

/**
 * A CNI error. `message` renders like Go's `types.Error.Error()`: `msg` or `msg; details`.
 * A plugin handler throws one of these to choose the code; any other exception becomes 999.
 */
export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details?: string;

  constructor(code: number, msg: string, details?: string) {
    super(details ? `${msg}; ${details}` : msg);
    this.name = 'CniError';
    this.code = code;
    this.msg = msg;
    if (details) this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  toJSON(): CniErrorJSON {
    const out: CniErrorJSON = { code: this.code, msg: this.msg };
    if (this.details) out.details = this.details;
    return out;
  }

  /** True for a CniError, also one made by another copy of this module (bundles, in-process delegates). */
  static is(e: unknown): e is CniError {
    return typeof e === 'object' && e !== null && (e instanceof CniError || BRAND in e);
  }

  /** A CniError as it is: any other thrown value becomes code 999 with its message. */
  static from(e: unknown): CniError {
    if (CniError.is(e)) return e;
    if (e instanceof Error) return new CniError(ErrCode.Internal, e.message);
    return new CniError(ErrCode.Internal, String(e));
  }
}
