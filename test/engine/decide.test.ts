import { describe, expect, it } from 'vitest';
import { decide, retryFloorMs } from '../../src/engine/decide.js';
import { RETRY_DEFAULTS } from '../../src/engine/retry-options.js';
import { seededRandom } from '../../src/engine/backoff.js';
import type { DecideContext, RetryOptions } from '../../src/engine/types.js';
import type { Verdict } from '../../src/types.js';

const T0 = 1_700_000_000_000;
const opts = (o: Partial<RetryOptions> = {}): RetryOptions => ({ ...RETRY_DEFAULTS, ...o });
const ctx = (c: Partial<DecideContext> = {}): DecideContext => ({
  attempt: 1,
  now: T0,
  startedAt: T0,
  collapsible: false,
  options: opts(),
  random: () => 0.5,
  ...c,
});
const v = (x: Partial<Verdict> = {}): Verdict => ({
  provider: 'fcm',
  code: 'UNAVAILABLE',
  action: 'retry',
  retryAfterMs: null,
  known: true,
  reason: 'r',
  ...x,
});

describe('decide', () => {
  it('maps terminal actions to outcomes', () => {
    expect(decide(v({ action: 'ok', code: 'OK' }), ctx())).toMatchObject({ kind: 'stop', outcome: 'delivered' });
    expect(decide(v({ action: 'drop-token' }), ctx())).toMatchObject({ kind: 'stop', outcome: 'dropped-token' });
    expect(decide(v({ action: 'fix-request' }), ctx())).toMatchObject({ kind: 'stop', outcome: 'rejected' });
    expect(decide(v({ action: 'fatal' }), ctx())).toMatchObject({ kind: 'stop', outcome: 'fatal' });
  });

  it('retries with a jittered backoff within bounds (seeded)', () => {
    const random = seededRandom(3);
    for (let attempt = 1; attempt < 5; attempt++) {
      for (let i = 0; i < 500; i++) {
        const d = decide(v(), ctx({ attempt, random }));
        if (d.kind !== 'retry') throw new Error('expected retry');
        expect(d.delayMs).toBeGreaterThanOrEqual(0);
        expect(d.delayMs).toBeLessThanOrEqual(1000 * 2 ** (attempt - 1));
      }
    }
  });

  it('maxAttempts counts the first attempt', () => {
    const o = opts({ maxAttempts: 3 });
    expect(decide(v(), ctx({ attempt: 2, options: o })).kind).toBe('retry');
    expect(decide(v(), ctx({ attempt: 3, options: o }))).toMatchObject({ kind: 'stop', outcome: 'gave-up' });
    expect(decide(v(), ctx({ attempt: 1, options: opts({ maxAttempts: 1 }) }))).toMatchObject({ kind: 'stop', outcome: 'gave-up' });
  });

  it('never waits less than Retry-After; jitter only adds', () => {
    for (const r of [0, 0.3, 0.999]) {
      const d = decide(v({ retryAfterMs: 7321 }), ctx({ random: () => r, options: opts({ jitter: 'full' }) }));
      expect(d).toMatchObject({ kind: 'retry' });
      if (d.kind === 'retry') expect(d.delayMs).toBe(7321); // backoff ceiling 1000 < 7321
    }
    // A backoff larger than the Retry-After wins (it only adds).
    const d = decide(v({ retryAfterMs: 500 }), ctx({ attempt: 4, random: () => 0.99, options: opts({ jitter: 'none' }) }));
    expect(d).toMatchObject({ kind: 'retry', delayMs: 8000 });
  });

  it('applies the provider minimum and the default Retry-After of a bare 429', () => {
    const o = opts({ minDelayMs: 10_000, defaultRetryAfterMs: 60_000 });
    expect(decide(v(), ctx({ options: o, random: () => 0 }))).toMatchObject({ kind: 'retry', delayMs: 10_000 });
    expect(decide(v({ status: 429 }), ctx({ options: o }))).toMatchObject({ kind: 'retry', delayMs: 60_000 });
    expect(decide(v({ status: 429, retryAfterMs: 12_000 }), ctx({ options: o }))).toMatchObject({ kind: 'retry', delayMs: 12_000 });
    expect(retryFloorMs(v({ retryAfterMs: 3000 }), o)).toBe(10_000);
    expect(retryFloorMs(v({ retryAfterMs: 1000.2 }), opts())).toBe(1001);
  });

  it('a Retry-After above maxRetryAfterMs gives up and hands the delay over', () => {
    const d = decide(v({ retryAfterMs: 3_600_000 }), ctx({ options: opts({ maxRetryAfterMs: 900_000 }) }));
    expect(d).toMatchObject({ kind: 'stop', outcome: 'gave-up', retryAfterMs: 3_600_000 });
  });

  it('a retry that would land after the deadline is not made', () => {
    expect(decide(v({ retryAfterMs: 5000 }), ctx({ deadline: T0 + 4999 }))).toMatchObject({ kind: 'stop', outcome: 'expired' });
    expect(decide(v({ retryAfterMs: 5000 }), ctx({ deadline: T0 + 5000 }))).toMatchObject({ kind: 'retry', delayMs: 5000 });
    // The deadline wins over the long-Retry-After policy.
    expect(decide(v({ retryAfterMs: 3_600_000 }), ctx({ deadline: T0 + 60_000 }))).toMatchObject({ outcome: 'expired' });
  });

  it('maxElapsedMs bounds the whole run', () => {
    const o = opts({ maxElapsedMs: 10_000 });
    expect(decide(v({ retryAfterMs: 2000 }), ctx({ now: T0 + 8001, options: o }))).toMatchObject({ kind: 'stop', outcome: 'gave-up' });
    expect(decide(v({ retryAfterMs: 2000 }), ctx({ now: T0 + 8000, options: o }))).toMatchObject({ kind: 'retry' });
  });

  it('maybe-delivered failures follow retryMaybeDelivered', () => {
    const md = v({ code: 'ETIMEDOUT', maybeDelivered: true });
    expect(decide(md, ctx())).toMatchObject({ kind: 'stop', outcome: 'gave-up' });
    expect(decide(md, ctx({ collapsible: true })).kind).toBe('retry');
    expect(decide(md, ctx({ collapsible: true, options: opts({ retryMaybeDelivered: 'never' }) }))).toMatchObject({ outcome: 'gave-up' });
    expect(decide(md, ctx({ options: opts({ retryMaybeDelivered: 'always' }) })).kind).toBe('retry');
  });

  it('refreshCredential verdicts retry once, at once, then stop as fatal', () => {
    const rc = v({ code: 'ExpiredProviderToken', provider: 'apns', refreshCredential: true, status: 403 });
    expect(decide(rc, ctx({ refreshes: 0, options: opts({ minDelayMs: 10_000 }) }))).toMatchObject({ kind: 'retry', delayMs: 0 });
    expect(decide(rc, ctx({ refreshes: 1 }))).toMatchObject({ kind: 'stop', outcome: 'fatal' });
    // Even when the catalog marks the code fatal, the one refresh retry happens first.
    expect(decide({ ...rc, action: 'fatal' }, ctx({ refreshes: 0 })).kind).toBe('retry');
    expect(decide({ ...rc, action: 'fatal' }, ctx({ refreshes: 1 }))).toMatchObject({ outcome: 'fatal' });
  });

  it('is pure: same input, same decision', () => {
    const c = ctx({ random: seededRandom(9), attempt: 2 });
    const a = decide(v(), { ...c, random: seededRandom(9) });
    const b = decide(v(), { ...c, random: seededRandom(9) });
    expect(a).toEqual(b);
  });
});
