/**
 * `FramesPool`: the default transport of the APNs and FCM senders: a few HTTP/2 connections to one
 * origin, each framed by pushback itself over node:tls (frames/connection.ts says why). Same contract
 * and behaviour as `H2SessionPool` (node:http2, `transport: 'http2'`):
 *
 * - `connections` connections, opened lazily; each new one carries one request alone (warm-up) before
 *   it takes more, because a fresh APNs token connection allows one stream until a valid token was seen.
 * - A request that provably never reached the server (REFUSED_STREAM, stream id above the GOAWAY's last
 *   stream id, never written, connection failed) is re-sent at once on another connection, at most
 *   `maxImmediateRetries` times. Anything else without a response fails with
 *   `TransportError{requestSent: true}` (maybe delivered).
 * - Liveness: a connection that answered none of its requests since the previous sweep is sent a PING
 *   and takes no new requests while it is unanswered; still unanswered after half the request timeout
 *   (or four round trips), it is destroyed, failing its requests as maybe delivered. Idle connections
 *   are PINGed every `pingIntervalMs`. Sockets are unref'd while idle, so a process can exit.
 * - Per-request timeout (one sweep timer for all), AbortSignal, body cap (`maxBodyBytes`).
 */
import { type Job, type StreamFailure } from './h2-exchange.js';
import { H2Connection, type ConnectionOwner, type FrameStream } from './frames/connection.js';
import { encodeRequestPrefix } from './frames/hpack.js';
import { checkHeaders, headerBlock } from './frames/request-block.js';
import { SlotRing } from './slot-ring.js';
import { TransportError } from './transport-error.js';
import { DEFAULT_MAX_BODY_BYTES, type RawRequest, type RawResponse, type Transport, type TransportOptions } from './types.js';

interface Slot {
  conn: H2Connection;
  /** Resolves when the warm-up request finished; undefined once warm. */
  warming?: Promise<void>;
  warmed: () => void;
  /** `conn.settledCount` at the previous sweep. */
  seenCount: number;
  /** A liveness PING is unanswered. */
  probing: boolean;
  probeAt: number;
  rttMs: number;
  lastActive: number;
  ping?: NodeJS.Timeout;
}

const usable = (s: Slot | undefined): s is Slot => s !== undefined && s.conn.usable;

export class FramesPool implements Transport, ConnectionOwner {
  readonly #opts: TransportOptions;
  readonly #origin: URL;
  readonly #prefix: Buffer;
  readonly #maxBody: number;
  readonly #ring: SlotRing<Slot>;
  readonly #slots: (Slot | undefined)[];
  readonly #slotOf = new Map<H2Connection, Slot>();
  #closed = false;
  /** In-flight requests and their deadlines, swept by one timer. */
  readonly #pending = new Set<FrameStream>();
  #sweeper: NodeJS.Timeout | undefined;
  readonly #closeWaiters: (() => void)[] = [];

  constructor(opts: TransportOptions) {
    if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new RangeError('Expected `connections` to be a positive integer.');
    this.#opts = opts;
    this.#origin = new URL(opts.origin);
    if (this.#origin.protocol !== 'https:' && this.#origin.protocol !== 'http:') throw new TypeError(`Expected an https: or http: origin, got ${opts.origin}`);
    this.#prefix = encodeRequestPrefix(this.#origin.protocol === 'https:' ? 'https' : 'http', this.#origin.host);
    this.#maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#ring = new SlotRing<Slot>(opts.connections, usable, (i) => this.#open(i));
    this.#slots = this.#ring.slots;
  }

  /** Connections currently open (for tests and stats). */
  get openSessions(): number {
    return this.#slots.filter((s) => s && !s.conn.destroyed).length;
  }

  request(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      try {
        checkHeaders(req.path, req.headers);
      } catch (err) {
        return reject(err);
      }
      this.#dispatch({ req, signal, tries: 0, resolve, reject });
    });
  }

  #dispatch(job: Job): void {
    if (this.#closed) return job.reject(new TransportError('Transport is closed', { code: 'ERR_HTTP2_INVALID_SESSION', requestSent: false }));
    if (job.signal?.aborted) return job.reject(new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: false, cause: job.signal.reason }));
    const slot = this.#ring.pick();
    if (slot) this.#send(slot, job);
    else this.#ring.acquire().then((s) => this.#send(s, job), job.reject);
  }

  #send(slot: Slot, job: Job): void {
    if (!slot.conn.usable) return this.#dispatch(job); // it closed while this request waited for its warm-up
    const { req } = job;
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    const block = headerBlock(this.#prefix, req.path, req.headers);
    if (slot.conn.inflight === 0) slot.conn.ref();
    const s = slot.conn.request(job, block, body, performance.now());
    if (!s.settled) this.#track(s);
  }

  // ---- ConnectionOwner ----------------------------------------------------------------------

  failed(job: Job, failure: StreamFailure): void {
    if (failure.retryable && job.tries < this.#opts.maxImmediateRetries && !this.#closed) {
      job.tries++;
      this.#dispatch(job);
    } else job.reject(failure.error);
  }

  settled(s: FrameStream): void {
    this.#pending.delete(s);
    const conn = s.conn;
    const slot = this.#slotOf.get(conn);
    if (!slot) return;
    if (conn.inflight === 0) {
      slot.lastActive = performance.now();
      if (!conn.destroyed) conn.unref();
    }
    slot.warmed();
  }

  closed(conn: H2Connection): void {
    const slot = this.#slotOf.get(conn);
    this.#slotOf.delete(conn);
    if (!slot) return;
    clearInterval(slot.ping);
    slot.warmed();
    const i = this.#slots.indexOf(slot);
    if (i !== -1) this.#slots[i] = undefined;
    if (this.#slotOf.size === 0) for (const w of this.#closeWaiters.splice(0)) w();
  }

  /** Closes every connection once its requests finished (the timeout sweep keeps running until then). */
  async close(): Promise<void> {
    this.#closed = true;
    const open = this.#slots.filter((s): s is Slot => s !== undefined);
    this.#slots.fill(undefined);
    if (this.#slotOf.size === 0) return;
    const done = new Promise<void>((r) => this.#closeWaiters.push(r));
    for (const slot of open) {
      clearInterval(slot.ping);
      slot.conn.ref();
      slot.conn.close();
    }
    await done;
  }

  // ---- picking a connection -----------------------------------------------------------------

  #open(index: number): Slot {
    const old = this.#slots[index];
    if (old) clearInterval(old.ping);
    const conn = new H2Connection({ origin: this.#origin, tls: this.#opts.tls, maxBodyBytes: this.#maxBody, timeoutMs: this.#opts.timeoutMs }, this);
    const slot: Slot = { conn, seenCount: 0, probing: false, probeAt: 0, rttMs: 0, lastActive: performance.now(), warmed: () => {} };
    if (this.#opts.warmUp) {
      let done!: () => void;
      slot.warming = new Promise<void>((r) => (done = r));
      slot.warmed = () => {
        if (!slot.warming) return;
        slot.warming = undefined;
        done();
      };
    }
    const every = this.#opts.pingIntervalMs ?? 0;
    if (every > 0) {
      slot.ping = setInterval(() => {
        if (conn.inflight > 0 || performance.now() - slot.lastActive < every || conn.destroyed) return;
        conn.ping((err) => {
          if (err) conn.destroy('PING failed');
        });
      }, every);
      slot.ping.unref();
    }
    conn.unref();
    this.#slotOf.set(conn, slot);
    this.#slots[index] = slot;
    return slot;
  }

  // ---- timeouts and liveness ----------------------------------------------------------------

  #track(s: FrameStream): void {
    this.#pending.add(s);
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(250, Math.floor(this.#opts.timeoutMs / 4))));
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const s of this.#pending) if (s.deadline <= now) s.conn.expire(s);
    for (const slot of this.#slotOf.values()) this.#checkLiveness(slot, now);
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #checkLiveness(slot: Slot, now: number): void {
    const conn = slot.conn;
    const progressed = conn.settledCount !== slot.seenCount;
    slot.seenCount = conn.settledCount;
    if (slot.probing) {
      if (progressed || now - slot.probeAt < Math.max(this.#opts.timeoutMs / 2, 4 * slot.rttMs)) return;
      return conn.destroy('no answer to PING');
    }
    if (progressed || conn.inflight === 0 || conn.connecting || conn.destroyed) return;
    slot.probing = true;
    slot.probeAt = now;
    conn.ping((err, ms) => {
      if (err) conn.destroy('PING failed');
      else {
        slot.probing = false;
        slot.rttMs = ms;
      }
    });
  }
}
