/**
 * One request on one node:http2 stream: collects the response (the body up to a cap), or works out why
 * the stream ended without one and whether the request provably never reached the server.
 *
 * Its stream listeners are shared module functions that find the exchange on the stream
 * (`this[kExchange]`), so a request allocates one object instead of a closure per event.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { unwatchAbort, watchAbort, type Abortable } from './abort-watch.js';
import { TransportError } from './transport-error.js';
import type { RawRequest, RawResponse } from './types.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

export interface GoawayInfo {
  errorCode: number;
  lastStreamId: number;
  reason?: string;
}

/** What an exchange needs to know about its session. */
export interface SessionState {
  readonly session: ClientHttp2Session;
  goaway?: GoawayInfo;
  /** Set when the pool gave the connection up for dead (no PING answer): why. */
  lost?: string;
  /** No new streams on it. */
  draining: boolean;
}

/** One request through the pool, across its immediate re-sends. */
export interface Job {
  req: RawRequest;
  signal: AbortSignal | undefined;
  /** Immediate re-sends so far. */
  tries: number;
  resolve(res: RawResponse): void;
  reject(err: unknown): void;
}

/** The outcome of one stream that got no response. */
export interface StreamFailure {
  error: TransportError;
  /** Never reached the server: safe to re-send at once. */
  retryable: boolean;
}

/** The pool's side of an exchange (one object for the pool, not closures per request). */
export interface ExchangeOwner {
  /** Bookkeeping when an exchange settles, either way. */
  settled(ex: Exchange): void;
  /** The request got no response: re-send it or reject it. */
  failed(job: Job, failure: StreamFailure): void;
}

const kExchange = Symbol('pushback.exchange');
type ExchangeStream = ClientHttp2Stream & { [kExchange]: Exchange };

export class Exchange implements Abortable {
  status = 0;
  headers: Record<string, string> | undefined;
  chunks: Buffer[] | undefined;
  bytes = 0;
  settled = false;
  /** Deadline, `performance.now()` time. */
  readonly deadline: number;

  constructor(
    readonly slot: SessionState,
    readonly stream: ClientHttp2Stream,
    readonly job: Job,
    readonly owner: ExchangeOwner,
    readonly timeoutMs: number,
    readonly maxBodyBytes: number,
    now: number,
  ) {
    this.deadline = now + timeoutMs;
    (stream as ExchangeStream)[kExchange] = this;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', noop); // handled on close, where rstCode and the GOAWAY are known
    stream.on('close', onClose);
    if (job.signal) watchAbort(job.signal, this);
  }

  aborted(reason: unknown): void {
    const sent = this.stream.id !== undefined;
    this.fail({ retryable: false, error: new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: sent, cause: reason }) });
    if (sent) this.stream.close(NGHTTP2_CANCEL);
    else this.stream.destroy();
  }

  /**
   * The deadline passed: settle now (do not wait for the stream's 'close', which a stream that never got
   * onto the wire may never emit), then cancel the stream. A stream that never got an id means the
   * session is stuck (e.g. a socket lost during the handshake): destroy it so the others fail fast and
   * the next requests reconnect.
   */
  expire(): void {
    const sent = this.stream.id !== undefined;
    this.fail({ retryable: false, error: new TransportError(`No response within ${this.timeoutMs} ms`, { code: 'ETIMEDOUT', requestSent: sent }) });
    if (sent) this.stream.close(NGHTTP2_CANCEL);
    else {
      this.slot.draining = true;
      this.stream.destroy();
      this.slot.session.destroy();
    }
  }

  /** Settles with the response. */
  respond(truncated: boolean): void {
    if (!this.#done()) return;
    const c = this.chunks;
    const body = c === undefined ? '' : (c.length === 1 ? c[0]! : Buffer.concat(c)).toString('utf8');
    const res: RawResponse = { status: this.status, headers: this.headers ?? {}, body };
    if (truncated) res.truncated = true;
    this.job.resolve(res);
  }

  /** Settles without a response (re-sent at once by the pool when it never reached the server). */
  fail(failure: StreamFailure): void {
    if (this.#done()) this.owner.failed(this.job, failure);
  }

  #done(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.job.signal) unwatchAbort(this.job.signal, this);
    this.owner.settled(this);
    return true;
  }
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

function onResponse(this: ExchangeStream, h: IncomingHttpHeaders): void {
  const ex = this[kExchange];
  ex.status = Number(h[':status']);
  ex.headers = flattenHeaders(h);
}

/** Keeps the body up to `maxBodyBytes`; past it, answers with what it has and cancels the stream. */
function onData(this: ExchangeStream, chunk: Buffer): void {
  const ex = this[kExchange];
  if (ex.settled) return;
  const room = ex.maxBodyBytes - ex.bytes;
  if (chunk.length <= room) {
    ex.bytes += chunk.length;
    (ex.chunks ??= []).push(chunk);
    return;
  }
  if (room > 0) (ex.chunks ??= []).push(chunk.subarray(0, room));
  ex.bytes = ex.maxBodyBytes;
  ex.respond(true);
  // RST_STREAM(CANCEL): the server stops sending, and what is already on the way is dropped.
  this.close(NGHTTP2_CANCEL);
}

function onEnd(this: ExchangeStream): void {
  const ex = this[kExchange];
  // Node also ends the readable side when the stream is reset: then rstCode is already set.
  if (ex.status) ex.respond(this.rstCode !== undefined && this.rstCode !== 0);
}

function onClose(this: ExchangeStream): void {
  const ex = this[kExchange];
  if (ex.settled) return;
  // Once the final status has arrived the request was processed, whatever a later GOAWAY or RST_STREAM
  // claims (see FrameConnection#cut): the status stands, with the body marked truncated if it was cut.
  if (ex.status) ex.respond(this.rstCode !== 0);
  else ex.fail(classifyClose(ex.slot, this));
}

const noop = () => {};

/** Why a stream closed without a response, and whether it provably never reached the server. */
export function classifyClose(slot: SessionState, stream: ClientHttp2Stream): StreamFailure {
  const goaway = slot.goaway;
  const id = stream.id;
  const reason = goaway?.reason ? ` (${goaway.reason})` : '';
  const extra = goaway ? { goaway } : {};
  if (stream.rstCode === NGHTTP2_REFUSED_STREAM) {
    return { retryable: true, error: new TransportError('Stream refused by the server (not processed)', { code: 'ERR_HTTP2_REFUSED_STREAM', requestSent: false, ...extra }) };
  }
  if (id === undefined || id === 0) {
    return { retryable: true, error: new TransportError('Stream never opened' + reason, { code: goaway ? 'ERR_HTTP2_GOAWAY_SESSION' : 'ERR_HTTP2_INVALID_SESSION', requestSent: false, ...extra }) };
  }
  if (goaway && id > goaway.lastStreamId) {
    return { retryable: true, error: new TransportError(`GOAWAY above last stream id ${goaway.lastStreamId} (not processed)${reason}`, { code: 'ERR_HTTP2_GOAWAY_SESSION', requestSent: false, goaway }) };
  }
  const message = goaway
    ? `Connection closed by GOAWAY${reason} before the response`
    : slot.lost
      ? `Connection lost before the response: ${slot.lost}`
      : `Stream closed before the response (rst ${stream.rstCode})`;
  return { retryable: false, error: new TransportError(message, { code: 'ECONNRESET', requestSent: true, ...extra }) };
}
