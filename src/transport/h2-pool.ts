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
 * - Per-request timeout, AbortSignal, PING of idle sessions, unref'd when idle so a process can exit.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { TransportError } from './transport-error.js';
import type { RawRequest, RawResponse, Transport, TransportOptions } from './types.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

interface GoawayInfo {
  errorCode: number;
  lastStreamId: number;
  reason?: string;
}

interface Slot {
  session: ClientHttp2Session;
  /** Resolves when the warm-up request finished; undefined once warm. */
  warming?: Promise<void>;
  inflight: number;
  goaway?: GoawayInfo;
  /** No new streams: GOAWAY received, error, or closing. */
  draining: boolean;
  lastActive: number;
  ping?: NodeJS.Timeout;
  /** Ends the warm-up (idempotent). */
  warmed: () => void;
}

/** Reads the APNs-style `{"reason": "..."}` from GOAWAY debug data, if any. */
function goawayReason(data: Buffer | undefined): string | undefined {
  if (!data || data.length === 0) return undefined;
  const text = data.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { reason?: unknown };
    if (typeof parsed?.reason === 'string') return parsed.reason;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200);
}

function flattenHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* ':' */) continue;
    const v = h[k];
    if (v !== undefined) out[k] = typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** One request through the pool, across its immediate re-sends. */
interface Job {
  req: RawRequest;
  signal: AbortSignal | undefined;
  /** Immediate re-sends so far. */
  tries: number;
  resolve(res: RawResponse): void;
  reject(err: unknown): void;
}

interface Pending {
  /** `performance.now()` time. */
  deadline: number;
  expire(): void;
}

/** The outcome of one stream that got no response. */
interface StreamFailure {
  error: TransportError;
  /** Never reached the server: safe to re-send at once. */
  retryable: boolean;
}

export class H2SessionPool implements Transport {
  readonly #opts: TransportOptions;
  readonly #slots: (Slot | undefined)[];
  #next = 0;
  #closed = false;
  /** In-flight requests and their deadlines, swept by one timer (cheaper than a timer per stream). */
  readonly #pending = new Set<Pending>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: TransportOptions) {
    if (!Number.isInteger(opts.connections) || opts.connections < 1) {
      throw new RangeError('Expected `connections` to be a positive integer.');
    }
    this.#opts = opts;
    this.#slots = new Array<Slot | undefined>(opts.connections).fill(undefined);
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
    if (job.signal?.aborted) return job.reject(abortError(false, job.signal.reason));
    const slot = this.#pick();
    if (slot) this.#stream(slot, job);
    else this.#acquire().then((s) => this.#stream(s, job), job.reject);
  }

  /** A request failed without a response: re-send it at once if it never reached the server. */
  readonly #failed = (job: Job, failure: StreamFailure): void => {
    if (failure.retryable && job.tries < this.#opts.maxImmediateRetries && !this.#closed) {
      job.tries++;
      this.#dispatch(job);
    } else job.reject(failure.error);
  };

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

  /** A warm session that can take a stream now, without waiting (the common case). */
  #pick(): Slot | undefined {
    const n = this.#slots.length;
    // While a slot is empty or dead, #acquire opens it, so that every connection gets used.
    for (const slot of this.#slots) if (!slot || slot.draining || slot.session.destroyed || slot.session.closed) return undefined;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      const slot = this.#slots[i]!;
      if (slot.warming) continue;
      this.#next = (i + 1) % n;
      return slot;
    }
    return undefined;
  }

  /**
   * A session that can take a stream: an empty (or dead) slot is opened first, with this request as its
   * warm-up, so the pool grows to `connections` as soon as there is concurrency (Apple: spread pushes
   * over several connections); else a warm session; else wait for a warm-up to finish.
   */
  async #acquire(): Promise<Slot> {
    for (;;) {
      const free = this.#slots.findIndex((s) => !s || s.draining || s.session.destroyed || s.session.closed);
      if (free !== -1) return this.#open(free);
      const n = this.#slots.length;
      let waitFor: Promise<void> | undefined;
      for (let k = 0; k < n; k++) {
        const i = (this.#next + k) % n;
        const slot = this.#slots[i]!;
        if (slot.warming) {
          waitFor ??= slot.warming;
          continue;
        }
        this.#next = (i + 1) % n;
        return slot;
      }
      await waitFor;
    }
  }

  #open(index: number): Slot {
    const old = this.#slots[index];
    if (old) clearInterval(old.ping);
    const session = http2.connect(this.#opts.origin, { ...this.#opts.tls, ...(this.#opts.maxStreams ? { peerMaxConcurrentStreams: this.#opts.maxStreams } : {}) });
    const slot: Slot = { session, inflight: 0, draining: false, lastActive: performance.now(), warmed: () => {} };
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
      slot.goaway = { errorCode: slot.goaway?.errorCode || errorCode, lastStreamId: last, ...(reason ? { reason } : {}) };
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
      return this.#failed(job, { retryable: true, error: new TransportError(`HTTP/2 session unusable: ${code}`, { code, requestSent: false, cause: err }) });
    }
    if (slot.inflight++ === 0) session.ref();
    const ex = new Exchange(slot, stream, job, this.#settle, this.#failed, performance.now() + this.#opts.timeoutMs, this.#opts.timeoutMs);
    (stream as ExchangeStream)[kExchange] = ex;
    this.#track(ex);
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', noop); // handled on close, where rstCode and the GOAWAY are known
    stream.on('close', onClose);
    stream.end(job.req.body);
  }

  /** Bookkeeping when an exchange settles (one function for the pool, not one per request). */
  readonly #settle = (ex: Exchange): void => {
    this.#pending.delete(ex);
    const slot = ex.slot;
    slot.lastActive = performance.now();
    if (--slot.inflight === 0 && !slot.session.destroyed) slot.session.unref();
    slot.warmed();
  };

  #track(p: Pending): void {
    this.#pending.add(p);
    if (this.#sweeper) return;
    // Timeouts fire within a quarter of `timeoutMs` (at most 1 s) after they are due.
    const every = Math.max(10, Math.min(1000, Math.floor(this.#opts.timeoutMs / 4)));
    this.#sweeper = setInterval(() => {
      if (this.#pending.size === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
        return;
      }
      const now = performance.now();
      for (const q of this.#pending) if (q.deadline <= now) q.expire();
    }, every);
    this.#sweeper.unref();
  }

}

/** Why a stream closed without a response, and whether it provably never reached the server. */
function classifyClose(slot: Slot, stream: ClientHttp2Stream): StreamFailure {
    const goaway = slot.goaway;
    const id = stream.id;
    const reason = goaway?.reason ? ` (${goaway.reason})` : '';
    if (stream.rstCode === NGHTTP2_REFUSED_STREAM) {
      return { retryable: true, error: new TransportError('Stream refused by the server (not processed)', { code: 'ERR_HTTP2_REFUSED_STREAM', requestSent: false, ...(goaway ? { goaway } : {}) }) };
    }
    if (id === undefined || id === 0) {
      return { retryable: true, error: new TransportError('Stream never opened' + reason, { code: goaway ? 'ERR_HTTP2_GOAWAY_SESSION' : 'ERR_HTTP2_INVALID_SESSION', requestSent: false, ...(goaway ? { goaway } : {}) }) };
    }
    if (goaway && id > goaway.lastStreamId) {
      return { retryable: true, error: new TransportError(`GOAWAY above last stream id ${goaway.lastStreamId} (not processed)${reason}`, { code: 'ERR_HTTP2_GOAWAY_SESSION', requestSent: false, goaway }) };
    }
    return {
      retryable: false,
      error: new TransportError(goaway ? `Connection closed by GOAWAY${reason} before the response` : `Stream closed before the response (rst ${stream.rstCode})`, {
        code: 'ECONNRESET',
        requestSent: true,
        ...(goaway ? { goaway } : {}),
      }),
    };
}

function abortError(requestSent: boolean, reason: unknown): TransportError {
  return new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent, cause: reason });
}

const noop = () => {};
const kExchange = Symbol('pushback.exchange');
type ExchangeStream = ClientHttp2Stream & { [kExchange]: Exchange };

/**
 * One request on one stream. Its listeners are shared module functions that find it on the stream
 * (`this[kExchange]`), so a request allocates one object instead of a closure per event.
 */
class Exchange implements Pending {
  status = 0;
  headers: Record<string, string> = {};
  chunks: Buffer[] | undefined;
  settled = false;
  failure: StreamFailure | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    readonly slot: Slot,
    readonly stream: ClientHttp2Stream,
    readonly job: Job,
    readonly settle: (ex: Exchange) => void,
    readonly failed: (job: Job, failure: StreamFailure) => void,
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {
    const signal = job.signal;
    if (signal) {
      this.#onAbort = () => {
        const sent = stream.id !== undefined;
        this.fail({ retryable: false, error: abortError(sent, signal.reason) });
        if (sent) stream.close(NGHTTP2_CANCEL);
        else stream.destroy();
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * The deadline passed: settle now (do not wait for the stream's 'close', which a stream that never got
   * onto the wire may never emit), then cancel the stream. A stream that never got an id means the
   * session is stuck (e.g. a socket lost during the handshake): destroy it so the others fail fast and
   * the next requests reconnect.
   */
  expire(): void {
    const sent = this.stream.id !== undefined;
    this.fail({
      retryable: false,
      error: new TransportError(`No response within ${this.timeoutMs} ms`, { code: 'ETIMEDOUT', requestSent: sent }),
    });
    if (sent) this.stream.close(NGHTTP2_CANCEL);
    else {
      this.slot.draining = true;
      this.stream.destroy();
      this.slot.session.destroy();
    }
  }

  /** Settles with the response. */
  respond(): void {
    if (!this.#done()) return;
    const c = this.chunks;
    const body = c === undefined ? '' : (c.length === 1 ? c[0]! : Buffer.concat(c)).toString('utf8');
    this.job.resolve({ status: this.status, headers: this.headers, body });
  }

  /** Settles without a response (re-sent at once by the pool when it never reached the server). */
  fail(failure: StreamFailure): void {
    if (this.#done()) this.failed(this.job, failure);
  }

  #done(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.#onAbort) this.job.signal!.removeEventListener('abort', this.#onAbort);
    this.settle(this);
    return true;
  }
}

function onResponse(this: ExchangeStream, h: IncomingHttpHeaders): void {
  const ex = this[kExchange];
  ex.status = Number(h[':status']);
  ex.headers = flattenHeaders(h);
}

function onData(this: ExchangeStream, chunk: Buffer): void {
  (this[kExchange].chunks ??= []).push(chunk);
}

function onEnd(this: ExchangeStream): void {
  const ex = this[kExchange];
  if (ex.status && !ex.failure) ex.respond();
}

function onClose(this: ExchangeStream): void {
  const ex = this[kExchange];
  if (ex.settled) return;
  if (ex.status && this.rstCode === 0 && !ex.failure) ex.respond();
  else ex.fail(ex.failure ?? classifyClose(ex.slot, this));
}
