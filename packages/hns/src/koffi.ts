// koffi declarations of computenetwork.dll, vmcompute.dll and CoTaskMemFree, and the binding
// that implements the narrow interface (abi.ts) with them. Types and prototypes can be declared
// on any platform (the tests check their shape on Linux); the DLLs load only on Windows.
import { createRequire } from 'node:module';
import { CniError, ErrCode } from '@cni/skel';
import type { Handle, HcnRaw, HcnReturn, VmcomputeRaw, WindowsApi } from './abi.js';
import { guidToStruct } from './guid.js';

type Koffi = typeof import('koffi');
type KoffiFunction = (...args: unknown[]) => unknown;

/** The C prototypes, by DLL. `_Out_ void **` strings are decoded by hand and CoTaskMemFree'd. */
export const PROTOTYPES = {
  'computenetwork.dll': [
    'HRESULT __stdcall HcnEnumerateNetworks(const char16_t *Query, _Out_ void **Networks, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnOpenNetwork(const GUID *Id, _Out_ HCN_NETWORK *Network, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnQueryNetworkProperties(HCN_NETWORK Network, const char16_t *Query, _Out_ void **Properties, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnCloseNetwork(HCN_NETWORK Network)',
    'HRESULT __stdcall HcnEnumerateEndpoints(const char16_t *Query, _Out_ void **Endpoints, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnOpenEndpoint(const GUID *Id, _Out_ HCN_ENDPOINT *Endpoint, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnCreateEndpoint(HCN_NETWORK Network, const GUID *Id, const char16_t *Settings, _Out_ HCN_ENDPOINT *Endpoint, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnQueryEndpointProperties(HCN_ENDPOINT Endpoint, const char16_t *Query, _Out_ void **Properties, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnDeleteEndpoint(const GUID *Id, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnCloseEndpoint(HCN_ENDPOINT Endpoint)',
    'HRESULT __stdcall HcnEnumerateNamespaces(const char16_t *Query, _Out_ void **Namespaces, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnOpenNamespace(const GUID *Id, _Out_ HCN_NAMESPACE *Namespace, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnQueryNamespaceProperties(HCN_NAMESPACE Namespace, const char16_t *Query, _Out_ void **Properties, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnModifyNamespace(HCN_NAMESPACE Namespace, const char16_t *Settings, _Out_ void **ErrorRecord)',
    'HRESULT __stdcall HcnCloseNamespace(HCN_NAMESPACE Namespace)',
  ],
  'vmcompute.dll': [
    'HRESULT __stdcall HNSCall(const char16_t *Method, const char16_t *Path, const char16_t *Request, _Out_ void **Response)',
    'HRESULT __stdcall HcsOpenComputeSystem(const char16_t *Id, _Out_ HCS_SYSTEM *ComputeSystem, _Out_ void **Result)',
    'HRESULT __stdcall HcsModifyComputeSystem(HCS_SYSTEM ComputeSystem, const char16_t *Configuration, _Out_ void **Result)',
    'HRESULT __stdcall HcsCloseComputeSystem(HCS_SYSTEM ComputeSystem)',
  ],
  'ole32.dll': ['void __stdcall CoTaskMemFree(void *pv)'],
} as const;

export type DllName = keyof typeof PROTOTYPES;

/** The function name of a prototype line. */
export const prototypeName = (line: string): string => /(\w+)\(/.exec(line)?.[1] ?? '';

const declared = new WeakMap<object, Record<string, unknown>>();

/**
 * Register the Windows types with a koffi instance (once per instance; koffi names are global):
 * HRESULT = int32, GUID = {u32, u16, u16, u8[8]}, and the opaque handle pointers.
 */
export function declareTypes(koffi: Koffi): Record<string, unknown> {
  const done = declared.get(koffi);
  if (done) return done;
  const types = {
    HRESULT: koffi.alias('HRESULT', 'int32_t'),
    GUID: koffi.struct('GUID', {
      Data1: 'uint32_t',
      Data2: 'uint16_t',
      Data3: 'uint16_t',
      Data4: koffi.array('uint8_t', 8),
    }),
    HCN_NETWORK: koffi.pointer('HCN_NETWORK', koffi.opaque('HCN_NETWORK__')),
    HCN_ENDPOINT: koffi.pointer('HCN_ENDPOINT', koffi.opaque('HCN_ENDPOINT__')),
    HCN_NAMESPACE: koffi.pointer('HCN_NAMESPACE', koffi.opaque('HCN_NAMESPACE__')),
    HCS_SYSTEM: koffi.pointer('HCS_SYSTEM', koffi.opaque('HCS_SYSTEM__')),
  };
  declared.set(koffi, types);
  return types;
}

/** The prototype type objects of every declared function (no DLL is loaded). */
export function declarePrototypes(koffi: Koffi): Record<string, ReturnType<Koffi['proto']>> {
  declareTypes(koffi);
  const out: Record<string, ReturnType<Koffi['proto']>> = {};
  for (const lines of Object.values(PROTOTYPES)) {
    for (const line of lines) out[prototypeName(line)] = koffi.proto(line);
  }
  return out;
}

/**
 * The functions the binding needs, as koffi returns them from `lib.func(prototype)`, plus the
 * string decoder. Split out so the binding can be exercised with real pointers on Linux.
 */
export interface NativeFunctions {
  fns: Record<string, KoffiFunction>;
  /** decode a NUL-terminated UTF-16 string at a native pointer */
  decode: (ptr: unknown) => string;
}

/** Take ownership of a callee-allocated PWSTR: decode it, then CoTaskMemFree it. */
function takeString(native: NativeFunctions, slot: unknown[]): string | undefined {
  const ptr = slot[0];
  if (ptr === null || ptr === undefined) return undefined;
  try {
    return native.decode(ptr);
  } finally {
    (native.fns.CoTaskMemFree as KoffiFunction)(ptr);
  }
}

/** Implement the narrow interface over native functions. */
export function bindWindowsApi(native: NativeFunctions): WindowsApi {
  const fn = (name: string): KoffiFunction => {
    const f = native.fns[name];
    if (!f) throw new CniError(ErrCode.Internal, `Windows function ${name} is not bound`);
    return f;
  };
  // Out-pointer slots are NULL before each call, as the API requires.
  const withString = (name: string, ...args: unknown[]): HcnReturn<string> => {
    const out: unknown[] = [null];
    const err: unknown[] = [null];
    const hr = fn(name)(...args, out, err) as number;
    const value = takeString(native, out);
    const errorRecord = takeString(native, err);
    return {
      hr,
      ...(value !== undefined ? { value } : {}),
      ...(errorRecord !== undefined ? { errorRecord } : {}),
    };
  };
  const withHandle = (name: string, ...args: unknown[]): HcnReturn<Handle> => {
    const out: unknown[] = [null];
    const err: unknown[] = [null];
    const hr = fn(name)(...args, out, err) as number;
    const errorRecord = takeString(native, err);
    return {
      hr,
      ...(out[0] !== null && out[0] !== undefined ? { value: out[0] } : {}),
      ...(errorRecord !== undefined ? { errorRecord } : {}),
    };
  };
  const withError = (name: string, ...args: unknown[]): HcnReturn => {
    const err: unknown[] = [null];
    const hr = fn(name)(...args, err) as number;
    const errorRecord = takeString(native, err);
    return { hr, ...(errorRecord !== undefined ? { errorRecord } : {}) };
  };
  const hcn: HcnRaw = {
    HcnEnumerateNetworks: (q) => withString('HcnEnumerateNetworks', q),
    HcnOpenNetwork: (id) => withHandle('HcnOpenNetwork', guidToStruct(id)),
    HcnQueryNetworkProperties: (h, q) => withString('HcnQueryNetworkProperties', h, q),
    HcnCloseNetwork: (h) => fn('HcnCloseNetwork')(h) as number,
    HcnEnumerateEndpoints: (q) => withString('HcnEnumerateEndpoints', q),
    HcnOpenEndpoint: (id) => withHandle('HcnOpenEndpoint', guidToStruct(id)),
    HcnCreateEndpoint: (net, id, s) => withHandle('HcnCreateEndpoint', net, guidToStruct(id), s),
    HcnQueryEndpointProperties: (h, q) => withString('HcnQueryEndpointProperties', h, q),
    HcnDeleteEndpoint: (id) => withError('HcnDeleteEndpoint', guidToStruct(id)),
    HcnCloseEndpoint: (h) => fn('HcnCloseEndpoint')(h) as number,
    HcnEnumerateNamespaces: (q) => withString('HcnEnumerateNamespaces', q),
    HcnOpenNamespace: (id) => withHandle('HcnOpenNamespace', guidToStruct(id)),
    HcnQueryNamespaceProperties: (h, q) => withString('HcnQueryNamespaceProperties', h, q),
    HcnModifyNamespace: (h, s) => withError('HcnModifyNamespace', h, s),
    HcnCloseNamespace: (h) => fn('HcnCloseNamespace')(h) as number,
  };
  const vmcompute: VmcomputeRaw = {
    HNSCall: (method, path, request) => {
      const out: unknown[] = [null];
      const hr = fn('HNSCall')(method, path, request, out) as number;
      const response = takeString(native, out);
      return { hr, ...(response !== undefined ? { response } : {}) };
    },
    HcsOpenComputeSystem: (id) => {
      const out: unknown[] = [null];
      const res: unknown[] = [null];
      const hr = fn('HcsOpenComputeSystem')(id, out, res) as number;
      const result = takeString(native, res);
      return {
        hr,
        ...(out[0] !== null && out[0] !== undefined ? { value: out[0] } : {}),
        ...(result !== undefined ? { result } : {}),
      };
    },
    HcsModifyComputeSystem: (h, config) => {
      const res: unknown[] = [null];
      const hr = fn('HcsModifyComputeSystem')(h, config, res) as number;
      const result = takeString(native, res);
      return { hr, ...(result !== undefined ? { result } : {}) };
    },
    HcsCloseComputeSystem: (h) => fn('HcsCloseComputeSystem')(h) as number,
  };
  return { hcn, vmcompute };
}

/** koffi, loaded on first use (the single-executable build's require hook first). */
export function loadKoffi(): Koffi {
  const hook = (globalThis as { __cniTsRequire?: NodeJS.Require }).__cniTsRequire;
  return (hook ?? createRequire(import.meta.url))('koffi') as Koffi;
}

let loaded: WindowsApi | undefined;

/**
 * The real Windows API: computenetwork.dll, vmcompute.dll and ole32.dll through koffi.
 * Anywhere but Windows this is a CNI error, never a crash.
 */
export function loadWindowsApi(): WindowsApi {
  if (loaded) return loaded;
  if (process.platform !== 'win32') {
    throw new CniError(
      ErrCode.Internal,
      `the Windows HNS/HCN API (computenetwork.dll, vmcompute.dll) is not available on ${process.platform}`,
    );
  }
  const koffi = loadKoffi();
  declareTypes(koffi);
  const fns: Record<string, KoffiFunction> = {};
  for (const [dll, lines] of Object.entries(PROTOTYPES)) {
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = koffi.load(dll);
    } catch (e) {
      throw new CniError(ErrCode.Internal, `failed to load ${dll}: ${(e as Error).message}`);
    }
    for (const line of lines) fns[prototypeName(line)] = lib.func(line) as KoffiFunction;
  }
  loaded = bindWindowsApi({ fns, decode: (ptr) => koffi.decode.string16(ptr) });
  return loaded;
}
