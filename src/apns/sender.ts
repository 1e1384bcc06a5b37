/**
 * `apnsSender(options)`: one APNs credential (team + key + environment) and its connections.
 * `send` makes exactly one attempt and resolves with the raw response for the classifier; retries,
 * backoff, pruning and limits belong to the engine (`createSender`), which this plugs into:
 *
 *   const apns = apnsSender({ ... });
 *   const sender = createSender(apns.send, { provider: 'apns', target: apns.target, refreshCredential: apns.refreshCredential });
 */
import type { SendContext, Target } from '../types.js';
import { createTransport } from '../transport/create.js';
import type { Transport } from '../transport/types.js';
import { ProviderTokenCache, type CurrentToken } from './provider-token.js';
import { buildApnsRequest } from './request.js';
import { APNS_HOSTS, type ApnsNotification, type ApnsResponse, type ApnsSenderOptions } from './types.js';

export interface ApnsSender {
  /** One attempt. Resolves with the APNs response (any status); rejects with a `TransportError` when there is none. */
  send(notification: ApnsNotification, ctx?: Partial<SendContext>): Promise<ApnsResponse>;
  /** The engine's keys for a notification: project = team/topic, credential = `apns:<team>:<key>:<environment>`. */
  target(notification: ApnsNotification): Target;
  /** Regenerates the provider token after ExpiredProviderToken, at most once per token generation. */
  refreshCredential(): Promise<void>;
  /** Closes the connections after in-flight requests finish. */
  close(): Promise<void>;
  /** `apns:<teamId>:<keyId>:<environment>`: who sends, never the secret. */
  readonly credential: string;
  readonly tokens: ProviderTokenCache;
}

/** Reads `{reason, timestamp}` from an APNs error body; `timestamp` may be a number or a numeric string. */
export function parseApnsBody(text: string): { body: unknown; reason?: string; timestamp?: number } {
  if (text.length === 0) return { body: '' };
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    return { body };
  }
  const out: { body: unknown; reason?: string; timestamp?: number } = { body };
  if (body && typeof body === 'object') {
    const { reason, timestamp } = body as { reason?: unknown; timestamp?: unknown };
    if (typeof reason === 'string') out.reason = reason;
    const ts = typeof timestamp === 'string' && /^\d+$/.test(timestamp) ? Number(timestamp) : timestamp;
    if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0) out.timestamp = ts;
  }
  return out;
}

export function apnsSender(options: ApnsSenderOptions): ApnsSender {
  if (options.environment !== 'production' && options.environment !== 'sandbox') {
    throw new TypeError("Expected `environment` to be 'production' or 'sandbox' (a token works in one of them only).");
  }
  const tokens = new ProviderTokenCache({
    key: options.key,
    keyId: options.keyId,
    teamId: options.teamId,
    ...(options.tokenRefreshMs !== undefined ? { refreshMs: options.tokenRefreshMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const credential = `apns:${options.teamId}:${options.keyId}:${options.environment}`;
  const transport: Transport = createTransport(options.transport ?? 'frames', {
    origin: options.url ?? APNS_HOSTS[options.environment],
    connections: options.connections ?? 2,
    timeoutMs: options.timeoutMs ?? 10_000,
    warmUp: true,
    maxImmediateRetries: options.maxImmediateRetries ?? 2,
    pingIntervalMs: options.pingIntervalMs ?? 60_000,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  /** The generation APNs last called expired (for `refreshCredential`). */
  let expiredGeneration = 0;
  /** The authorization header of the current token, built once per token. */
  let authFor: CurrentToken | undefined;
  let authHeader = '';

  async function send(notification: ApnsNotification, ctx?: Partial<SendContext>): Promise<ApnsResponse> {
    const req = buildApnsRequest(notification, options.topic);
    if (!req.ok) {
      return {
        provider: 'apns',
        status: req.status,
        headers: req.apnsId ? { 'apns-id': req.apnsId } : {},
        body: { reason: req.reason, detail: req.detail },
        apnsId: req.apnsId,
        reason: req.reason,
        local: true,
      };
    }
    const tok = tokens.current();
    if (tok !== authFor) {
      authFor = tok;
      authHeader = `bearer ${tok.token}`;
    }
    req.headers.authorization = authHeader;
    const res = await transport.request(req, ctx?.signal);
    // A body cut short is not JSON: keep its start as text, and the status decides.
    const parsed: ReturnType<typeof parseApnsBody> = res.truncated ? { body: res.body } : parseApnsBody(res.body);
    if (res.status === 403 && parsed.reason === 'ExpiredProviderToken') {
      expiredGeneration = tok.generation;
      tokens.expired(tok.generation);
    }
    const out: ApnsResponse = { provider: 'apns', status: res.status, headers: res.headers, body: parsed.body, apnsId: res.headers['apns-id'] ?? req.apnsId };
    if (parsed.reason !== undefined) out.reason = parsed.reason;
    if (parsed.timestamp !== undefined && res.status === 410) out.timestamp = parsed.timestamp;
    if (res.truncated) out.bodyTruncated = true;
    return out;
  }

  return {
    send,
    target: (n) => ({ project: `${options.teamId}/${n.topic ?? options.topic ?? ''}`, token: n.token, credential }),
    refreshCredential: async () => {
      if (expiredGeneration) tokens.expired(expiredGeneration);
    },
    close: () => transport.close(),
    credential,
    tokens,
  };
}
