/**
 * A small pool of node:http2 sessions to one origin.
 *
 * Why not undici here: measured side by side (test/bench/senders.bench.ts), undici 7's H2 client
 * multiplexes POSTs only with `pipelining` + `idempotent`, gates streams on `pipelining` rather than the
 * server's SETTINGS, and throws away a GOAWAY's `lastStreamId`, so every in-flight request of a closing
 * connection looks "maybe delivered". node:http2 gives us the GOAWAY's last stream id, the peer's stream
 * limit (nghttp2 queues the excess), and more throughput for less CPU on this workload (bench keys
 * `apns.undiciVsHttp2`, `apns.pushback.*CpuUsPerMsg`).
 *
 * What it does:
 * - `connections` sessions, opened lazily; each new session carries one request alone (warm-up) before
 *   it takes more, because a fresh APNs token connection allows one stream until a valid token was seen.
 * - A request that provably never reached the server (REFUSED_STREAM, stream id above the GOAWAY's
 *   last stream id, stream never opened, connection failed) is re-sent at once on another session.
 *   Anything else without a response fails with `TransportError{requestSent: true}`.
 * - A dead connection fails its requests at once: a reset or an error destroys the session (Node closes
 *   its streams); a connection that stops answering is found by the liveness check below.
 * - Per-request timeout, AbortSignal, PING of idle sessions, unref'd when idle so a process can exit.
 *
 * Liveness, checked by the timeout sweep for each session with requests in flight:
 * - Node 20 can leave a client session open forever after the peer reset the TCP connection (see
 *   socket-gone.ts): such a session is destroyed at the next sweep, failing its requests at once.
 * - A session that answered none of its requests since the previous sweep is sent a PING and takes no
 *   new requests while it is unanswered; still unanswered after half the request timeout (a connection
 *   into a black hole), the session is destroyed, failing its requests as maybe delivered, and new
 *   requests reconnect instead of timing out one after the other. A slow but healthy server answers the
 *   PING, so slow requests are left alone.
 */
import http2, { type ClientHttp2Stream } from 'node:http2';
import { Exchange, type ExchangeOwner, type GoawayInfo, type Job, type SessionState, type StreamFailure } from './h2-exchange.js';
import { goawayReason } from './goaway-reason.js';
import { SlotRing } from './slot-ring.js';
import { socketGone } from './socket-gone.js';
import { TransportError } from './transport-error.js';
import { DEFAULT_MAX_BODY_BYTES, type RawRequest, type RawResponse, type Transport, type TransportOptions } from './types.js';

interface Slot extends SessionState {
  /** Resolves when the warm-up request finished; undefined once warm. */
  warming?: Promise<void>;
  inflight: number;
  /** Requests settled on this session so far (the liveness check compares it across sweeps). */
  settledCount: number;
  /** `settledCount` at the previous sweep. */
  seenCount: number;
  /** A liveness PING is unanswered: take no new requests while another session can. */
  probing: boolean;
  /** When that PING left (`performance.now()`). */
  probeAt: number;
  /** Round trip of the last PING answered, ms. */
  rttMs: number;
  lastActive: number;
  ping?: NodeJS.Timeout;
  /** Ends the warm-up (idempotent). */
  warmed: () => void;
}

const usable = (s: Slot | undefined): s is Slot => s !== undefined && !s.draining && !s.session.destroyed && !s.session.closed;

export class H2SessionPool implements Transport, ExchangeOwner {
  readonly #opts: TransportOptions;
  readonly #maxBody: number;
  readonly #ring: SlotRing<Slot>;
  readonly #slots: (Slot | undefined)[];
  #closed = false;
  /** In-flight requests and their deadlines, swept by one timer (cheaper than a timer per stream). */
  readonly #pending = new Set<Exchange>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: TransportOptions) {
    if (!Number.isInteger(opts.connections) || opts.connections < 1) {
      throw new RangeError('Expected `connections` to be a positive integer.');
    }
    this.#opts = opts;
    this.#maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#ring = new SlotRing<Slot>(opts.connections, usable, (i) => this.#open(i));
    this.#slots = this.#ring.slots;
  }

  /** Sessions currently open (for tests and stats). */
  get openSessions(): number {
    return this.#slots.filter((s) => s && !s.session.destroyed).length;
  }

  request(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    return new Promise((resolve, reject) => this.#dispatch({ req, signal, tries: 0, resolve, reject }));
  }

  /** Starts (or re-starts, after a refusal) one request on a session. */
  #dispatch(job: Job): void {
    if (this.#closed) return job.reject(new TransportError('Transport is closed', { code: 'ERR_HTTP2_INVALID_SESSION', requestSent: false }));
    if (job.signal?.aborted) return job.reject(new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: false, cause: job.signal.reason }));
    const slot = this.#ring.pick();
    if (slot) this.#stream(slot, job);
    else this.#ring.acquire().then((s) => this.#stream(s, job), job.reject);
  }

  /** A request failed without a response: re-send it at once if it never reached the server. */
  failed(job: Job, failure: StreamFailure): void {
    if (failure.retryable && job.tries < this.#opts.maxImmediateRetries && !this.#closed) {
      job.tries++;
      this.#dispatch(job);
    } else job.reject(failure.error);
  }

  /** Bookkeeping when an exchange settles. */
  settled(ex: Exchange): void {
    this.#pending.delete(ex);
    const slot = ex.slot as Slot;
    slot.settledCount++;
    if (--slot.inflight === 0) {
      slot.lastActive = performance.now();
      if (!slot.session.destroyed) slot.session.unref();
    }
    slot.warmed();
  }

  /** Closes every session once its streams finished (the timeout sweep keeps running until they have). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map((slot, i) => {
        this.#slots[i] = undefined;
        if (!slot) return undefined;
        clearInterval(slot.ping);
        slot.draining = true;
        const session = slot.session;
        if (session.closed || session.destroyed) return undefined;
        session.ref();
        const closeNow = (resolve: () => void) => session.close(() => resolve());
        if (!session.connecting) return new Promise<void>(closeNow);
        // Closing a session that is still connecting would drop the requests queued on it: let it
        // connect (they are sent), then close it gracefully.
        return new Promise<void>((resolve) => {
          const onConnect = () => {
            session.off('close', onClose);
            closeNow(resolve);
          };
          const onClose = () => {
            session.off('connect', onConnect);
            resolve();
          };
          session.once('connect', onConnect);
          session.once('close', onClose);
        });
      }),
    );
  }

  #open(index: number): Slot {
    const old = this.#slots[index];
    if (old) clearInterval(old.ping);
    const session = http2.connect(this.#opts.origin, { ...this.#opts.tls, ...(this.#opts.maxStreams ? { peerMaxConcurrentStreams: this.#opts.maxStreams } : {}) });
    const slot: Slot = { session, inflight: 0, settledCount: 0, seenCount: 0, probing: false, probeAt: 0, rttMs: 0, draining: false, lastActive: performance.now(), warmed: () => {} };
    if (this.#opts.warmUp) {
      // The first stream on this session ends the warm-up when it settles; so does the session closing.
      let done!: () => void;
      slot.warming = new Promise<void>((r) => (done = r));
      slot.warmed = () => {
        if (!slot.warming) return;
        slot.warming = undefined;
        done();
      };
    }
    session.on('goaway', (errorCode: number, lastStreamId: number, data?: Buffer) => {
      slot.draining = true;
      // Node re-emits 'goaway' when it closes the session itself (no debug data): keep the lowest
      // last stream id and the first reason.
      const reason = goawayReason(data) ?? slot.goaway?.reason;
      const last = Math.min(lastStreamId, slot.goaway?.lastStreamId ?? Infinity);
      const goaway: GoawayInfo = { errorCode: slot.goaway?.errorCode || errorCode, lastStreamId: last };
      if (reason) goaway.reason = reason;
      slot.goaway = goaway;
    });
    session.on('error', () => {
      slot.draining = true;
    });
    session.on('close', () => {
      slot.draining = true;
      clearInterval(slot.ping);
      slot.warmed();
      if (this.#slots[index] === slot) this.#slots[index] = undefined;
    });
    const ping = this.#opts.pingIntervalMs ?? 0;
    if (ping > 0) {
      slot.ping = setInterval(() => {
        if (slot.inflight > 0 || performance.now() - slot.lastActive < ping || session.destroyed) return;
        session.ping((err) => {
          if (err) session.destroy();
        });
      }, ping);
      slot.ping.unref();
    }
    session.unref();
    this.#slots[index] = slot;
    return slot;
  }

  #stream(slot: Slot, job: Job): void {
    const session = slot.session;
    let stream: ClientHttp2Stream;
    try {
      // No options object: POST keeps the stream open for the body by default, and an options object
      // costs measurably more in Node 20's request() (setAndValidatePriorityOptions).
      stream = session.request({ ':method': 'POST', ':path': job.req.path, ...job.req.headers });
    } catch (err) {
      // ERR_HTTP2_INVALID_SESSION / ERR_HTTP2_GOAWAY_SESSION: the request never left.
      slot.draining = true;
      const code = (err as { code?: string }).code ?? 'ERR_HTTP2_INVALID_SESSION';
      return this.failed(job, { retryable: true, error: new TransportError(`HTTP/2 session unusable: ${code}`, { code, requestSent: false, cause: err }) });
    }
    if (slot.inflight++ === 0) session.ref();
    const ex = new Exchange(slot, stream, job, this, this.#opts.timeoutMs, this.#maxBody, performance.now());
    this.#track(ex);
    stream.end(job.req.body);
  }

  #track(ex: Exchange): void {
    this.#pending.add(ex);
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#every);
    this.#sweeper.unref();
  }

  /** Sweep period: timeouts fire within a quarter of `timeoutMs` (at most 250 ms) after they are due,
   * and a dead connection is found within two to three periods. */
  get #every(): number {
    return Math.max(10, Math.min(250, Math.floor(this.#opts.timeoutMs / 4)));
  }

  #sweep(): void {
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
      return;
    }
    const now = performance.now();
    for (const ex of this.#pending) if (ex.deadline <= now) ex.expire();
    for (const slot of this.#slots) if (slot) this.#checkLiveness(slot, now);
  }

  /** See "Liveness" at the top. */
  #checkLiveness(slot: Slot, now: number): void {
    const session = slot.session;
    if (slot.inflight > 0 && socketGone(session)) return this.#lose(slot, 'the connection was reset');
    const progressed = slot.settledCount !== slot.seenCount;
    slot.seenCount = slot.settledCount;
    if (slot.probing) {
      // The PING's own callback clears `probing`. It gets half the request timeout (a dead connection
      // is found twice as fast as by the timeouts, and a busy peer or event loop is not mistaken for
      // one), and a far server four of its round trips.
      if (progressed || now - slot.probeAt < Math.max(this.#opts.timeoutMs / 2, 4 * slot.rttMs)) return;
      return this.#lose(slot, 'no answer to PING');
    }
    if (progressed || slot.inflight === 0 || session.connecting || session.destroyed || session.closed) return;
    slot.probing = true;
    slot.probeAt = now;
    try {
      session.ping((err, ms) => {
        if (err) this.#lose(slot, 'PING failed');
        else {
          slot.probing = false;
          slot.rttMs = ms;
        }
      });
    } catch {
      slot.probing = false; // too many PINGs outstanding, or closing: the next sweep decides
    }
  }

  /** Gives a session up for dead: Node fails its streams ('close' on each), new requests reconnect. */
  #lose(slot: Slot, why: string): void {
    slot.lost ??= why;
    slot.draining = true;
    slot.session.destroy();
  }
}
