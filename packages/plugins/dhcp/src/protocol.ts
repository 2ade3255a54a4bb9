// The plugin ↔ daemon protocol: one JSON request line, one JSON response line, per
// connection on the daemon's unix socket (see README "Daemon protocol").
import { connect } from 'node:net';
import type { LeaseResult, ProvideOption, RequestOption } from './options.js';

export interface LeaseArgs {
  containerID: string;
  /** absolute path of the container's netns */
  netns: string;
  ifName: string;
  network: string;
  cniArgs?: string;
  provide?: ProvideOption[];
  request?: RequestOption[];
}

export type Request =
  | { method: 'allocate'; args: LeaseArgs }
  | { method: 'release'; args: LeaseArgs }
  | { method: 'check'; args: LeaseArgs }
  | { method: 'gc'; args: { network: string; validAttachments: { containerID: string; ifname: string }[] } }
  | { method: 'status' }
  | { method: 'list' };

export interface LeaseInfo {
  clientID: string;
  containerID: string;
  network: string;
  ifName: string;
  ip: string;
  expireAt: number;
  renewals: number;
  maintaining: boolean;
}

export type Response =
  | { ok: true; result?: LeaseResult; released?: string[]; leases?: LeaseInfo[]; held?: boolean }
  | { ok: false; error: { code: number; msg: string } };

export class DaemonUnreachable extends Error {}

/** Send one request and read the response line. Connection failures → DaemonUnreachable. */
export function call(socketPath: string, req: Request, timeoutMs = 0): Promise<Response> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let connected = false;
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs > 0)
      timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer from the DHCP daemon on ${socketPath} within ${timeoutMs} ms`));
      }, timeoutMs);
    const finish = (fn: () => void): void => {
      if (timer) clearTimeout(timer);
      fn();
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      connected = true;
      sock.write(`${JSON.stringify(req)}\n`);
    });
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        sock.end();
        finish(() => {
          try {
            resolve(JSON.parse(line) as Response);
          } catch (err) {
            reject(new Error(`bad answer from the DHCP daemon on ${socketPath}: ${(err as Error).message}`));
          }
        });
      }
    });
    sock.on('error', (err) =>
      finish(() =>
        reject(
          connected
            ? new Error(`DHCP daemon connection on ${socketPath} failed: ${err.message}`)
            : new DaemonUnreachable(`error dialing DHCP daemon on ${socketPath}: ${err.message}`),
        ),
      ),
    );
    sock.on('end', () =>
      finish(() => {
        if (buf.indexOf('\n') < 0)
          reject(new Error(`the DHCP daemon on ${socketPath} closed the connection without an answer`));
      }),
    );
  });
}
