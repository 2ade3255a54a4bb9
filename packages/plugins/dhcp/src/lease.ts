// A lease and its maintenance: acquire with backoff, renew at T1, rebind after T2, bring the
// interface down at expiry, release on stop. Timers only; no thread per lease.
import {
  Client,
  type ClientParams,
  DhcpError,
  LinkGoneError,
  NakError,
  lookupLink,
  setLinkDown,
  sleep,
} from './client.js';
import { type LeaseResult, resultFromAck } from './options.js';
import { type Dhcp4Message, decodeMessage, encodeMessage, Opt, optIp, optU32 } from './packet.js';

const DEFAULT_LEASE_S = 3600;
const RESEND_DELAY0 = 4000;
const RESEND_FAST_DELAY = 2000;
const RESEND_FAST_MAX = 4;
const LINK_CHECK_DELAY0 = 1000;
const LINK_CHECK_RETRY_MAX = 10_000;
const LINK_CHECK_TOTAL = 30_000;

export type Logger = (msg: string) => void;

export interface Timing {
  /** per exchange */
  timeoutMs: number;
  resendMaxMs: number;
  resendTimeoutMs: number;
  broadcast: boolean;
}

/** What is persisted for a lease (JSON). */
export interface LeaseRecord {
  clientID: string;
  containerID: string;
  network: string;
  ifName: string;
  /** netns path as given by the runtime (host prefix not applied) */
  netns: string;
  /** provided options + parameter request list: [code, base64] */
  options: [number, string][];
  /** the last ACK, base64 */
  ack: string;
  serverMac: string;
  /** epoch ms */
  boundAt: number;
  renewAt: number;
  rebindAt: number;
  expireAt: number;
}

function jitter(spanMs: number): number {
  return spanMs * (2 * Math.random() - 1);
}

/** Retry `f` with the reference's backoff until it succeeds, `deadline` (epoch ms) or abort. */
async function backoffRetry<T>(
  what: string,
  resendMaxMs: number,
  deadline: number,
  signal: AbortSignal,
  log: Logger,
  f: () => Promise<T>,
  fatal: (err: unknown) => boolean = () => false,
): Promise<T> {
  const start = Date.now();
  let base = RESEND_DELAY0;
  let fast = RESEND_FAST_MAX;
  for (;;) {
    let lastErr: unknown;
    try {
      return await f();
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof LinkGoneError || fatal(err)) throw err;
      lastErr = err;
      log(`${what}: ${(err as Error).message}`);
    }
    let delay: number;
    if (fast === 0) delay = base + jitter(1000);
    else {
      delay = RESEND_FAST_DELAY + jitter(1000);
      fast--;
    }
    if (Date.now() + delay >= deadline)
      throw new DhcpError(
        `${what}: no more tries after ${Date.now() - start} ms: ${(lastErr as Error).message}`,
      );
    await sleep(delay, signal);
    if (base < resendMaxMs && fast === 0) base = Math.min(base * 2, Math.max(resendMaxMs, RESEND_DELAY0));
  }
}

/**
 * When to renew (T1), rebind (T2) and give up (expiry), as epoch ms: option 51 (default 1 h),
 * option 58 (default 50 % of the lease) and option 59 (default 85 %).
 */
export function leaseTimes(
  ack: Dhcp4Message,
  now: number,
): { renewAt: number; rebindAt: number; expireAt: number } {
  const leaseMs = (optU32(ack, Opt.LEASE_TIME) ?? DEFAULT_LEASE_S) * 1000;
  const t1 = optU32(ack, Opt.T1);
  const t2 = optU32(ack, Opt.T2);
  return {
    renewAt: now + (t1 !== undefined ? t1 * 1000 : leaseMs / 2),
    rebindAt: now + (t2 !== undefined ? t2 * 1000 : (leaseMs * 85) / 100),
    expireAt: now + leaseMs,
  };
}

export class Lease {
  readonly clientID: string;
  readonly containerID: string;
  readonly network: string;
  readonly ifName: string;
  /** as given by the runtime */
  readonly netns: string;
  /** where the daemon opens it (host prefix applied) */
  readonly netnsPath: string;
  readonly options: Map<number, Buffer>;
  ack!: Dhcp4Message;
  serverMac = '';
  boundAt = 0;
  renewAt = 0;
  rebindAt = 0;
  expireAt = 0;
  /** false once maintenance ended (link gone, expired, stopped) */
  maintaining = false;
  renewals = 0;

  #timing: Timing;
  #log: Logger;
  #persist: (l: Lease) => void;
  #abort = new AbortController();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    init: {
      clientID: string;
      containerID: string;
      network: string;
      ifName: string;
      netns: string;
      netnsPath: string;
      options: Map<number, Buffer>;
    },
    timing: Timing,
    log: Logger,
    persist: (l: Lease) => void,
  ) {
    this.clientID = init.clientID;
    this.containerID = init.containerID;
    this.network = init.network;
    this.ifName = init.ifName;
    this.netns = init.netns;
    this.netnsPath = init.netnsPath;
    this.options = init.options;
    this.#timing = timing;
    this.#log = (m) => log(`${this.clientID}: ${m}`);
    this.#persist = persist;
  }

  get ip(): string {
    return this.ack.yiaddr;
  }

  get serverIp(): string {
    return optIp(this.ack, Opt.SERVER_ID) ?? '255.255.255.255';
  }

  result(): LeaseResult {
    return resultFromAck(this.ack);
  }

  #params(): ClientParams {
    return {
      netns: this.netnsPath,
      ifName: this.ifName,
      clientID: this.clientID,
      options: this.options,
      timeoutMs: this.#timing.timeoutMs,
      broadcast: this.#timing.broadcast,
    };
  }

  #commit(ack: Dhcp4Message, serverMac: Buffer): void {
    // the result needs option 1: refuse a lease we could not report
    resultFromAck(ack);
    const now = Date.now();
    const t = leaseTimes(ack, now);
    this.ack = ack;
    this.serverMac = [...serverMac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    this.boundAt = now;
    this.expireAt = t.expireAt;
    this.renewAt = t.renewAt;
    this.rebindAt = t.rebindAt;
    this.#persist(this);
  }

  /** Retry until -resendtimeout, or `limit` (epoch ms) when that comes first and is ahead. */
  #deadline(limit?: number): number {
    const d = Date.now() + this.#timing.resendTimeoutMs;
    return limit !== undefined && limit > Date.now() ? Math.min(d, limit) : d;
  }

  /**
   * Acquire a new lease (DISCOVER/REQUEST with backoff). When rebinding, retries stop at the
   * expiry of the current lease, so that the maintenance loop can act on it.
   */
  async acquire(rebinding = false): Promise<void> {
    const signal = this.#abort.signal;
    const { ack, serverMac } = await backoffRetry(
      rebinding ? 'rebind' : 'acquire',
      this.#timing.resendMaxMs,
      this.#deadline(rebinding ? this.expireAt : undefined),
      signal,
      this.#log,
      async () => {
        const c = Client.open(this.#params(), true);
        try {
          return await c.request(signal);
        } finally {
          c.close();
        }
      },
    );
    this.#commit(ack, serverMac);
    this.#log(`lease acquired: ${this.ip}, expiration is ${new Date(this.expireAt).toISOString()}`);
  }

  async #renew(): Promise<void> {
    const signal = this.#abort.signal;
    const mac = Buffer.from(this.serverMac.split(':').map((h) => Number.parseInt(h, 16)));
    const { ack, serverMac } = await backoffRetry(
      'renew',
      this.#timing.resendMaxMs,
      // renewal attempts stop at T2, when rebinding takes over
      this.#deadline(this.rebindAt),
      signal,
      this.#log,
      async () => {
        const c = Client.open(this.#params(), false);
        try {
          return await c.renew(this.ip, this.serverIp, mac, signal);
        } finally {
          c.close();
        }
      },
      // a NAK is an answer: the address is no longer ours, stop renewing
      (err) => err instanceof NakError,
    );
    this.#commit(ack, serverMac);
    this.renewals++;
  }

  async #linkExists(): Promise<boolean> {
    // The namespace file and the link either exist or not; errors other than "gone" are
    // retried with backoff for up to 30 s, as the reference (v1.7).
    const deadline = Date.now() + LINK_CHECK_TOTAL;
    let delay = LINK_CHECK_DELAY0;
    for (;;) {
      try {
        return lookupLink(this.netnsPath, this.ifName) !== undefined;
      } catch (err) {
        this.#log(`link check failed: ${(err as Error).message}`);
        if (Date.now() + delay > deadline) return false;
        await sleep(delay, this.#abort.signal);
        if (delay < LINK_CHECK_RETRY_MAX) delay *= 2;
      }
    }
  }

  /** Start the maintenance loop; `renewNow` renews at once (a lease resumed from disk). */
  startMaintenance(renewNow = false): void {
    if (this.#loop) return;
    this.maintaining = true;
    this.#loop = this.#maintain(renewNow)
      .catch((err) => {
        if (!this.#abort.signal.aborted) this.#log(`maintenance failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.maintaining = false;
      });
  }

  async #maintain(renewNow: boolean): Promise<void> {
    let state: 'bound' | 'renewing' | 'rebinding' = renewNow ? 'renewing' : 'bound';
    if (renewNow && Date.now() >= this.rebindAt) state = 'rebinding';
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      if (!(await this.#linkExists())) {
        this.#log(`interface ${this.ifName} no longer exists, terminating lease maintenance`);
        return;
      }
      let sleepMs = 0;
      if (state === 'bound') {
        sleepMs = this.renewAt - Date.now();
        if (sleepMs <= 0) {
          this.#log('renewing lease');
          state = 'renewing';
          continue;
        }
      } else if (state === 'renewing') {
        try {
          await this.#renew();
          this.#log(`lease renewed, expiration is ${new Date(this.expireAt).toISOString()}`);
          state = 'bound';
        } catch (err) {
          if (signal.aborted) return;
          this.#log((err as Error).message);
          if (err instanceof NakError) {
            this.#log('renewal refused by the server, rebinding');
            state = 'rebinding';
          } else if (Date.now() >= this.rebindAt) {
            this.#log('renewal time expired, rebinding');
            state = 'rebinding';
          }
        }
      } else {
        try {
          await this.acquire(true);
          this.#log(`lease rebound, expiration is ${new Date(this.expireAt).toISOString()}`);
          state = 'bound';
        } catch (err) {
          if (signal.aborted) return;
          this.#log((err as Error).message);
          if (Date.now() >= this.expireAt) {
            this.#log('lease expired, bringing interface DOWN');
            try {
              setLinkDown(this.netnsPath, this.ifName);
            } catch (e) {
              this.#log(`failed to bring ${this.ifName} down: ${(e as Error).message}`);
            }
            return;
          }
        }
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(0, Math.min(sleepMs, 2 ** 31 - 1)));
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.#wake = undefined;
    }
  }

  /** Wake the maintenance loop now (the reference's Check). */
  check(): void {
    this.#wake?.();
  }

  /** Stop maintenance (no release). */
  async stop(): Promise<void> {
    this.#abort.abort(new DhcpError('lease stopped'));
    await this.#loop;
  }

  /** Stop maintenance and send DHCPRELEASE when the link is still there. */
  async release(): Promise<void> {
    await this.stop();
    this.#log('releasing lease');
    let c: Client;
    try {
      c = Client.open(this.#params(), false);
    } catch (err) {
      this.#log(`cannot send DHCPRELEASE: ${(err as Error).message}`);
      return;
    }
    try {
      c.release(
        this.ip,
        this.serverIp,
        Buffer.from(this.serverMac.split(':').map((h) => Number.parseInt(h, 16))),
      );
    } catch (err) {
      this.#log(`failed to send DHCPRELEASE: ${(err as Error).message}`);
    } finally {
      c.close();
    }
  }

  toRecord(): LeaseRecord {
    return {
      clientID: this.clientID,
      containerID: this.containerID,
      network: this.network,
      ifName: this.ifName,
      netns: this.netns,
      options: [...this.options].map(([k, v]) => [k, v.toString('base64')]),
      ack: encodeMessage(this.ack).toString('base64'),
      serverMac: this.serverMac,
      boundAt: this.boundAt,
      renewAt: this.renewAt,
      rebindAt: this.rebindAt,
      expireAt: this.expireAt,
    };
  }

  /** A lease read back from disk (maintenance not started). */
  static fromRecord(
    r: LeaseRecord,
    netnsPath: string,
    timing: Timing,
    log: Logger,
    persist: (l: Lease) => void,
  ): Lease {
    const l = new Lease(
      {
        clientID: r.clientID,
        containerID: r.containerID,
        network: r.network,
        ifName: r.ifName,
        netns: r.netns,
        netnsPath,
        options: new Map(r.options.map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      },
      timing,
      log,
      persist,
    );
    const ack = decodeMessage(Buffer.from(r.ack, 'base64'));
    if (!ack) throw new Error('stored ACK does not decode');
    l.ack = ack;
    l.serverMac = r.serverMac;
    l.boundAt = r.boundAt;
    l.renewAt = r.renewAt;
    l.rebindAt = r.rebindAt;
    l.expireAt = r.expireAt;
    return l;
  }
}
