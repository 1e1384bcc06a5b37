import { catalog } from '../catalog/catalog.js';
import type { ProviderId } from '../types.js';
import type { RetryOptions } from './types.js';

/** Engine-wide fallbacks, used when neither the caller nor the provider's policy sets a value. */
export const RETRY_DEFAULTS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  factor: 2,
  jitter: 'full',
  minDelayMs: 0,
  maxRetryAfterMs: 15 * 60_000,
  maxElapsedMs: 60 * 60_000,
  retryMaybeDelivered: 'collapsible',
});

/** Caller options over the provider's `defaults.retry` (from `policies/<provider>.json`) over `RETRY_DEFAULTS`. */
export function resolveRetryOptions(provider: ProviderId, overrides: Partial<RetryOptions> = {}): RetryOptions {
  const fromPolicy = catalog().policies.get(provider)?.defaults?.retry ?? {};
  const merged: RetryOptions = { ...RETRY_DEFAULTS };
  for (const k of ['minDelayMs', 'initialDelayMs', 'maxDelayMs', 'maxAttempts', 'defaultRetryAfterMs'] as const) {
    const v = fromPolicy[k];
    if (typeof v === 'number') merged[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  if (!(merged.maxAttempts >= 1)) throw new RangeError(`retry.maxAttempts must be >= 1, got ${merged.maxAttempts}`);
  for (const k of ['initialDelayMs', 'maxDelayMs', 'minDelayMs', 'maxRetryAfterMs', 'maxElapsedMs'] as const) {
    if (!(merged[k] >= 0)) throw new RangeError(`retry.${k} must be a number >= 0, got ${String(merged[k])}`);
  }
  if (!(merged.factor >= 1)) throw new RangeError(`retry.factor must be >= 1, got ${merged.factor}`);
  if (!['full', 'decorrelated', 'none'].includes(merged.jitter)) throw new RangeError(`retry.jitter must be full, decorrelated or none`);
  if (!['never', 'collapsible', 'always'].includes(merged.retryMaybeDelivered)) {
    throw new RangeError(`retry.retryMaybeDelivered must be never, collapsible or always`);
  }
  return merged;
}
