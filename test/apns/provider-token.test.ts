import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MIN_TOKEN_AGE_MS, ProviderTokenCache, signProviderToken } from '../../src/apns/provider-token.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const MIN = 60_000;

function decode(jwt: string) {
  const [h, c, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(c!, 'base64url').toString()),
    signature: Buffer.from(s!, 'base64url'),
    signed: `${h}.${c}`,
  };
}

describe('signProviderToken', () => {
  it('makes an ES256 JWT with kid, iss, iat and a raw 64-byte r||s signature that verifies', () => {
    const jwt = signProviderToken(privateKey, 'KEY1234567', 'TEAM123456', 1_700_000_000);
    const { header, claims, signature, signed } = decode(jwt);
    expect(header).toEqual({ alg: 'ES256', kid: 'KEY1234567' });
    expect(claims).toEqual({ iss: 'TEAM123456', iat: 1_700_000_000 });
    expect(signature).toHaveLength(64);
    expect(verify('sha256', Buffer.from(signed), { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });
});

describe('ProviderTokenCache', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  const make = (refreshMs?: number) => new ProviderTokenCache({ key: pem, keyId: 'KEY1234567', teamId: 'TEAM123456', ...(refreshMs ? { refreshMs } : {}) });

  it('reuses one token until 50 minutes, then regenerates with a fresh iat', () => {
    const cache = make();
    const first = cache.current();
    expect(decode(first.token).claims.iat).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    vi.advanceTimersByTime(50 * MIN - 1);
    expect(cache.current()).toBe(first);
    vi.advanceTimersByTime(1);
    const second = cache.current();
    expect(second.generation).toBe(first.generation + 1);
    expect(decode(second.token).claims.iat).toBe(decode(first.token).claims.iat + 50 * 60);
  });

  it('rejects a refresh interval outside Apple\'s 20–60 minute window', () => {
    expect(() => make(19 * MIN)).toThrow(RangeError);
    expect(() => make(60 * MIN)).toThrow(RangeError);
    expect(() => make(20 * MIN)).not.toThrow();
  });

  it('regenerates once per generation when many requests report ExpiredProviderToken together', () => {
    const cache = make();
    const gen = cache.current().generation;
    vi.advanceTimersByTime(30 * MIN);
    const results = Array.from({ length: 50 }, () => cache.expired(gen));
    expect(results.filter(Boolean)).toHaveLength(1);
    const next = cache.current();
    expect(next.generation).toBe(gen + 1);
    // A late failure of the old generation does not regenerate again.
    expect(cache.expired(gen)).toBe(false);
    expect(cache.current()).toBe(next);
  });

  it('never regenerates within 20 minutes of the previous token (TooManyProviderTokenUpdates), but replaces it as soon as allowed', () => {
    const cache = make();
    const first = cache.current();
    vi.advanceTimersByTime(5 * MIN);
    expect(cache.expired(first.generation)).toBe(false);
    expect(cache.current()).toBe(first);
    vi.advanceTimersByTime(MIN_TOKEN_AGE_MS - 5 * MIN - 1);
    expect(cache.current()).toBe(first);
    vi.advanceTimersByTime(1);
    expect(cache.current().generation).toBe(first.generation + 1);
  });

  it('refuses keys that are not EC and never echoes the key text', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => new ProviderTokenCache({ key: rsa, keyId: 'K', teamId: 'T' })).toThrow(/ES256/);
    const garbage = '-----BEGIN PRIVATE KEY-----\nnot-a-key-secret\n-----END PRIVATE KEY-----';
    try {
      new ProviderTokenCache({ key: garbage, keyId: 'K', teamId: 'T' });
      expect.unreachable();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('not-a-key-secret');
      expect(JSON.stringify(err)).not.toContain('not-a-key-secret');
    }
  });
});
