import http2 from 'node:http2';

/**
 * Test helper: sends firebase-admin's HTTP/2 traffic (`sendEach`, `sendEachForMulticast`, v14 topic
 * management) to a local server instead of `https://fcm.googleapis.com`.
 *
 * firebase-admin hard-codes the host and opens every session with `http2.connect(url, opts)` through the
 * `node:http2` module object, so replacing `connect` on that object redirects it (nock cannot: it has no
 * HTTP/2 support). It also fixes the SDK's `':scheme': 'https:'` (trailing colon, from `URL.protocol`),
 * which a Node/nghttp2 server rejects with NGHTTP2_PROTOCOL_ERROR.
 *
 * Loopback only: `target` must be a 127.0.0.0/8, `localhost` or `::1` URL.
 */
export interface Http2RedirectOptions {
  /** Where to connect instead, e.g. `https://127.0.0.1:8443` (TLS) or `http://127.0.0.1:8080` (h2c). */
  target: string | URL;
  /** Which authorities to redirect (origin strings). Default: FCM's send and topic hosts. */
  hosts?: readonly string[];
  /** Extra `http2.connect` options for the target (e.g. `{ ca }`); TLS defaults to `rejectUnauthorized: false`. */
  connectOptions?: http2.SecureClientSessionOptions;
  /** Called for every redirected session (count sessions, inject faults). */
  onSession?: (session: http2.ClientHttp2Session, authority: string) => void;
}

export interface Http2Redirect {
  /** Sessions opened through the redirect so far. */
  readonly sessions: number;
  /** Puts the real `http2.connect` back. Idempotent. */
  restore(): void;
}

export const FCM_HTTP2_HOSTS: readonly string[] = ['https://fcm.googleapis.com', 'https://fcmregistrations.googleapis.com'];

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]|::1)$/;

type Connect = typeof http2.connect;

function originOf(authority: unknown): string {
  try {
    return new URL(String(authority instanceof URL ? authority.href : authority)).origin;
  } catch {
    return String(authority);
  }
}

/** Replaces `http2.connect` (process-wide) until `restore()`. */
export function redirectHttp2(options: Http2RedirectOptions): Http2Redirect {
  const target = new URL(String(options.target));
  if (!LOOPBACK.test(target.hostname)) throw new Error(`redirectHttp2: target must be a loopback address, got ${target.hostname}`);
  const hosts = new Set((options.hosts ?? FCM_HTTP2_HOSTS).map(originOf));
  const real: Connect = http2.connect;
  let sessions = 0;
  let restored = false;

  const connect = function (authority: unknown, ...rest: unknown[]): http2.ClientHttp2Session {
    if (!hosts.has(originOf(authority))) return (real as (...a: unknown[]) => http2.ClientHttp2Session)(authority, ...rest);
    const listener = typeof rest[rest.length - 1] === 'function' ? rest.pop() : undefined;
    const given = (rest[0] && typeof rest[0] === 'object' ? rest[0] : {}) as http2.SecureClientSessionOptions;
    const tls = target.protocol === 'https:';
    const opts: http2.SecureClientSessionOptions = { ...given, ...(tls ? { rejectUnauthorized: false } : {}), ...options.connectOptions };
    const args: unknown[] = [target.origin, opts];
    if (listener) args.push(listener);
    const session = (real as (...a: unknown[]) => http2.ClientHttp2Session)(...args);
    sessions++;
    const request = session.request.bind(session);
    session.request = ((headers?: http2.OutgoingHttpHeaders, reqOpts?: http2.ClientSessionRequestOptions) => {
      const h = headers ? { ...headers } : {};
      if (typeof h[':scheme'] === 'string') h[':scheme'] = h[':scheme'].replace(/:$/, '');
      return request(h, reqOpts);
    }) as typeof session.request;
    options.onSession?.(session, originOf(authority));
    return session;
  } as Connect;

  http2.connect = connect;
  return {
    get sessions() {
      return sessions;
    },
    restore() {
      if (restored) return;
      restored = true;
      if (http2.connect === connect) http2.connect = real;
    },
  };
}
