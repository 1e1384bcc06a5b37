/** A request that got no HTTP response. `requestSent` says whether the server may have processed it. */
export class TransportError extends Error {
  override name = 'TransportError' as const;
  /**
   * A code from the classifier's transport table (src/classify/transport.ts), so a plain `classify` gets
   * `maybeDelivered` right: `ETIMEDOUT`, `ECONNRESET`, `ABORT_ERR` (may have been delivered);
   * `ERR_HTTP2_REFUSED_STREAM`, `ERR_HTTP2_GOAWAY_SESSION`, `ERR_HTTP2_INVALID_SESSION` (not sent);
   * undici's `UND_ERR_*` codes over the undici transport.
   */
  readonly code: string;
  /** The request may have reached the provider: a retry can duplicate the notification. */
  readonly requestSent: boolean;
  /** Same as `requestSent`, under the name the verdicts use. */
  readonly maybeDelivered: boolean;
  /** The GOAWAY that ended the connection, when there was one. */
  readonly goaway?: { errorCode: number; lastStreamId: number; reason?: string };

  constructor(
    message: string,
    opts: { code: string; requestSent: boolean; cause?: unknown; goaway?: TransportError['goaway'] },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.requestSent = opts.requestSent;
    this.maybeDelivered = opts.requestSent;
    if (opts.goaway) this.goaway = opts.goaway;
  }

  get isTransportError(): true {
    return true;
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError || (e instanceof Error && 'isTransportError' in e);
}
