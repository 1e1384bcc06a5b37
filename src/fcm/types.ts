import type { ConnectionOptions } from 'node:tls';
import type { ProviderResponse } from '../transport/types.js';
import type { AccessTokenSource } from './access-token.js';

/**
 * An FCM HTTP v1 `Message` (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages),
 * sent as is: exactly one of `token`, `topic`, `condition`.
 */
export interface FcmMessage {
  token?: string;
  topic?: string;
  condition?: string;
  name?: string;
  data?: Record<string, string>;
  notification?: { title?: string; body?: string; image?: string };
  android?: { collapse_key?: string; collapseKey?: string; ttl?: string; priority?: 'NORMAL' | 'HIGH' | 'normal' | 'high'; [k: string]: unknown };
  apns?: { headers?: Record<string, string>; payload?: Record<string, unknown>; [k: string]: unknown };
  webpush?: Record<string, unknown>;
  fcm_options?: Record<string, unknown>;
  fcmOptions?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface FcmSenderOptions {
  /** The Firebase / Google Cloud project ID. */
  projectId: string;
  /** Anything with `getAccessToken()`: `admin.credential.cert(sa)`, `applicationDefault()`, a `GoogleAuth` client. */
  credential: AccessTokenSource;
  /** A name for the credential in the engine's circuit and prune valve keys (e.g. the service account
   * email). Default: the project ID. Never the secret. */
  credentialId?: string;
  /** Override the endpoint (tests): `https://127.0.0.1:8443`. Default `https://fcm.googleapis.com`. */
  url?: string;
  tls?: ConnectionOptions;
  /** Connections to keep. Default 2. */
  connections?: number;
  /** Per-request timeout, ms. Default 15000 (Google: at least 10 s). */
  timeoutMs?: number;
  /** `frames` (default: pushback's own HTTP/2 framing over node:tls), `http2` (node:http2 sessions) or `undici`
   * (Pool, HTTP/2 through ALPN or HTTP/1.1 keep-alive). See README "Transports". */
  transport?: 'frames' | 'http2' | 'undici';
  /** Immediate re-sends of requests that never reached FCM (refused stream, GOAWAY). Default 2. */
  maxImmediateRetries?: number;
  /** Streams per connection for undici's `pipelining`. Default 100. */
  maxStreams?: number;
  /** `validate_only`: FCM checks the message without delivering it. */
  validateOnly?: boolean;
  now?: () => number;
}

/** What `send` resolves with: the raw FCM response for the classifier (provider `fcm`). */
export interface FcmResponse extends ProviderResponse<'fcm'> {
  /** Parsed JSON (`{ name }` or `{ error: { code, message, status, details } }`) or the raw text (HTML from a proxy...). */
  body: unknown;
  /** `projects/<id>/messages/<id>` on success. */
  messageId?: string;
}
