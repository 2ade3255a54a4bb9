import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, DaemonUnreachable } from './protocol.js';

let dir: string;
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function serve(onLine: (line: string, end: (s?: string) => void) => void): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'dhcp-proto-'));
  const path = join(dir, 's.sock');
  server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) onLine(buf.slice(0, nl), (s) => (s ? sock.end(s) : sock.end()));
    });
  });
  await new Promise<void>((r) => server?.listen(path, () => r()));
  return path;
}

describe('daemon protocol client', () => {
  it('sends one JSON line and reads one back', async () => {
    let got = '';
    const path = await serve((line, end) => {
      got = line;
      end('{"ok":true}\n');
    });
    expect(await call(path, { method: 'status' })).toEqual({ ok: true });
    expect(JSON.parse(got)).toEqual({ method: 'status' });
  });

  it('no daemon: DaemonUnreachable naming the socket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dhcp-proto-'));
    const path = join(dir, 'none.sock');
    const err = await call(path, { method: 'status' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonUnreachable);
    expect((err as Error).message).toContain(`error dialing DHCP daemon on ${path}`);
  });

  it('a daemon that closes without an answer, or answers garbage, is an error (not "unreachable")', async () => {
    const path = await serve((line, end) => end(line.includes('status') ? '' : 'nonsense\n'));
    const e1 = await call(path, { method: 'status' }).catch((e: unknown) => e);
    expect(e1).not.toBeInstanceOf(DaemonUnreachable);
    expect((e1 as Error).message).toMatch(/closed the connection without an answer/);
    const e2 = await call(path, { method: 'list' }).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/bad answer from the DHCP daemon/);
  });

  it('times out when asked to', async () => {
    const path = await serve(() => {});
    await expect(call(path, { method: 'status' }, 200)).rejects.toThrow(/no answer from the DHCP daemon/);
  });
});
