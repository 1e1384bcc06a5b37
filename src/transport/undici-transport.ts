/**
 * The same transport on an undici `Pool` (HTTP/2 through ALPN, HTTP/1.1 keep-alive otherwise).
 *
 * undici 7 specifics (see the reference notes, apns.md §10): POSTs multiplex only with `pipelining` > 1
 * and `idempotent: true` per request; the pool does not read the server's stream limit, so a fresh
 * connection gets one request alone first (warm-up); a GOAWAY fails every in-flight request without its
 * `lastStreamId`, so those can only be reported as maybe delivered. Refused streams and failed connects
 * are re-sent at once.
 */
import { Pool, errors } from 'undici';
import { TransportError } from './transport-error.js';
import type { RawRequest, RawResponse, Transport, TransportOptions } from './types.js';

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
    let last: TransportError | undefined;
    for (let i = 0; i <= this.#opts.maxImmediateRetries; i++) {
      try {
        const res = await this.#pool.request({ method: 'POST', path: req.path, headers: req.headers, body: req.body, idempotent: true, signal: signal ?? null });
        const body = await res.body.text();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
        return { status: res.statusCode, headers, body };
      } catch (err) {
        if (signal?.aborted) throw new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: true, cause: err });
        const d = describe(err);
        last = new TransportError(`undici: ${(err as Error)?.message ?? err}`, { code: d.code, requestSent: !d.notSent, cause: err });
        if (!d.notSent) throw last;
      }
    }
    throw last!;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
