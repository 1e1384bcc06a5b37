import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RETRY_AFTER_MS, parseDuration, parseRetryAfter, retryAfterMs } from '../../src/classify/retry-after.js';
import type { CatalogEntry } from '../../src/types.js';

const NOW = Date.parse('Sun, 22 Nov 2026 08:00:00 GMT');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(' 7 ')).toBe(7_000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1_500);
    expect(parseRetryAfter(42)).toBe(42_000);
  });

  it('measures an HTTP-date against the response Date header when there is one', () => {
    const date = 'Sun, 22 Nov 2026 08:00:00 GMT';
    expect(parseRetryAfter('Sun, 22 Nov 2026 08:00:30 GMT', { date, now: NOW + 3_600_000 })).toBe(30_000);
  });

  it('measures an HTTP-date against the given clock without a Date header', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 08:01:00 GMT', { now: NOW })).toBe(60_000);
    expect(parseRetryAfter('Sunday, 22-Nov-26 08:01:00 GMT', { now: NOW })).toBe(60_000); // RFC 850
    expect(parseRetryAfter('Sun Nov 22 08:01:00 2026', { now: NOW - new Date(NOW).getTimezoneOffset() * 60_000 })).toBeTypeOf('number'); // asctime
  });

  it('treats a date in the past as "now" and an unusable Date header as absent', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 07:59:00 GMT', { now: NOW })).toBe(0);
    expect(parseRetryAfter('Sun, 22 Nov 2026 08:00:10 GMT', { date: 'garbage', now: NOW })).toBe(10_000);
  });

  it.each([
    ['-5'],
    ['abc'],
    ['NaN'],
    ['Infinity'],
    ['1e309'],
    ['1e3'],
    ['0x10'],
    [''],
    ['   '],
    ['9'.repeat(40_000)],
    ['Thu, 01 Jan 1970 00:00:00 GMT'],
    ['Fri, 01 Jan 9999 00:00:00 GMT'],
    ['12 apples'],
  ])('ignores garbage %#', (value) => {
    expect(parseRetryAfter(value, { now: NOW })).toBeUndefined();
  });

  it('ignores non-finite, negative and absurd numbers and values above the limit', () => {
    for (const v of [NaN, -1, Infinity, -Infinity, 1e309]) expect(parseRetryAfter(v)).toBeUndefined();
    expect(parseRetryAfter(String(DEFAULT_MAX_RETRY_AFTER_MS / 1000 + 1))).toBeUndefined();
    expect(parseRetryAfter('600', { maxMs: 60_000 })).toBeUndefined();
    expect(parseRetryAfter('60', { maxMs: 60_000 })).toBe(60_000);
    expect(parseRetryAfter({} as unknown)).toBeUndefined();
  });
});

describe('parseDuration (google.rpc.RetryInfo)', () => {
  it('reads JSON durations and {seconds, nanos}', () => {
    expect(parseDuration('12.5s')).toBe(12_500);
    expect(parseDuration('3s')).toBe(3_000);
    expect(parseDuration({ seconds: '2', nanos: 500_000_000 })).toBe(2_500);
    expect(parseDuration({ seconds: 4 })).toBe(4_000);
  });
  it('ignores garbage', () => {
    for (const v of ['12', 's', '-1s', 'NaNs', '1e309s', { seconds: -1 }, { seconds: 'x' }, null, 5]) expect(parseDuration(v)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const entry = { minRetryDelayMs: 60_000 } as CatalogEntry;
  it('takes the larger of the server value and the entry floor', () => {
    expect(retryAfterMs({ serverMs: 5_000, entry })).toBe(60_000);
    expect(retryAfterMs({ serverMs: 120_000, entry })).toBe(120_000);
    expect(retryAfterMs({ serverMs: 5_000 })).toBe(5_000);
  });
  it('applies the provider default only to rate limits without a server value', () => {
    expect(retryAfterMs({ serverMs: undefined, rateLimited: true, defaultRetryAfterMs: 60_000 })).toBe(60_000);
    expect(retryAfterMs({ serverMs: 1_000, rateLimited: true, defaultRetryAfterMs: 60_000 })).toBe(1_000);
    expect(retryAfterMs({ serverMs: undefined, rateLimited: false, defaultRetryAfterMs: 60_000 })).toBeNull();
  });
  it('is null when nothing is known and never negative or NaN', () => {
    expect(retryAfterMs({ serverMs: undefined })).toBeNull();
    expect(retryAfterMs({ serverMs: -5 })).toBeNull();
    expect(retryAfterMs({ serverMs: NaN })).toBeNull();
  });
});
