import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { RETRY_DEFAULTS, resolveRetryOptions } from '../../src/engine/retry-options.js';
import { PROVIDERS } from '../../src/types.js';

describe('resolveRetryOptions', () => {
  it('takes each provider’s defaults.retry from its policy file, then the engine defaults', () => {
    for (const provider of PROVIDERS) {
      const policy = catalog().policies.get(provider)?.defaults?.retry ?? {};
      const o = resolveRetryOptions(provider);
      expect(o.minDelayMs).toBe(policy.minDelayMs ?? RETRY_DEFAULTS.minDelayMs);
      expect(o.initialDelayMs).toBe(policy.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs);
      expect(o.maxDelayMs).toBe(policy.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs);
      expect(o.maxAttempts).toBe(policy.maxAttempts ?? RETRY_DEFAULTS.maxAttempts);
      expect(o.defaultRetryAfterMs).toBe(policy.defaultRetryAfterMs);
    }
    // FCM's documented guidance: never sooner than 10 s; a bare 429 waits 60 s.
    expect(resolveRetryOptions('fcm')).toMatchObject({ minDelayMs: 10_000, defaultRetryAfterMs: 60_000 });
  });

  it('caller options win; bad values are refused with a clear error', () => {
    expect(resolveRetryOptions('fcm', { minDelayMs: 0, jitter: 'none' })).toMatchObject({ minDelayMs: 0, jitter: 'none' });
    expect(() => resolveRetryOptions('fcm', { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions('fcm', { initialDelayMs: -1 })).toThrow(/initialDelayMs/);
    expect(() => resolveRetryOptions('fcm', { jitter: 'weird' as never })).toThrow(/jitter/);
  });
});
