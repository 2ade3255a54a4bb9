// HRESULTs, Win32 codes and the errors of the HCN/HNS/HCS calls.
import { CniError, ErrCode } from '@cni/skel';

export const S_OK = 0;
export const ERROR_NOT_FOUND = 0x490;
export const HCN_E_NETWORK_NOT_FOUND = 0x803b0001;
export const HCN_E_ENDPOINT_NOT_FOUND = 0x803b0002;
export const HCN_E_PORT_ALREADY_EXISTS = 0x803b0013;
export const HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS = 0x803b002b;
export const HCS_E_SYSTEM_NOT_FOUND = 0xc037010e;

const NAMES: Record<number, string> = {
  [HCN_E_NETWORK_NOT_FOUND]: 'HCN_E_NETWORK_NOT_FOUND',
  [HCN_E_ENDPOINT_NOT_FOUND]: 'HCN_E_ENDPOINT_NOT_FOUND',
  0x803b0003: 'HCN_E_LAYER_NOT_FOUND',
  0x803b0004: 'HCN_E_SWITCH_NOT_FOUND',
  0x803b0005: 'HCN_E_SUBNET_NOT_FOUND',
  0x803b0006: 'HCN_E_ADAPTER_NOT_FOUND',
  0x803b0007: 'HCN_E_PORT_NOT_FOUND',
  0x803b0008: 'HCN_E_POLICY_NOT_FOUND',
  0x803b000f: 'HCN_E_INVALID_NETWORK',
  0x803b0010: 'HCN_E_INVALID_NETWORK_TYPE',
  0x803b0011: 'HCN_E_INVALID_ENDPOINT',
  0x803b0012: 'HCN_E_INVALID_POLICY',
  [HCN_E_PORT_ALREADY_EXISTS]: 'HCN_E_PORT_ALREADY_EXISTS',
  0x803b0016: 'HCN_E_POLICY_ALREADY_EXISTS',
  0x803b0019: 'HCN_E_ENDPOINT_ALREADY_ATTACHED',
  [HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS]: 'HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS',
  [HCS_E_SYSTEM_NOT_FOUND]: 'HCS_E_SYSTEM_NOT_FOUND',
  0x80070490: 'ERROR_NOT_FOUND',
  0x80070005: 'E_ACCESSDENIED',
  0x80070057: 'E_INVALIDARG',
  0x8007000e: 'E_OUTOFMEMORY',
  0x80004005: 'E_FAIL',
};

/** An HRESULT as unsigned 32 bits. */
export const hresult = (hr: number): number => hr >>> 0;

export const hresultHex = (hr: number): string => `0x${hresult(hr).toString(16).padStart(8, '0')}`;

/** The Win32 error code inside a FACILITY_WIN32 HRESULT, else undefined. */
export function win32Code(hr: number): number | undefined {
  const u = hresult(hr);
  return (u & 0x1fff0000) === 0x00070000 ? u & 0xffff : undefined;
}

/** A call failed: HRESULT < 0, or a non-empty error record even with S_OK. */
export const failed = (hr: number, errorRecord?: string): boolean =>
  (hr | 0) < 0 || (errorRecord !== undefined && errorRecord !== '');

/** A failed Windows call: the function, its HRESULT and HCN's extended error record (opaque JSON). */
export class WindowsCallError extends CniError {
  readonly fn: string;
  readonly hr: number;
  readonly errorRecord: string;

  constructor(fn: string, hr: number, errorRecord = '', context = '') {
    const name = NAMES[hresult(hr)];
    const w32 = win32Code(hr);
    const code = w32 !== undefined ? ` (Win32 error ${w32})` : '';
    const what = `${hresultHex(hr)}${name ? ` ${name}` : ''}${code}`;
    super(
      ErrCode.Internal,
      `${fn}${context ? ` ${context}` : ''} failed with HRESULT ${what}${errorRecord ? `: ${errorRecord}` : ''}`,
    );
    this.fn = fn;
    this.hr = hresult(hr);
    this.errorRecord = errorRecord;
  }

  get notFound(): boolean {
    return (
      win32Code(this.hr) === ERROR_NOT_FOUND ||
      this.hr === HCN_E_NETWORK_NOT_FOUND ||
      this.hr === HCN_E_ENDPOINT_NOT_FOUND
    );
  }
}

/** Something looked up by name or ID does not exist (an empty enumeration or a not-found HRESULT). */
export class NotFoundError extends CniError {
  constructor(msg: string) {
    super(ErrCode.Internal, msg);
  }
}

/** HNS v1 answered `{"Success":false,"Error":…}`. */
export class HnsError extends CniError {
  readonly hnsError: string;
  constructor(error: string) {
    super(ErrCode.Internal, `hns failed with error : ${error}`);
    this.hnsError = error;
  }
}

export const isNotFound = (e: unknown): boolean =>
  e instanceof NotFoundError ||
  (e instanceof WindowsCallError && e.notFound) ||
  (e instanceof HnsError && /not found/i.test(e.hnsError));
