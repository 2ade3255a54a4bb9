// A small synchronous D-Bus client (unix socket, EXTERNAL auth, method calls with string
// arguments, replies of basic types): enough to talk to firewalld without a dependency.
import { closeSync, existsSync, readSync, writeSync } from 'node:fs';
import { loadKoffi } from '@cni/ns';

type Fn = (...a: unknown[]) => number;
let sys: { socket: Fn; connect: Fn; setsockopt: Fn } | undefined;

function libc() {
  if (sys) return sys;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  sys = {
    socket: lib.func('int socket(int domain, int type, int protocol)') as Fn,
    connect: lib.func('int connect(int fd, const uint8_t *addr, uint32_t len)') as Fn,
    setsockopt: lib.func(
      'int setsockopt(int fd, int level, int name, const uint8_t *val, uint32_t len)',
    ) as Fn,
  };
  return sys;
}

export class DBusError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(errorName ? `${errorName}: ${message}` : message);
    this.name = 'DBusError';
  }
}

export const DEFAULT_SYSTEM_BUS = 'unix:path=/var/run/dbus/system_bus_socket';

/** The socket of a `unix:path=…` or `unix:abstract=…` bus address (first usable entry). */
export function parseAddress(address: string): { path: string; abstract: boolean } {
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue;
    const kv = new Map(
      entry
        .slice(5)
        .split(',')
        .map((p) => {
          const i = p.indexOf('=');
          return [p.slice(0, i), decodeURIComponent(p.slice(i + 1))] as [string, string];
        }),
    );
    const path = kv.get('path');
    if (path) return { path, abstract: false };
    const abs = kv.get('abstract');
    if (abs) return { path: abs, abstract: true };
  }
  throw new DBusError('', `unsupported D-Bus address ${JSON.stringify(address)}`);
}

// ---- marshalling (little endian) ---------------------------------------------------------

class Writer {
  buf = Buffer.alloc(256);
  len = 0;
  #grow(n: number) {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b);
    this.buf = b;
  }
  align(n: number) {
    const pad = (n - (this.len % n)) % n;
    this.#grow(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }
  byte(v: number) {
    this.#grow(1);
    this.buf[this.len++] = v;
  }
  u32(v: number) {
    this.align(4);
    this.#grow(4);
    this.buf.writeUInt32LE(v, this.len);
    this.len += 4;
  }
  string(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.#grow(b.length + 1);
    b.copy(this.buf, this.len);
    this.len += b.length;
    this.buf[this.len++] = 0;
  }
  signature(s: string) {
    this.byte(s.length);
    this.#grow(s.length + 1);
    this.buf.write(s, this.len, 'ascii');
    this.len += s.length;
    this.buf[this.len++] = 0;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  align(n: number) {
    this.pos += (n - (this.pos % n)) % n;
  }
  byte(): number {
    return this.buf[this.pos++] as number;
  }
  u32(): number {
    this.align(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const n = this.u32();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n + 1;
    return s;
  }
  signature(): string {
    const n = this.byte();
    const s = this.buf.toString('ascii', this.pos, this.pos + n);
    this.pos += n + 1;
    return s;
  }
  /** One value of a basic type (or a variant of one). */
  value(t: string): unknown {
    switch (t) {
      case 'y':
        return this.byte();
      case 'b':
        return this.u32() !== 0;
      case 'u':
      case 'i':
        return this.u32();
      case 's':
      case 'o':
        return this.string();
      case 'g':
        return this.signature();
      case 'v':
        return this.value(this.signature());
      default:
        throw new DBusError('', `unsupported D-Bus type ${t}`);
    }
  }
}

const METHOD_CALL = 1;
const METHOD_RETURN = 2;
const ERROR = 3;

interface Message {
  type: number;
  serial: number;
  replySerial?: number;
  errorName?: string;
  body: unknown[];
}

function encodeCall(
  serial: number,
  dest: string,
  path: string,
  iface: string,
  member: string,
  args: string[],
): Buffer {
  const body = new Writer();
  for (const a of args) body.string(a);
  const w = new Writer();
  w.byte(0x6c); // 'l'
  w.byte(METHOD_CALL);
  w.byte(0);
  w.byte(1);
  w.u32(body.len);
  w.u32(serial);
  const fields: [number, string, string][] = [
    [1, 'o', path],
    [2, 's', iface],
    [3, 's', member],
    [6, 's', dest],
  ];
  if (args.length > 0) fields.push([8, 'g', 's'.repeat(args.length)]);
  const arr = new Writer();
  for (const [code, sig, v] of fields) {
    arr.align(8);
    arr.byte(code);
    arr.signature(sig);
    if (sig === 'g') arr.signature(v);
    else arr.string(v);
  }
  w.u32(arr.len);
  // The field array starts at offset 16, so alignment relative to its own start is absolute.
  for (const b of arr.bytes()) w.byte(b);
  w.align(8);
  for (const b of body.bytes()) w.byte(b);
  return Buffer.from(w.bytes());
}

function decode(buf: Buffer): { msg: Message; size: number } | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] !== 0x6c) throw new DBusError('', 'big-endian D-Bus messages are not supported');
  const bodyLen = buf.readUInt32LE(4);
  const fieldsLen = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
  const size = headerEnd + bodyLen;
  if (buf.length < size) return undefined;
  const r = new Reader(buf.subarray(0, size));
  r.pos = 16;
  const msg: Message = { type: buf[1] as number, serial: buf.readUInt32LE(8), body: [] };
  let signature = '';
  while (r.pos < 16 + fieldsLen) {
    r.align(8);
    const code = r.byte();
    const v = r.value('v');
    if (code === 4) msg.errorName = v as string;
    else if (code === 5) msg.replySerial = v as number;
    else if (code === 8) signature = v as string;
  }
  r.pos = headerEnd;
  for (const t of signature) {
    if ('ybuiogs'.includes(t)) msg.body.push(r.value(t));
    else break; // containers are not needed by this client
  }
  return { msg, size };
}

// ---- connection --------------------------------------------------------------------------

export class DBusConnection {
  #fd: number;
  #serial = 0;
  #pending = Buffer.alloc(0);

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Connect and authenticate to the system bus (DBUS_SYSTEM_BUS_ADDRESS or the default). */
  static system(timeoutMs = 5000): DBusConnection {
    return DBusConnection.connect(process.env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS, timeoutMs);
  }

  static connect(address: string, timeoutMs = 5000): DBusConnection {
    const { path, abstract } = parseAddress(address);
    // No socket file, no bus: said without loading koffi (most plugin runs ask only whether
    // firewalld is there).
    if (!abstract && !existsSync(path)) throw new DBusError('', `cannot connect to the D-Bus socket ${path}`);
    const l = libc();
    const fd = l.socket(1 /* AF_UNIX */, 1 | 0x80000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0);
    if (fd < 0) throw new DBusError('', 'socket(AF_UNIX) failed');
    const conn = new DBusConnection(fd);
    try {
      const sa = Buffer.alloc(110);
      sa.writeUInt16LE(1, 0);
      const p = Buffer.from(path);
      if (p.length > 107) throw new DBusError('', `D-Bus socket path too long: ${path}`);
      p.copy(sa, abstract ? 3 : 2);
      const len = 2 + p.length + (abstract ? 1 : 1);
      const tv = Buffer.alloc(16);
      tv.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
      tv.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
      l.setsockopt(fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, tv, 16);
      l.setsockopt(fd, 1, 21 /* SO_SNDTIMEO */, tv, 16);
      if (l.connect(fd, sa, len) !== 0) throw new DBusError('', `cannot connect to the D-Bus socket ${path}`);
      conn.#auth();
      conn.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello');
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  #write(b: Buffer) {
    let off = 0;
    while (off < b.length) off += writeSync(this.#fd, b, off, b.length - off);
  }

  #readMore(): void {
    const chunk = Buffer.alloc(65536);
    let n: number;
    try {
      n = readSync(this.#fd, chunk, 0, chunk.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK')
        throw new DBusError('', 'timeout waiting for a D-Bus reply');
      throw err;
    }
    if (n === 0) throw new DBusError('', 'the D-Bus connection was closed');
    this.#pending = Buffer.concat([this.#pending, chunk.subarray(0, n)]);
  }

  #readLine(): string {
    for (;;) {
      const i = this.#pending.indexOf('\r\n');
      if (i >= 0) {
        const line = this.#pending.toString('ascii', 0, i);
        this.#pending = this.#pending.subarray(i + 2);
        return line;
      }
      this.#readMore();
    }
  }

  #auth(): void {
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    this.#write(Buffer.from(`\0AUTH EXTERNAL ${uid}\r\n`));
    const reply = this.#readLine();
    if (!reply.startsWith('OK ')) throw new DBusError('', `D-Bus authentication failed: ${reply}`);
    this.#write(Buffer.from('BEGIN\r\n'));
  }

  /** Call a method with string arguments; returns the reply body (basic types). */
  call(dest: string, path: string, iface: string, member: string, ...args: string[]): unknown[] {
    const serial = ++this.#serial;
    this.#write(encodeCall(serial, dest, path, iface, member, args));
    for (;;) {
      const d = decode(this.#pending);
      if (!d) {
        this.#readMore();
        continue;
      }
      this.#pending = this.#pending.subarray(d.size);
      if (d.msg.replySerial !== serial) continue; // signals and other traffic
      if (d.msg.type === ERROR) throw new DBusError(d.msg.errorName ?? '', String(d.msg.body[0] ?? ''));
      if (d.msg.type === METHOD_RETURN) return d.msg.body;
    }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}
