import type { ConnectionOptions } from 'node:tls';
import type { ProviderResponse } from '../transport/types.js';
import type { KeyObject } from 'node:crypto';

/** `apns-push-type` values (Apple, "Sending notification requests to APNs"). */
export const APNS_PUSH_TYPES = [
  'alert',
  'background',
  'complication',
  'controls',
  'fileprovider',
  'liveactivity',
  'location',
  'mdm',
  'pushtotalk',
  'voip',
  'widgets',
] as const;
export type ApnsPushType = (typeof APNS_PUSH_TYPES)[number];

export type ApnsEnvironment = 'production' | 'sandbox';

export const APNS_HOSTS: Readonly<Record<ApnsEnvironment, string>> = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
};

/** One notification to one device. */
export interface ApnsNotification {
  /** Hex device token. */
  token: string;
  /** The JSON payload (`{ aps: {...}, ...custom }`) or its serialized form. */
  payload: Record<string, unknown> | string | Buffer;
  /** `apns-push-type`. Default `alert`. */
  pushType?: ApnsPushType;
  /** `apns-topic`. Default: the sender's `topic` plus the push type's suffix (`.voip`, `.complication`...). */
  topic?: string;
  /** `apns-id` (UUID). Default: none; APNs assigns one and returns it (`ApnsResponse.apnsId`). */
  id?: string;
  /** `apns-expiration`, UNIX seconds; `0` = deliver once or drop. Also the engine's deadline. */
  expiration?: number;
  /** `apns-priority`: 10 (default at APNs), 5, or 1. */
  priority?: 10 | 5 | 1;
  /** `apns-collapse-id` (at most 64 bytes). */
  collapseId?: string;
}

/** Token (JWT) credentials: the `.p8` key from the Apple developer account. */
export interface ApnsTokenKey {
  /** PEM text of the `.p8` key, or a `KeyObject`. */
  key: string | Buffer | KeyObject;
  /** 10-character Key ID. */
  keyId: string;
  /** 10-character Team ID. */
  teamId: string;
}

export interface ApnsSenderOptions extends ApnsTokenKey {
  /** Which APNs: part of the credential's identity (sandbox tokens are `BadDeviceToken` in production). */
  environment: ApnsEnvironment;
  /** Default `apns-topic` base: the app's bundle ID. */
  topic?: string;
  /** Override the host (tests, proxies): `https://127.0.0.1:8443`. The environment still names the credential. */
  url?: string;
  /** TLS options for the connection (`ca` for a test server: note that `ca` replaces the system roots). */
  tls?: ConnectionOptions;
  /** HTTP/2 connections to keep. Default 2. */
  connections?: number;
  /** Per-request timeout, ms. Default 10000. */
  timeoutMs?: number;
  /** `frames` (default: pushback's own HTTP/2 framing over node:tls, ~6x less CPU per request than node:http2),
   * `http2` (node:http2 sessions) or `undici`. `frames` and `http2` are GOAWAY-precise; see README "Transports". */
  transport?: 'frames' | 'http2' | 'undici';
  /** Immediate re-sends of requests that never reached APNs (refused stream, GOAWAY). Default 2. */
  maxImmediateRetries?: number;
  /** PING idle connections this often, ms. Default 60000; 0 = never. */
  pingIntervalMs?: number;
  /** Regenerate the JWT after this long, ms (Apple: between 20 and 60 minutes). Default 50 minutes. */
  tokenRefreshMs?: number;
  /** Clock for the JWT's `iat` and refresh, ms since epoch. Default `Date.now`. */
  now?: () => number;
}

/** What `send` resolves with: the raw APNs response for the classifier (provider `apns`). */
export interface ApnsResponse extends ProviderResponse<'apns'> {
  /** Parsed JSON body (`{ reason, timestamp? }`) or the raw text; `''` on success. */
  body: unknown;
  /** The `apns-id` APNs answered with (yours, or the one it assigned); `''` when rejected locally without an id. */
  apnsId: string;
  /** `reason` from the body, when there is one. */
  reason?: string;
  /** 410 only: ms since epoch at which APNs confirmed the token was no longer valid for the topic. */
  timestamp?: number;
  /** Rejected before sending (payload too large, bad header value): no request was made. */
  local?: boolean;
}
