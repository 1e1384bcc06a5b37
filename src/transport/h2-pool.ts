/**
 * A small pool of node:http2 sessions to one origin.
 *
 * Why not undici here: measured side by side (test/bench/senders.bench.ts), undici 7's H2 client
 * multiplexes POSTs only with `pipelining` + `idempotent`, gates streams on `pipelining` rather than the
 * server's SETTINGS, and throws away a GOAWAY's `lastStreamId`, so every in-flight request of a closing
 * connection looks "maybe delivered". node:http2 gives us the GOAWAY's last stream id, the peer's stream
 * limit (nghttp2 queues the excess) and ~1.7x the throughput on this workload.
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
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
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

  async request(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    let lastError: TransportError | undefined;
    for (let i = 0; i <= this.#opts.maxImmediateRetries; i++) {
      if (this.#closed) throw new TransportError('Transport is closed', { code: 'ERR_CLOSED', requestSent: false });
      if (signal?.aborted) throw abortError(false, signal.reason);
      const slot = await this.#acquire();
      const result = await this.#stream(slot, req, signal);
      if (!('failure' in result)) return result.response;
      lastError = result.failure.error;
      if (!result.failure.retryable) throw lastError;
    }
    throw lastError!;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map((slot, i) => {
        this.#slots[i] = undefined;
        if (!slot) return undefined;
        clearInterval(slot.ping);
        slot.draining = true;
        if (slot.session.closed || slot.session.destroyed) return undefined;
        slot.session.ref();
        return new Promise<void>((resolve) => slot.session.close(() => resolve()));
      }),
    );
  }

  /** A session that can take a stream now: warm ones first, else open an empty slot, else wait. */
  async #acquire(): Promise<Slot> {
    for (;;) {
      const n = this.#slots.length;
      let waitFor: Promise<void> | undefined;
      for (let k = 0; k < n; k++) {
        const i = (this.#next + k) % n;
        const slot = this.#slots[i];
        if (!slot || slot.draining || slot.session.destroyed || slot.session.closed) continue;
        if (slot.warming) {
          waitFor ??= slot.warming;
          continue;
        }
        this.#next = (i + 1) % n;
        return slot;
      }
      const free = this.#slots.findIndex((s) => !s || s.draining || s.session.destroyed || s.session.closed);
      if (free !== -1) return this.#open(free);
      if (waitFor) await waitFor;
      else return this.#open(0);
    }
  }

  #open(index: number): Slot {
    const old = this.#slots[index];
    if (old) clearInterval(old.ping);
    const session = http2.connect(this.#opts.origin, { ...this.#opts.tls, ...(this.#opts.maxStreams ? { peerMaxConcurrentStreams: this.#opts.maxStreams } : {}) });
    const slot: Slot = { session, inflight: 0, draining: false, lastActive: Date.now(), warmed: () => {} };
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
        if (slot.inflight > 0 || Date.now() - slot.lastActive < ping || session.destroyed) return;
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

  #stream(slot: Slot, req: RawRequest, signal?: AbortSignal): Promise<{ response: RawResponse } | { failure: StreamFailure }> {
    const session = slot.session;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request({ ':method': 'POST', ':path': req.path, ...req.headers }, { endStream: false });
    } catch (err) {
      // ERR_HTTP2_INVALID_SESSION / ERR_HTTP2_GOAWAY_SESSION: the request never left.
      slot.draining = true;
      const code = (err as { code?: string }).code ?? 'ERR_HTTP2_INVALID_SESSION';
      return Promise.resolve({ failure: { retryable: true, error: new TransportError(`HTTP/2 session unusable: ${code}`, { code, requestSent: false, cause: err }) } });
    }
    if (slot.inflight++ === 0) session.ref();
    return new Promise((resolve) => {
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let settled = false;
      let failure: StreamFailure | undefined;

      const finish = (value: { response: RawResponse } | { failure: StreamFailure }) => {
        if (settled) return;
        settled = true;
        slot.lastActive = Date.now();
        if (--slot.inflight === 0 && !session.destroyed) session.unref();
        signal?.removeEventListener('abort', onAbort);
        slot.warmed();
        resolve(value);
      };
      const onAbort = () => {
        failure = { retryable: false, error: abortError(stream.id !== undefined, signal?.reason) };
        stream.close(NGHTTP2_CANCEL);
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      stream.setTimeout(this.#opts.timeoutMs, () => {
        failure = {
          retryable: false,
          error: new TransportError(`No response within ${this.#opts.timeoutMs} ms`, { code: 'ETIMEDOUT', requestSent: stream.id !== undefined }),
        };
        stream.close(NGHTTP2_CANCEL);
      });
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = flattenHeaders(h);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (status) finish({ response: { status, headers, body: Buffer.concat(chunks).toString('utf8') } });
      });
      stream.on('error', () => {
        /* handled on close, where rstCode and the GOAWAY are known */
      });
      stream.on('close', () => {
        if (settled) return;
        if (status && stream.rstCode === 0 && !failure) {
          finish({ response: { status, headers, body: Buffer.concat(chunks).toString('utf8') } });
          return;
        }
        finish({ failure: failure ?? this.#classifyClose(slot, stream) });
      });
      stream.end(req.body);
    });
  }

  /** Why a stream closed without a response, and whether it provably never reached the server. */
  #classifyClose(slot: Slot, stream: ClientHttp2Stream): StreamFailure {
    const goaway = slot.goaway;
    const id = stream.id;
    const reason = goaway?.reason ? ` (${goaway.reason})` : '';
    if (stream.rstCode === NGHTTP2_REFUSED_STREAM) {
      return { retryable: true, error: new TransportError('Stream refused by the server (not processed)', { code: 'REFUSED_STREAM', requestSent: false, ...(goaway ? { goaway } : {}) }) };
    }
    if (id === undefined || id === 0) {
      return { retryable: true, error: new TransportError('Stream never opened' + reason, { code: goaway ? 'GOAWAY' : 'ECONNRESET', requestSent: false, ...(goaway ? { goaway } : {}) }) };
    }
    if (goaway && id > goaway.lastStreamId) {
      return { retryable: true, error: new TransportError(`GOAWAY above last stream id ${goaway.lastStreamId} (not processed)${reason}`, { code: 'GOAWAY', requestSent: false, goaway }) };
    }
    return {
      retryable: false,
      error: new TransportError(goaway ? `Connection closed by GOAWAY${reason} before the response` : `Stream closed before the response (rst ${stream.rstCode})`, {
        code: goaway ? 'GOAWAY' : 'ECONNRESET',
        requestSent: true,
        ...(goaway ? { goaway } : {}),
      }),
    };
  }
}

function abortError(requestSent: boolean, reason: unknown): TransportError {
  return new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent, cause: reason });
}
