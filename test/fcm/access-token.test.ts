import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessTokenCache, normalizeAccessToken } from '../../src/fcm/access-token.js';

describe('normalizeAccessToken', () => {
  it('reads firebase-admin, GoogleAuth and OAuth2Client shapes', () => {
    expect(normalizeAccessToken({ access_token: 'a', expires_in: 3600 }, 1000)).toEqual({ token: 'a', expiresAt: 1000 + 3_600_000 });
    expect(normalizeAccessToken('b', 0)).toEqual({ token: 'b' });
    expect(normalizeAccessToken({ token: 'c', res: {} }, 0)).toEqual({ token: 'c' });
    expect(normalizeAccessToken({ token: 'd', expiry_date: 5000 }, 1000)).toEqual({ token: 'd', expiresAt: 5000 });
  });
  it('throws a clear error on an empty answer', () => {
    expect(() => normalizeAccessToken(null, 0)).toThrow(/no access token/);
    expect(() => normalizeAccessToken({ access_token: '' }, 0)).toThrow(/no access token/);
  });
});

describe('AccessTokenCache', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: 0 }));
  afterEach(() => vi.useRealTimers());

  function source() {
    let n = 0;
    const calls = { count: 0 };
    const src = {
      getAccessToken: vi.fn(async () => {
        calls.count++;
        return { access_token: `t${++n}`, expires_in: 3600 };
      }),
    };
    return { src, calls };
  }

  it('fetches once for concurrent callers and reuses the token until 5 minutes before expiry', async () => {
    const { src } = source();
    const cache = new AccessTokenCache(src);
    const got = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(new Set(got.map((g) => g.token))).toEqual(new Set(['t1']));
    expect(src.getAccessToken).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(55 * 60_000 - 1);
    expect((await cache.get()).token).toBe('t1');
    vi.advanceTimersByTime(1);
    expect((await cache.get()).token).toBe('t2');
    expect(src.getAccessToken).toHaveBeenCalledTimes(2);
  });

  it('invalidates once per generation after a 401', async () => {
    const { src } = source();
    const cache = new AccessTokenCache(src);
    const first = await cache.get();
    expect([cache.invalidate(first.generation), cache.invalidate(first.generation)]).toEqual([true, false]);
    const second = await cache.get();
    expect(second.token).toBe('t2');
    expect(cache.invalidate(first.generation)).toBe(false);
    expect((await cache.get()).token).toBe('t2');
    expect(src.getAccessToken).toHaveBeenCalledTimes(2);
  });

  it('propagates a failing credential and tries again on the next call', async () => {
    let fail = true;
    const cache = new AccessTokenCache({ getAccessToken: async () => (fail ? Promise.reject(new Error('metadata server down')) : 'ok') });
    await expect(cache.get()).rejects.toThrow('metadata server down');
    fail = false;
    expect((await cache.get()).token).toBe('ok');
  });
});
