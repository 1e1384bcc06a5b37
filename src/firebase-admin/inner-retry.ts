import type { RetryConfigLike, SdkInfo } from './sdk.js';

/**
 * firebase-admin retries 503, ECONNRESET and ETIMEDOUT by itself, below pushback: up to 4 retries at
 * 0, 1, 2, 4 s, no jitter, and none at all when Retry-After is above 60 s. There is no public switch.
 *
 * - `off`: set the private `messagingRequestHandler.httpClient.retry` and `.http2Client.retry` to null
 *   (then one SDK call = one request, and pushback's backoff, jitter, floors and cool-downs own every
 *   retry). Throws when the private layout is not the tested one.
 * - `keep`: leave them on and count each pushback attempt as up to `1 + maxRetries` requests, so the
 *   total stays within the budget: pushback makes `floor(budget / (1 + maxRetries))` attempts (at least 1).
 * - `auto` (default): `off` when the layout is the tested one, else `keep`.
 */
export type SdkRetryMode = 'auto' | 'off' | 'keep';

/** firebase-admin's `defaultRetryConfig().maxRetries` in 12.x to 14.x. */
export const SDK_DEFAULT_MAX_RETRIES = 4;

export interface InnerRetryPlan {
  /** What was done. */
  mode: 'off' | 'keep';
  /** Requests one SDK call can make at most. */
  requestsPerCall: number;
  /** pushback attempts per message, so that `requestsPerCall × attempts ≤ budget`. */
  attempts: number;
  /** Why `auto` kept them, if it did. */
  reason?: string;
  /** Puts back the SDK's retry configs (only those still switched off by us). */
  restore(): void;
}

/** Requests per attempt when the SDK's retries are on. */
export function requestsPerCall(info: SdkInfo): number {
  const configs = (info.retryClients ?? []).map((c) => c.retry).filter((r): r is RetryConfigLike => !!r);
  const maxRetries = configs.length ? Math.max(...configs.map((r) => r.maxRetries)) : SDK_DEFAULT_MAX_RETRIES;
  return 1 + Math.max(0, maxRetries);
}

/**
 * Wrappers that switched a client's retries off, and the config to put back when the last one lets go:
 * `getMessaging(app)` returns one shared instance, so two wrappers of it must not undo each other.
 */
const switchedOff = new WeakMap<object, { holders: number; retry: RetryConfigLike | null | undefined }>();

/** Applies `mode` to the instance behind `info` for a budget of `budget` requests per message. */
export function applyInnerRetry(info: SdkInfo, mode: SdkRetryMode, budget: number): InnerRetryPlan {
  const total = Math.max(1, Math.floor(budget));
  if (mode !== 'keep' && info.retryClients) {
    const clients = info.retryClients;
    for (const client of clients) {
      const held = switchedOff.get(client);
      if (held) held.holders++;
      else switchedOff.set(client, { holders: 1, retry: client.retry });
      client.retry = null;
    }
    let restored = false;
    return {
      mode: 'off',
      requestsPerCall: 1,
      attempts: total,
      restore() {
        if (restored) return;
        restored = true;
        for (const client of clients) {
          const held = switchedOff.get(client);
          if (!held || --held.holders > 0) continue;
          switchedOff.delete(client);
          if (client.retry === null) client.retry = held.retry; // unless someone else set one since
        }
      },
    };
  }
  if (mode === 'off') {
    throw new Error(`pushback: cannot switch firebase-admin's own retries off: ${info.unsupportedReason ?? 'unknown layout'}`);
  }
  const perCall = requestsPerCall(info);
  return {
    mode: 'keep',
    requestsPerCall: perCall,
    attempts: Math.max(1, Math.floor(total / perCall)),
    ...(mode === 'auto' ? { reason: info.unsupportedReason } : {}),
    restore() {},
  };
}
