/**
 * `fcmSender(options)`: FCM HTTP v1, one message per request over reused HTTP/2 connections.
 * `send` makes exactly one attempt and resolves with the raw response (status, every header including
 * Retry-After, the full error body with its `details`) for the classifier; the engine owns retries.
 */
import type { SendContext, Target } from '../types.js';
import { createTransport } from '../transport/create.js';
import { AccessTokenCache, type CurrentAccessToken } from './access-token.js';
import type { FcmMessage, FcmResponse, FcmSenderOptions } from './types.js';

export const FCM_ORIGIN = 'https://fcm.googleapis.com';

export interface FcmSender {
  /** One attempt. Resolves with the FCM response (any status); rejects with a `TransportError` when there
   * is none, or with the credential's own error when no access token can be had. */
  send(message: FcmMessage, ctx?: Partial<SendContext>): Promise<FcmResponse>;
  /** The engine's keys: project = project ID, token or topic/condition, credential = `fcm:<credentialId>`. */
  target(message: FcmMessage): Target;
  /** Fetches a new access token after a 401, at most once per token generation. */
  refreshCredential(): Promise<void>;
  close(): Promise<void>;
  readonly credential: string;
  readonly tokens: AccessTokenCache;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.length === 0) return '';
  if (contentType && !contentType.includes('json') && !/^\s*[{[]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function fcmSender(options: FcmSenderOptions): FcmSender {
  if (typeof options.projectId !== 'string' || !/^[a-z0-9][a-z0-9-:.]*$/i.test(options.projectId)) {
    throw new TypeError('Expected `projectId` to be a Firebase project ID.');
  }
  const tokens = new AccessTokenCache(options.credential, options.now ? { now: options.now } : {});
  const credential = `fcm:${options.credentialId ?? options.projectId}`;
  const path = `/v1/projects/${encodeURIComponent(options.projectId)}/messages:send`;
  const transport = createTransport(options.transport ?? 'frames', {
    origin: options.url ?? FCM_ORIGIN,
    connections: options.connections ?? 2,
    timeoutMs: options.timeoutMs ?? 15_000,
    warmUp: true,
    maxImmediateRetries: options.maxImmediateRetries ?? 2,
    maxStreams: options.maxStreams ?? 100,
    pingIntervalMs: 60_000,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const validateOnly = options.validateOnly === true;
  let unauthorizedGeneration = 0;
  /** The authorization header of the current token, built once per token. */
  let authFor: CurrentAccessToken | undefined;
  let authHeader = '';

  async function send(message: FcmMessage, ctx?: Partial<SendContext>): Promise<FcmResponse> {
    const tok = await tokens.get();
    if (tok !== authFor) {
      authFor = tok;
      authHeader = `Bearer ${tok.token}`;
    }
    const body = JSON.stringify(validateOnly ? { validate_only: true, message } : { message });
    const res = await transport.request({ path, headers: { authorization: authHeader, 'content-type': 'application/json; charset=utf-8' }, body }, ctx?.signal);
    if (res.status === 401) {
      unauthorizedGeneration = tok.generation;
      tokens.invalidate(tok.generation);
    }
    // A body cut short is not JSON: keep its start as text, and the status decides.
    const parsed = res.truncated ? res.body : parseBody(res.body, res.headers['content-type']);
    const out: FcmResponse = { provider: 'fcm', status: res.status, headers: res.headers, body: parsed };
    if (res.truncated) out.bodyTruncated = true;
    const name = (parsed as { name?: unknown } | null)?.name;
    if (res.status >= 200 && res.status < 300 && typeof name === 'string') out.messageId = name;
    return out;
  }

  return {
    send,
    target: (m) => {
      const t: Target = { project: options.projectId, credential };
      if (typeof m.token === 'string') t.token = m.token;
      else if (typeof m.topic === 'string') t.topic = m.topic;
      else if (typeof m.condition === 'string') t.topic = m.condition;
      return t;
    },
    refreshCredential: async () => {
      if (unauthorizedGeneration) tokens.invalidate(unauthorizedGeneration);
      await tokens.get();
    },
    close: () => transport.close(),
    credential,
    tokens,
  };
}
