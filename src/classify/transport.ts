/**
 * Transport failures: no provider answered, so there is no provider code to look up.
 *
 * This table lives in code, not in `policies/`, because it is Node's and undici's vocabulary
 * (errno codes, `UND_ERR_*`, `ERR_HTTP2_*`, DOM `AbortError`), the same for every provider.
 * All of them are retried; the question is only whether the request may already have been
 * written, in which case a retry can duplicate the notification (`maybeDelivered`).
 *
 * `sent`: true = the request was (or may have been) written before the failure; false = it was not
 * (refused connection, DNS, a stream the server refused without processing, RFC 9113 §8.7).
 */
export interface TransportInfo {
  sent: boolean;
  meaning: string;
}

const T = (sent: boolean, meaning: string): TransportInfo => Object.freeze({ sent, meaning });

export const TRANSPORT_CODES: ReadonlyMap<string, TransportInfo> = new Map([
  ['ECONNRESET', T(true, 'The connection was reset; the request may have reached the provider.')],
  ['ETIMEDOUT', T(true, 'The request timed out; it may have reached the provider.')],
  ['ESOCKETTIMEDOUT', T(true, 'The socket timed out; the request may have reached the provider.')],
  ['EPIPE', T(true, 'The connection closed while writing; part of the request may have been sent.')],
  ['ECONNABORTED', T(true, 'The connection was aborted; the request may have reached the provider.')],
  ['ECONNREFUSED', T(false, 'The connection was refused; nothing was sent.')],
  ['EHOSTUNREACH', T(false, 'The host is unreachable; nothing was sent.')],
  ['ENETUNREACH', T(false, 'The network is unreachable; nothing was sent.')],
  ['ENOTFOUND', T(false, 'DNS lookup failed; nothing was sent.')],
  ['EAI_AGAIN', T(false, 'DNS lookup failed temporarily; nothing was sent.')],
  ['UND_ERR_CONNECT_TIMEOUT', T(false, 'Connecting timed out; nothing was sent.')],
  ['UND_ERR_HEADERS_TIMEOUT', T(true, 'No response headers in time; the request was sent and may have been delivered.')],
  ['UND_ERR_BODY_TIMEOUT', T(true, 'The response body stalled; the request was sent and may have been delivered.')],
  ['UND_ERR_SOCKET', T(true, 'The socket failed (reset, GOAWAY); the request may have reached the provider.')],
  ['UND_ERR_CLOSED', T(true, 'The client closed; the request may have reached the provider.')],
  ['UND_ERR_ABORTED', T(true, 'The request was aborted; it may have reached the provider.')],
  ['UND_ERR_REQ_RETRY', T(true, 'undici gave up retrying; an earlier attempt may have been delivered.')],
  ['UND_ERR_RESPONSE_STATUS_CODE', T(true, 'undici rejected the response status.')],
  ['AbortError', T(true, 'The request was aborted; it may have reached the provider.')],
  ['TimeoutError', T(true, 'The request timed out; it may have reached the provider.')],
  ['ABORT_ERR', T(true, 'The request was aborted; it may have reached the provider.')],
  ['ERR_HTTP2_STREAM_ERROR', T(true, 'The HTTP/2 stream failed; the request may have reached the provider.')],
  ['ERR_HTTP2_STREAM_CANCEL', T(true, 'The HTTP/2 stream was cancelled; the request may have reached the provider.')],
  ['ERR_HTTP2_SESSION_ERROR', T(true, 'The HTTP/2 session failed; the request may have reached the provider.')],
  ['ERR_HTTP2_GOAWAY_SESSION', T(false, 'The HTTP/2 session was going away; the stream was not created.')],
  ['ERR_HTTP2_INVALID_SESSION', T(false, 'The HTTP/2 session was already closed; nothing was sent.')],
  ['ERR_HTTP2_REFUSED_STREAM', T(false, 'The server refused the HTTP/2 stream without processing it.')],
  ['NGHTTP2_REFUSED_STREAM', T(false, 'The server refused the HTTP/2 stream without processing it.')],
  ['ERR_HTTP2_PING_CANCEL', T(true, 'The HTTP/2 session was lost; the request may have reached the provider.')],
  ['ERR_STREAM_PREMATURE_CLOSE', T(true, 'The stream closed early; the request may have reached the provider.')],
]);

/**
 * The transport code of an error-like value: its `code`, its `cause.code` (fetch's "fetch failed",
 * firebase-admin v14 `cause`), or its `name` (AbortError, TimeoutError). A refused HTTP/2 stream is
 * reported by Node as ERR_HTTP2_STREAM_ERROR with NGHTTP2_REFUSED_STREAM in the message.
 */
export function transportCode(error: object): string | undefined {
  const own = codeIn(error);
  if (own !== undefined) return own;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== null && typeof cause === 'object' ? codeIn(cause) : undefined;
}

function codeIn(error: object): string | undefined {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === 'string' && TRANSPORT_CODES.has(e.code) ? e.code : typeof e.name === 'string' && TRANSPORT_CODES.has(e.name) ? e.name : undefined;
  if (code === 'ERR_HTTP2_STREAM_ERROR' && typeof e.message === 'string' && e.message.includes('REFUSED_STREAM')) return 'ERR_HTTP2_REFUSED_STREAM';
  return code;
}

/**
 * Whether an unknown code is in Node's or undici's transport vocabulary (errno `E…`, `EAI_…`,
 * `UND_ERR_…`, `ERR_HTTP2_…`, `ERR_SOCKET_…`, `ERR_STREAM_…`, `ERR_TLS_…`): retried like the table's
 * codes. Only asked after the provider's catalog did not know the code.
 */
export function looksLikeTransportCode(code: string): boolean {
  return /^(?:E[A-Z]{3,}|EAI_[A-Z]+|(?:UND_ERR|ERR_HTTP2|ERR_SOCKET|ERR_STREAM|ERR_TLS)_[A-Z0-9_]+)$/.test(code);
}
