// `dhcp daemon [flags]`: the long-running DHCP client for containers. Serves the plugin's
// requests on a unix socket, keeps leases, persists them under -statedir and resumes them
// after a restart.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { lookupLink } from './client.js';
import { Lease, type LeaseRecord, type Timing } from './lease.js';
import { clientIdFor, DEFAULT_SOCKET_PATH, prepareOptions } from './options.js';
import { call, type LeaseArgs, type LeaseInfo, type Request, type Response } from './protocol.js';

export const DEFAULT_STATE_DIR = '/var/lib/cni/dhcp';

export interface DaemonFlags {
  socketPath: string;
  pidFile: string;
  hostPrefix: string;
  stateDir: string;
  broadcast: boolean;
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
}

/** Go's time.ParseDuration for the forms people write: 10s, 1m30s, 500ms, 1.5h. */
export function parseDuration(s: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  if (s === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (units[m[2]!] ?? 0);
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return total;
}

const USAGE = `Usage: dhcp daemon [flags]
  -socketpath string     unix socket to serve the plugin on (default "${DEFAULT_SOCKET_PATH}")
  -pidfile string        write the daemon's pid to this absolute path
  -hostprefix string     prefix for host paths (socket, netns) when running in a container
  -statedir string       where leases are persisted (default "${DEFAULT_STATE_DIR}")
  -broadcast             ask servers to broadcast their replies
  -timeout duration      per request timeout (default 10s)
  -resendmax duration    maximum resend backoff (default 1m2s)
  -resendtimeout duration  give up acquiring/renewing after this long (default 3m28s)`;

/** Go flag package syntax: -name value, -name=value, --name; booleans take no value. */
export function parseFlags(argv: string[]): DaemonFlags {
  const f: DaemonFlags = {
    socketPath: DEFAULT_SOCKET_PATH,
    pidFile: '',
    hostPrefix: '',
    stateDir: DEFAULT_STATE_DIR,
    broadcast: false,
    timeoutMs: 10_000,
    resendMaxMs: 62_000,
    resendTimeoutMs: 208_000,
  };
  const strings: Record<string, (v: string) => void> = {
    socketpath: (v) => {
      f.socketPath = v;
    },
    pidfile: (v) => {
      f.pidFile = v;
    },
    hostprefix: (v) => {
      f.hostPrefix = v;
    },
    statedir: (v) => {
      f.stateDir = v;
    },
    timeout: (v) => {
      f.timeoutMs = parseDuration(v);
    },
    resendmax: (v) => {
      f.resendMaxMs = parseDuration(v);
    },
    resendtimeout: (v) => {
      f.resendTimeoutMs = parseDuration(v);
    },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--')
      throw new Error(`unexpected argument ${JSON.stringify(a)}\n${USAGE}`);
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === 'broadcast') {
      const v = eq >= 0 ? body.slice(eq + 1) : 'true';
      if (!['true', 'false', '1', '0'].includes(v))
        throw new Error(`invalid boolean value ${JSON.stringify(v)} for -broadcast`);
      f.broadcast = v === 'true' || v === '1';
      continue;
    }
    if (name === 'h' || name === 'help') throw new Error(USAGE);
    const set = strings[name];
    if (!set) throw new Error(`flag provided but not defined: -${name}\n${USAGE}`);
    let v: string;
    if (eq >= 0) v = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new Error(`flag needs an argument: -${name}`);
      v = argv[++i]!;
    }
    try {
      set(v);
    } catch (err) {
      throw new Error(`invalid value ${JSON.stringify(v)} for flag -${name}: ${(err as Error).message}`);
    }
  }
  if (f.pidFile && !isAbsolute(f.pidFile))
    throw new Error(`-pidfile must be an absolute path, got ${JSON.stringify(f.pidFile)}`);
  return f;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

export class Daemon {
  readonly flags: DaemonFlags;
  readonly leases = new Map<string, Lease>();
  #pending = new Map<string, Promise<Lease>>();
  #timing: Timing;
  #server: Server | undefined;
  #socketFile: string | undefined;

  constructor(flags: DaemonFlags) {
    this.flags = flags;
    this.#timing = {
      timeoutMs: flags.timeoutMs,
      resendMaxMs: flags.resendMaxMs,
      resendTimeoutMs: flags.resendTimeoutMs,
      broadcast: flags.broadcast,
    };
  }

  #netnsPath(netns: string): string {
    return this.flags.hostPrefix ? join(this.flags.hostPrefix, netns) : netns;
  }

  #stateFile(clientID: string): string {
    return join(
      this.flags.stateDir,
      `${createHash('sha256').update(clientID).digest('hex').slice(0, 32)}.json`,
    );
  }

  #persist = (l: Lease): void => {
    const file = this.#stateFile(l.clientID);
    const tmp = `${file}.tmp`;
    try {
      mkdirSync(this.flags.stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify(l.toRecord()), { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      log(`${l.clientID}: failed to persist lease: ${(err as Error).message}`);
    }
  };

  #forget(l: Lease): void {
    if (this.leases.get(l.clientID) === l) this.leases.delete(l.clientID);
    rmSync(this.#stateFile(l.clientID), { force: true });
  }

  /** Read persisted leases and resume them: renewed at once, not re-acquired. */
  resume(): void {
    let files: string[];
    try {
      files = readdirSync(this.flags.stateDir).filter((f) => f.endsWith('.json'));
    } catch {
      return;
    }
    for (const f of files) {
      const path = join(this.flags.stateDir, f);
      let rec: LeaseRecord;
      try {
        rec = JSON.parse(readFileSync(path, 'utf8')) as LeaseRecord;
      } catch (err) {
        log(`ignoring unreadable lease file ${path}: ${(err as Error).message}`);
        continue;
      }
      let lease: Lease;
      try {
        lease = Lease.fromRecord(rec, this.#netnsPath(rec.netns), this.#timing, log, this.#persist);
      } catch (err) {
        log(`ignoring bad lease file ${path}: ${(err as Error).message}`);
        continue;
      }
      if (!lookupLink(lease.netnsPath, lease.ifName)) {
        log(`${rec.clientID}: interface ${rec.ifName} in ${rec.netns} is gone, dropping the stored lease`);
        rmSync(path, { force: true });
        continue;
      }
      this.leases.set(lease.clientID, lease);
      log(`${lease.clientID}: resuming lease ${lease.ip}, renewing now`);
      lease.startMaintenance(true);
    }
  }

  async allocate(a: LeaseArgs): Promise<Lease> {
    const clientID = clientIdFor(a.containerID, a.network, a.ifName);
    const existing = this.leases.get(clientID);
    if (existing && existing.netns !== a.netns) {
      // the same attachment in another namespace (a sandbox re-created under the same id):
      // the old lease ends, the new interface gets its own
      log(`${clientID}: now in ${a.netns} (was ${existing.netns}), releasing the old lease`);
      this.#forget(existing);
      await existing.release();
    } else if (existing) {
      if (existing.maintaining && existing.expireAt > Date.now()) {
        existing.check();
        return existing;
      }
      // maintenance ended (link went away, lease expired): start over
      await existing.stop();
      this.#forget(existing);
    }
    const pending = this.#pending.get(clientID);
    if (pending) return pending;
    const p = (async () => {
      const options = prepareOptions(a.cniArgs ?? '', a.provide ?? [], a.request ?? []);
      const lease = new Lease(
        {
          clientID,
          containerID: a.containerID,
          network: a.network,
          ifName: a.ifName,
          netns: a.netns,
          netnsPath: this.#netnsPath(a.netns),
          options,
        },
        this.#timing,
        log,
        this.#persist,
      );
      log(`${clientID}: acquiring lease`);
      await lease.acquire();
      this.leases.set(clientID, lease);
      lease.startMaintenance();
      return lease;
    })();
    this.#pending.set(clientID, p);
    try {
      return await p;
    } finally {
      this.#pending.delete(clientID);
    }
  }

  async release(a: LeaseArgs): Promise<boolean> {
    const clientID = clientIdFor(a.containerID, a.network, a.ifName);
    const pending = this.#pending.get(clientID);
    if (pending) await pending.catch(() => undefined);
    const l = this.leases.get(clientID);
    if (!l) return false;
    this.#forget(l);
    await l.release();
    return true;
  }

  async handle(req: Request): Promise<Response> {
    switch (req.method) {
      case 'status':
        return { ok: true };
      case 'list':
        return { ok: true, leases: [...this.leases.values()].map(info) };
      case 'allocate': {
        const l = await this.allocate(req.args);
        return { ok: true, result: l.result() };
      }
      case 'release':
        await this.release(req.args);
        return { ok: true };
      case 'check': {
        const clientID = clientIdFor(req.args.containerID, req.args.network, req.args.ifName);
        const l = this.leases.get(clientID);
        if (!l) return { ok: false, error: { code: 999, msg: `no DHCP lease held for ${clientID}` } };
        if (l.expireAt <= Date.now())
          return {
            ok: false,
            error: { code: 999, msg: `the DHCP lease of ${clientID} (${l.ip}) has expired` },
          };
        if (!l.maintaining)
          return {
            ok: false,
            error: { code: 999, msg: `the DHCP lease of ${clientID} (${l.ip}) is no longer maintained` },
          };
        l.check();
        return { ok: true, held: true, result: l.result() };
      }
      case 'gc': {
        const valid = new Set(req.args.validAttachments.map((v) => `${v.containerID}\0${v.ifname}`));
        const stale = [...this.leases.values()].filter(
          (l) => l.network === req.args.network && !valid.has(`${l.containerID}\0${l.ifName}`),
        );
        for (const l of stale) {
          this.#forget(l);
          await l.release();
        }
        return { ok: true, released: stale.map((l) => l.clientID) };
      }
      default:
        return {
          ok: false,
          error: { code: 4, msg: `unknown method ${JSON.stringify((req as { method: unknown }).method)}` },
        };
    }
  }

  #serve = (sock: Socket): void => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1 << 20) sock.destroy();
        return;
      }
      sock.removeAllListeners('data');
      const line = buf.slice(0, nl);
      void (async () => {
        let res: Response;
        try {
          res = await this.handle(JSON.parse(line) as Request);
        } catch (err) {
          res = { ok: false, error: { code: 999, msg: (err as Error).message } };
        }
        if (!sock.destroyed) sock.end(`${JSON.stringify(res)}\n`);
      })();
    });
  };

  /** Listen: an inherited systemd socket (exactly one), else the socket path. */
  async listen(): Promise<void> {
    const server = createServer(this.#serve);
    this.#server = server;
    const fds = Number(process.env.LISTEN_FDS ?? '0');
    if (process.env.LISTEN_PID === String(process.pid) && fds > 0) {
      if (fds !== 1) throw new Error(`socket activation: expected exactly one socket, got ${fds}`);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd: 3 }, () => resolve());
      });
      log('listening on the socket passed by systemd');
      return;
    }
    const path = this.flags.hostPrefix
      ? join(this.flags.hostPrefix, this.flags.socketPath)
      : this.flags.socketPath;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (existsSync(path)) {
      // a live daemon keeps its socket; a stale file (a daemon killed with SIGKILL) is replaced
      const live = await call(path, { method: 'status' }, 2000).then(
        () => true,
        () => false,
      );
      if (live) throw new Error(`another dhcp daemon answers on ${path}`);
      rmSync(path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o660);
    this.#socketFile = path;
    log(`listening on ${path}`);
  }

  /** Close the listener and remove the socket file (leases stay persisted). */
  async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    if (this.#socketFile) rmSync(this.#socketFile, { force: true });
    await Promise.all([...this.leases.values()].map((l) => l.stop()));
  }
}

function info(l: Lease): LeaseInfo {
  return {
    clientID: l.clientID,
    containerID: l.containerID,
    network: l.network,
    ifName: l.ifName,
    ip: l.ip,
    expireAt: l.expireAt,
    renewals: l.renewals,
    maintaining: l.maintaining,
  };
}

/** Entry point of `dhcp daemon`. */
export async function runDaemon(argv: string[]): Promise<void> {
  let flags: DaemonFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const d = new Daemon(flags);
  try {
    if (flags.pidFile) writeFileSync(flags.pidFile, `${process.pid}\n`);
    // resume stored leases before serving, so that a request never races a resumed lease
    d.resume();
    await d.listen();
  } catch (err) {
    log(`dhcp daemon: ${(err as Error).message}`);
    if (flags.pidFile) rmSync(flags.pidFile, { force: true });
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log(`received ${sig}, shutting down`);
    void d.shutdown().finally(() => {
      if (flags.pidFile) rmSync(flags.pidFile, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
