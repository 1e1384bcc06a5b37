/**
 * The public vocabulary of pushback: actions, providers, catalog entries, verdicts and outcomes.
 * Every module speaks these types; nothing here does I/O.
 */

/** What to do about one send result. */
export const ACTIONS = ['ok', 'retry', 'drop-token', 'fix-request', 'fatal'] as const;
export type Action = (typeof ACTIONS)[number];

/** Catalog provider ids; one `policies/<id>.json` each. */
export const PROVIDERS = [
  'fcm',
  'firebase-admin',
  'apns',
  'hms',
  'honor',
  'xiaomi',
  'oppo',
  'vivo',
  'meizu',
  'tencent',
  'infobip',
  'cometchat',
] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value);
}

/** One catalog entry, as loaded from `policies/<provider>.json` (the loader adds `provider`). */
export interface CatalogEntry {
  provider: ProviderId;
  /** The code exactly as the provider writes it (always a string: `"80000000"`, `"10001"`, `"BadDeviceToken"`). */
  code: string;
  action: Action;
  /** HTTP status the provider returns with this code, where known. */
  status: number | null;
  /** One line: what the code means. */
  meaning: string;
  /** What a human should do about it. */
  remedy: string;
  /** `client` for SDK-side codes that a send response never carries. */
  scope: 'server' | 'client';
  /**
   * Where the code is read, for providers where one code means different things in different places
   * (Meizu: `top` = the response's `code`, `target` = a key of the per-target `value` map). Absent = `top`.
   */
  context?: string;
  /** Never retry sooner than this after this code (FCM QUOTA_EXCEEDED: 60000). */
  minRetryDelayMs?: number;
  /** Refresh the credential (JWT, OAuth token), then retry once. */
  refreshCredential?: boolean;
  /** The request may have reached the provider: a retry can duplicate the notification. */
  maybeDelivered?: boolean;
  /** How the classifier tells an ambiguous code apart (prose, shown by `pushback explain`). */
  disambiguation?: string;
  /** SDK codes this provider code surfaces as (e.g. `messaging/registration-token-not-registered`). */
  sdkCodes?: string[];
  /** Where the entry comes from: `seed:<file>` or a documentation URL. */
  source: string;
}

/** Per-provider defaults stored beside the entries in `policies/<provider>.json`. */
export interface ProviderDefaults {
  retry?: {
    /** Never retry sooner than this (FCM: 10000). */
    minDelayMs?: number;
    initialDelayMs?: number;
    maxDelayMs?: number;
    maxAttempts?: number;
    /** When a retryable failure carries no Retry-After and no entry floor: wait at least this (FCM 429: 60000). */
    defaultRetryAfterMs?: number;
    /** Where these numbers come from. */
    source?: string;
  };
  /** Published quotas, as `{ count, perMs }` windows. */
  limits?: {
    project?: RateWindow[];
    device?: RateWindow[];
    topic?: RateWindow[];
  };
}

export interface RateWindow {
  count: number;
  perMs: number;
  /** Where the number comes from. */
  source?: string;
}

/** What the classifier says about one token of a multi-target response. */
export interface TokenVerdict {
  action: Action;
  code: string;
}

/** The classifier's answer. Never contains a device token or credential outside `tokens` keys. */
export interface Verdict {
  provider: ProviderId;
  /** Catalog code, or a synthesized one for unknown failures (`HTTP_502`, `ECONNRESET`, `UNKNOWN`). */
  code: string;
  action: Action;
  /** Earliest retry, in ms after the response; `null` unless action is `retry` and a delay is known. */
  retryAfterMs: number | null;
  /** Whether the code was found in the catalog. */
  known: boolean;
  /** Human-readable, redacted. */
  reason: string;
  /** HTTP status, when there was a response. */
  status?: number;
  refreshCredential?: boolean;
  maybeDelivered?: boolean;
  /** Provider message id on success. */
  messageId?: string;
  /** APNs 410 `timestamp` (ms since epoch): when APNs confirmed the token was no longer valid. */
  tokenInvalidSince?: number;
  /**
   * Per-token actions for responses that report several targets (null-prototype object; keys are raw
   * tokens because the caller needs them to act).
   */
  tokens?: Record<string, TokenVerdict>;
}

export type HeadersLike =
  | Record<string, string | string[] | number | undefined | null>
  | Iterable<[string, string]>
  | { get(name: string): string | null };

/** A raw provider HTTP response. */
export interface ResponseInput {
  provider: ProviderId;
  status?: number;
  headers?: HeadersLike;
  /** String, Buffer/Uint8Array, parsed object or array. */
  body?: unknown;
  /** When the response was received (ms since epoch); default: now. */
  receivedAt?: number;
  /** The targets of the request, for providers that only list the failed ones. */
  targets?: string[];
}

/** An SDK error (firebase-admin, node-apn...) or a transport error (ECONNRESET, AbortError, undici). */
export interface ErrorInput {
  provider: ProviderId;
  error: unknown;
  /** The request had been written before the failure (timeouts, resets): possibly delivered. */
  requestSent?: boolean;
}

export type ClassifyInput = ResponseInput | ErrorInput;

export interface ClassifyOptions {
  /** Clock for HTTP-date Retry-After when the response has no Date header (ms since epoch). */
  now?: number;
  /** Retry-After values above this are treated as absurd and ignored. Default 7 days. */
  maxRetryAfterMs?: number;
}

/** Terminal outcomes: every message ends in exactly one. */
export const OUTCOMES = ['delivered', 'dropped-token', 'rejected', 'fatal', 'expired', 'gave-up'] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

export interface Outcome<M = unknown> {
  outcome: OutcomeKind;
  message: M;
  /** Attempts made, counting the first. */
  attempts: number;
  /** One verdict per attempt, in order. */
  verdicts: Verdict[];
  messageId?: string;
  /** The last failure happened after the request was written. */
  maybeDelivered?: boolean;
  /** For `gave-up` on a Retry-After above `maxRetryAfterMs`: the delay the server asked for. */
  retryAfterMs?: number;
  /** Milliseconds from the first attempt to the outcome. */
  elapsedMs: number;
}

/** Who a message goes to: the keys for limits, cool-downs, circuits and pruning. */
export interface Target {
  /** Provider project / app id (FCM project, APNs topic+team, HMS app id...). */
  project: string;
  /** Device token, for single-device sends. */
  token?: string;
  /** Topic or condition, for fan-out sends. */
  topic?: string;
  /** Identity of the credential in use (key id, service account...) for the fatal circuit and the prune valve. Not the secret. */
  credential?: string;
}

/** What a send function receives besides the message. Read-only: a first attempt gets a shared, frozen object. */
export interface SendContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly signal: AbortSignal;
}
