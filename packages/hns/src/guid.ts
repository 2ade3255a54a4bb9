// GUIDs as Windows passes them (REFGUID = const GUID *): Data1..3 little-endian, Data4 as bytes.
import { CniError, ErrCode } from '@cni/skel';

/** The C struct as koffi marshals it. */
export interface GuidStruct {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: number[];
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** A bare 36-character GUID (no braces), as HCN prints and containerd passes in CNI_NETNS. */
export const isGuid = (s: string): boolean => GUID_RE.test(s);

/** IDs are compared case-insensitively. */
export const sameId = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

function check(text: string): string {
  if (!isGuid(text)) {
    throw new CniError(
      ErrCode.Internal,
      `invalid GUID ${JSON.stringify(text)}: want 36 characters xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`,
    );
  }
  return text.replace(/-/g, '');
}

export function guidToStruct(text: string): GuidStruct {
  const h = check(text);
  const data4: number[] = [];
  for (let i = 16; i < 32; i += 2) data4.push(Number.parseInt(h.slice(i, i + 2), 16));
  return {
    Data1: Number.parseInt(h.slice(0, 8), 16),
    Data2: Number.parseInt(h.slice(8, 12), 16),
    Data3: Number.parseInt(h.slice(12, 16), 16),
    Data4: data4,
  };
}

export function guidFromStruct(g: {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: ArrayLike<number>;
}): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const d4 = Array.from(g.Data4, (b) => hex(b, 2)).join('');
  return `${hex(g.Data1 >>> 0, 8)}-${hex(g.Data2, 4)}-${hex(g.Data3, 4)}-${d4.slice(0, 4)}-${d4.slice(4)}`;
}

/** The 16 bytes of a GUID in memory. */
export function guidToBytes(text: string): Buffer {
  const g = guidToStruct(text);
  const b = Buffer.alloc(16);
  b.writeUInt32LE(g.Data1, 0);
  b.writeUInt16LE(g.Data2, 4);
  b.writeUInt16LE(g.Data3, 6);
  Buffer.from(g.Data4).copy(b, 8);
  return b;
}

export function guidFromBytes(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length !== 16) throw new CniError(ErrCode.Internal, `a GUID is 16 bytes, got ${buf.length}`);
  return guidFromStruct({
    Data1: buf.readUInt32LE(0),
    Data2: buf.readUInt16LE(4),
    Data3: buf.readUInt16LE(6),
    Data4: buf.subarray(8, 16),
  });
}
