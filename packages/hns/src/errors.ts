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
  2151350275: 'HCN_E_LAYER_NOT_FOUND',
  2151350276: 'HCN_E_SWITCH_NOT_FOUND',
  2151350277: 'HCN_E_SUBNET_NOT_FOUND',
  2151350278: 'HCN_E_ADAPTER_NOT_FOUND',
  2151350279: 'HCN_E_PORT_NOT_FOUND',
  2151350280: 'HCN_E_POLICY_NOT_FOUND',
  2151350287: 'HCN_E_INVALID_NETWORK',
  2151350288: 'HCN_E_INVALID_NETWORK_TYPE',
  2151350289: 'HCN_E_INVALID_ENDPOINT',
  2151350290: 'HCN_E_INVALID_POLICY',
  [HCN_E_PORT_ALREADY_EXISTS]: 'HCN_E_PORT_ALREADY_EXISTS',
  2151350294: 'HCN_E_POLICY_ALREADY_EXISTS',
  2151350297: 'HCN_E_ENDPOINT_ALREADY_ATTACHED',
  [HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS]: 'HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS',
  [HCS_E_SYSTEM_NOT_FOUND]: 'HCS_E_SYSTEM_NOT_FOUND',
  2147943568: 'ERROR_NOT_FOUND',
  2147942405: 'E_ACCESSDENIED',
  2147942487: 'E_INVALIDARG',
  2147942414: 'E_OUTOFMEMORY',
  2147500037: 'E_FAIL',
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
