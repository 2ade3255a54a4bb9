// The koffi declarations, checked on Linux: koffi declares types and prototypes without loading a
// DLL, so argument/return types, the GUID layout and the UTF-16 out-string path (decode, then
// CoTaskMemFree) are verified here; marshalling against the real DLLs needs Windows (docs/windows.md).
import { describe, expect, it } from 'vitest';
import {
  declarePrototypes,
  declareTypes,
  loadKoffi,
  bindWindowsApi,
  PROTOTYPES,
  prototypeName,
  loadWindowsApi,
} from './koffi.js';
import { guidFromBytes, guidToBytes, guidToStruct, NULL_GUID } from './guid.js';
import { fromWide, toWide } from './utf16.js';

const koffi = loadKoffi();
const protos = declarePrototypes(koffi);
const types = declareTypes(koffi);

type Arg = { type: { name: string; primitive: string; ref?: { name: string } }; direction: string };
function shape(name: string): { result: string; args: string[] } {
  const t = koffi.type(protos[name] as Parameters<typeof koffi.type>[0]);
  const info = t.proto as unknown as { name: string; result: { name: string }; arguments: Arg[] };
  expect(t.primitive).toBe('Prototype');
  expect(info.name).toBe(name);
  return {
    result: info.result.name, // HRESULT is an alias of int32_t
    args: info.arguments.map((a) => `${a.direction === 'Output' ? 'out ' : ''}${a.type.name}`),
  };
}

describe('koffi declarations (no DLL loaded)', () => {
  it('declares every function the plugins use, once per koffi instance', () => {
    expect(Object.keys(protos).sort()).toEqual(Object.values(PROTOTYPES).flat().map(prototypeName).sort());
    expect(Object.keys(protos)).toHaveLength(20);
    expect(declareTypes(koffi)).toBe(types);
  });

  it('HRESULT is int32 and handles are pointer-sized opaque pointers', () => {
    expect(koffi.sizeof('HRESULT')).toBe(4);
    expect(koffi.type('HRESULT').primitive).toBe('Int32');
    for (const h of ['HCN_NETWORK', 'HCN_ENDPOINT', 'HCN_NAMESPACE', 'HCS_SYSTEM']) {
      expect(koffi.type(h).primitive).toBe('Pointer');
      expect(koffi.sizeof(h)).toBe(koffi.sizeof('void *'));
    }
  });

  it('GUID is {u32, u16, u16, u8[8]}: 16 bytes, align 4, Data1-3 little-endian', () => {
    expect(koffi.sizeof('GUID')).toBe(16);
    expect(koffi.alignof('GUID')).toBe(4);
    expect(['Data1', 'Data2', 'Data3', 'Data4'].map((m) => koffi.offsetof('GUID', m))).toEqual([0, 4, 6, 8]);
    const id = 'aabbccdd-eeff-0011-2233-445566778899';
    const mem = Buffer.alloc(16);
    koffi.encode(mem, 'GUID', guidToStruct(id));
    expect(mem.toString('hex')).toBe('ddccbbaaffee11002233445566778899');
    expect(mem).toEqual(guidToBytes(id));
    expect(guidFromBytes(mem)).toBe(id);
    const back = koffi.decode(mem, 'GUID') as {
      Data1: number;
      Data2: number;
      Data3: number;
      Data4: Uint8Array;
    };
    expect(back.Data1).toBe(0xaabbccdd);
    expect(Array.from(back.Data4)).toEqual([0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99]);
    expect(guidToBytes(NULL_GUID)).toEqual(Buffer.alloc(16));
  });

  it('HCN prototypes: GUID by pointer, UTF-16 inputs, void** outputs, HRESULT results', () => {
    expect(shape('HcnEnumerateNetworks')).toEqual({
      result: 'int32_t',
      args: ['char16_t *', 'out void **', 'out void **'],
    });
    expect(shape('HcnOpenNetwork')).toEqual({
      result: 'int32_t',
      args: ['GUID *', 'out HCN_NETWORK *', 'out void **'],
    });
    expect(shape('HcnCreateEndpoint')).toEqual({
      result: 'int32_t',
      args: ['HCN_NETWORK', 'GUID *', 'char16_t *', 'out HCN_ENDPOINT *', 'out void **'],
    });
    expect(shape('HcnQueryEndpointProperties')).toEqual({
      result: 'int32_t',
      args: ['HCN_ENDPOINT', 'char16_t *', 'out void **', 'out void **'],
    });
    expect(shape('HcnDeleteEndpoint')).toEqual({ result: 'int32_t', args: ['GUID *', 'out void **'] });
    expect(shape('HcnModifyNamespace')).toEqual({
      result: 'int32_t',
      args: ['HCN_NAMESPACE', 'char16_t *', 'out void **'],
    });
    expect(shape('HcnCloseNamespace')).toEqual({ result: 'int32_t', args: ['HCN_NAMESPACE'] });
  });

  it('vmcompute prototypes: HNSCall and the HCS v1 functions; CoTaskMemFree', () => {
    expect(shape('HNSCall')).toEqual({
      result: 'int32_t',
      args: ['char16_t *', 'char16_t *', 'char16_t *', 'out void **'],
    });
    expect(shape('HcsOpenComputeSystem')).toEqual({
      result: 'int32_t',
      args: ['char16_t *', 'out HCS_SYSTEM *', 'out void **'],
    });
    expect(shape('HcsModifyComputeSystem')).toEqual({
      result: 'int32_t',
      args: ['HCS_SYSTEM', 'char16_t *', 'out void **'],
    });
    expect(shape('CoTaskMemFree')).toEqual({ result: 'void', args: ['void *'] });
  });

  it('UTF-16 round trips (BMP, astral, JSON) through our codec and koffi', () => {
    for (const s of ['', 'cbr0', '{"Name":"ünïcødé ☃ 𝄞"}', 'a\u2028b']) {
      const w = toWide(s);
      expect(w.length).toBe((s.length + 1) * 2);
      expect(fromWide(w)).toBe(s);
      expect(koffi.decode.string16(w)).toBe(s);
    }
    expect(fromWide(Buffer.from('ab\0cd', 'utf16le'))).toBe('ab');
  });

  it('loading the DLLs off Windows is a CNI error', () => {
    if (process.platform === 'win32') return expect(typeof loadWindowsApi).toBe('function');
    expect(() => loadWindowsApi()).toThrow(/not available on linux/);
  });
});

describe('the binding over native functions (real memory, fake DLL)', () => {
  // Callee-allocated strings live in koffi.alloc'd native memory; the fake CoTaskMemFree
  // releases them and records the address, so a leak or a double free shows.
  function nativeString(s: string) {
    const w = toWide(s);
    const mem = koffi.alloc('uint16_t', w.length / 2);
    koffi.encode(mem, koffi.array('uint8_t', w.length), Array.from(w));
    return mem;
  }

  it('decodes out-strings and error records, frees each exactly once, passes GUID structs', () => {
    const live = new Set<unknown>();
    const freed: bigint[] = [];
    const seen: unknown[][] = [];
    const fns = {
      CoTaskMemFree: (p: unknown) => {
        expect(live.has(p)).toBe(true);
        live.delete(p);
        freed.push(koffi.address(p));
        koffi.free(p);
      },
      HcnEnumerateNetworks: (q: string, out: unknown[], err: unknown[]) => {
        seen.push([q]);
        expect(out[0]).toBeNull();
        expect(err[0]).toBeNull();
        const p = nativeString('["0a0b0c0d-0000-4000-8000-000000000001"]');
        live.add(p);
        out[0] = p;
        return 0;
      },
      HcnOpenNetwork: (g: unknown, out: unknown[], err: unknown[]) => {
        seen.push([g]);
        out[0] = { handle: 1 };
        const e = nativeString('{"Error":"The network was not found","ErrorCode":2151350273}');
        live.add(e);
        err[0] = e;
        return 0x803b0001 | 0;
      },
      HNSCall: (m: string, p: string, r: string, out: unknown[]) => {
        seen.push([m, p, r]);
        const s = nativeString('{"Success":true,"Output":{"Major":10,"Minor":2}}');
        live.add(s);
        out[0] = s;
        return 0;
      },
    };
    const api = bindWindowsApi({ fns: fns as never, decode: (p) => koffi.decode.string16(p) });
    const e = api.hcn.HcnEnumerateNetworks('{"SchemaVersion":{"Major":2,"Minor":0}}');
    expect(e).toEqual({ hr: 0, value: '["0a0b0c0d-0000-4000-8000-000000000001"]' });
    const o = api.hcn.HcnOpenNetwork('0a0b0c0d-0000-4000-8000-000000000001');
    expect(o.hr >>> 0).toBe(0x803b0001);
    expect(o.errorRecord).toContain('not found');
    expect(seen[1]?.[0]).toEqual({
      Data1: 0x0a0b0c0d,
      Data2: 0,
      Data3: 0x4000,
      Data4: [0x80, 0, 0, 0, 0, 0, 0, 1],
    });
    const h = api.vmcompute.HNSCall('GET', '/globals/version', '');
    expect(JSON.parse(h.response ?? '')).toEqual({ Success: true, Output: { Major: 10, Minor: 2 } });
    expect(live.size).toBe(0);
    expect(freed).toHaveLength(3);
    expect(new Set(freed).size).toBe(3);
  });
});
