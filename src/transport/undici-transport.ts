/**
 * The same transport on an undici `Pool` (HTTP/2 through ALPN, HTTP/1.1 keep-alive otherwise).
 *
 * undici 7 specifics (see the reference notes, apns.md §10): POSTs multiplex only with `pipelining` > 1
 * and `idempotent: true` per request; the pool does not read the server's stream limit, so a fresh
 * connection gets one request alone first (warm-up); a GOAWAY fails every in-flight request without its
 * `lastStreamId`, so those can only be reported as maybe delivered. Refused streams and failed connects
 * are re-sent at once.
 */
import { Pool, errors, type Dispatcher } from 'undici';
import { unwatchAbort, watchAbort } from './abort-watch.js';
import { TransportError } from './transport-error.js';
import { DEFAULT_MAX_BODY_BYTES, type RawRequest, type RawResponse, type Transport, type TransportOptions } from './types.js';

/** Errors raised before the request could be written: safe to re-send. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED', 'ECONNRESET_BEFORE_WRITE']);

function describe(err: unknown): { code: string; notSent: boolean; timeout: boolean } {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? 'UNKNOWN';
  const message = String(e?.message ?? '');
  const refused = /REFUSED_STREAM/.test(message) || /REFUSED_STREAM/.test(String((e?.cause as { message?: string })?.message ?? ''));
  const timeout = err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError;
  return { code: refused ? 'ERR_HTTP2_REFUSED_STREAM' : timeout ? 'ETIMEDOUT' : code, notSent: refused || NOT_SENT_CODES.has(code), timeout };
}

export class UndiciTransport implements Transport {
  readonly #pool: Pool;
  readonly #opts: TransportOptions;
  #warm: Promise<void> | undefined;
  #warmed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#pool = new Pool(opts.origin, {
      connections: opts.connections,
      allowH2: true,
      pipelining: opts.maxStreams ?? 100,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      ...(opts.pingIntervalMs ? { pingInterval: opts.pingIntervalMs } : {}),
      connect: { ...opts.tls },
    } as Pool.Options);
  }

  async request(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    if (this.#opts.warmUp && !this.#warmed) {
      if (this.#warm) await this.#warm;
      else {
        let done!: () => void;
        this.#warm = new Promise((r) => (done = r));
        try {
          return await this.#send(req, signal);
        } finally {
          this.#warmed = true;
          done();
        }
      }
    }
    return this.#send(req, signal);
  }

  async #send(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    // undici adds an 'abort' listener per request to the signal it is given: give it one of its own,
    // driven by the caller's through one shared listener (see abort-watch.ts).
    let own: AbortController | undefined;
    const watcher = signal && { aborted: (reason: unknown) => own!.abort(reason) };
    if (watcher) {
      if (signal.aborted) throw new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: false, cause: signal.reason });
      own = new AbortController();
      watchAbort(signal, watcher);
    }
    let last: TransportError | undefined;
    try {
      for (let i = 0; i <= this.#opts.maxImmediateRetries; i++) {
        try {
          const res = await this.#pool.request({ method: 'POST', path: req.path, headers: req.headers, body: req.body, idempotent: true, signal: own?.signal ?? null });
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
          const { body, truncated } = await readCapped(res.body, this.#opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
          const out: RawResponse = { status: res.statusCode, headers, body };
          if (truncated) out.truncated = true;
          return out;
        } catch (err) {
          if (signal?.aborted) throw new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: true, cause: err });
          const d = describe(err);
          last = new TransportError(`undici: ${(err as Error)?.message ?? err}`, { code: d.code, requestSent: !d.notSent, cause: err });
          if (!d.notSent) throw last;
        }
      }
      throw last!;
    } finally {
      if (watcher) unwatchAbort(signal, watcher);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Reads a body up to `max` bytes; past it, destroys the body (undici aborts the request's stream). */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<{ body: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = max - size;
    if (chunk.length > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      body.destroy();
      return { body: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'), truncated: false };
}
