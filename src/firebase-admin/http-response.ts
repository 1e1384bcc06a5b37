import type { RequestHandlerLike, SdkInfo } from './sdk.js';

/**
 * firebase-admin 12/13 drop the HTTP response (status, headers, body) when they turn it into a
 * `FirebaseMessagingError`: Retry-After and the error details are unreachable (firebase-admin-node #43,
 * #756, #2394). 14 adds `error.httpResponse = { status, headers, data }`. This gives 12/13 the same
 * field, so the classifier sees Retry-After and can tell a bad token from a bad payload by the details.
 *
 * It wraps three methods of the private request handler of one `Messaging` instance (only when the
 * layout is the tested one, see `inspectSdk`): `buildSendResponse` and `buildSendResponseFromError`
 * (per message of `sendEach`, both transports) and `invokeRequestHandler` (`send()` and topic
 * management). The field is non-enumerable, so `toJSON()` and logs are unchanged.
 */
export interface HttpResponseLike {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}

interface SdkResponse {
  status?: unknown;
  headers?: unknown;
  text?: unknown;
  isJson?: () => boolean;
  data?: unknown;
}

function toHttpResponse(raw: unknown): HttpResponseLike | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as SdkResponse;
  if (typeof r.status !== 'number') return undefined;
  let data: unknown;
  try {
    data = typeof r.isJson === 'function' && r.isJson() ? r.data : r.text;
  } catch {
    data = r.text;
  }
  const headers = r.headers && typeof r.headers === 'object' ? (r.headers as Record<string, unknown>) : {};
  return { status: r.status, headers, data };
}

function attach(error: unknown, raw: unknown): void {
  if (!error || typeof error !== 'object' || 'httpResponse' in error) return;
  const value = toHttpResponse(raw);
  if (value) Object.defineProperty(error, 'httpResponse', { value, enumerable: false, configurable: true, writable: true });
}

/**
 * Request handlers that carry the polyfill, and how many wrappers hold it: `getMessaging(app)` returns
 * one shared instance, so it is installed once and removed when the last wrapper lets go.
 */
const installed = new WeakMap<object, { holders: number; remove: () => void }>();

/** Installs the polyfill on the instance behind `info`; returns the function that lets go of it. */
export function polyfillHttpResponse(info: SdkInfo): () => void {
  const handler = info.handler;
  if (!handler || info.nativeHttpResponse) return () => {};
  let held = installed.get(handler);
  if (held) held.holders++;
  else {
    held = { holders: 1, remove: install(handler as RequestHandlerLike & Record<string, unknown>) };
    installed.set(handler, held);
  }
  const entry = held;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--entry.holders > 0) return;
    installed.delete(handler);
    entry.remove();
  };
}

/** Wraps the three methods; returns the function that puts the originals back. */
function install(h: RequestHandlerLike & Record<string, unknown>): () => void {
  const originals = {
    buildSendResponse: h.buildSendResponse,
    buildSendResponseFromError: h.buildSendResponseFromError,
    invokeRequestHandler: h.invokeRequestHandler,
  };
  const own = new Set(Object.keys(originals).filter((k) => Object.prototype.hasOwnProperty.call(h, k)));
  if (typeof originals.buildSendResponse === 'function') {
    const orig = originals.buildSendResponse;
    h.buildSendResponse = function (response: unknown) {
      const result = orig.call(this, response);
      if (result && !result.success) attach(result.error, response);
      return result;
    };
  }
  if (typeof originals.buildSendResponseFromError === 'function') {
    const orig = originals.buildSendResponseFromError;
    h.buildSendResponseFromError = function (err: unknown) {
      const result = orig.call(this, err);
      if (result && !result.success) attach(result.error, (err as { response?: unknown } | null)?.response);
      return result;
    };
  }
  const origInvoke = originals.invokeRequestHandler;
  h.invokeRequestHandler = function (this: RequestHandlerLike, host: string, path: string, data: unknown) {
    // The original calls `this.httpClient.send(request)` synchronously: capture what it answers.
    const client = this.httpClient;
    const send = client.send;
    let answered: unknown;
    client.send = (config: unknown) => {
      const p = send.call(client, config);
      p.then(
        (r) => (answered = r),
        (e: { response?: unknown } | null) => (answered = e?.response),
      );
      return p;
    };
    let pending: Promise<unknown>;
    try {
      pending = origInvoke.call(this, host, path, data);
    } finally {
      client.send = send;
    }
    return pending.catch((err: unknown) => {
      attach(err, answered);
      throw err;
    });
  };
  return () => {
    for (const [k, v] of Object.entries(originals)) {
      if (own.has(k)) h[k] = v;
      else delete h[k];
    }
  };
}
