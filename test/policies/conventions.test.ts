/** The team conventions the classifier relies on, and the acceptance rules of issue 2 §2. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import type { Action, ProviderId } from '../../src/types.js';

const catalog = loadCatalog();
const entry = (provider: ProviderId, code: string, context?: string) => {
  const e = catalog.lookup(provider, code, context);
  if (!e) throw new Error(`no ${provider}:${code}${context ? ` (${context})` : ''}`);
  return e;
};

describe('catalog conventions', () => {
  it.each([
    ['fcm', '200'], ['apns', '200'], ['hms', '80000000'], ['honor', '200'], ['honor', '80000000'], ['xiaomi', '0'],
    ['oppo', '0'], ['vivo', '0'], ['meizu', '200'], ['tencent', '0'], ['infobip', '200'], ['cometchat', '200'], ['firebase-admin', 'ok'],
  ] as [ProviderId, string][])('%s success code %s is ok', (provider, code) => {
    expect(entry(provider, code).action).toBe('ok');
  });

  it('Infobip 0 is an error', () => {
    expect(entry('infobip', '0').action).not.toBe('ok');
  });

  it.each([
    ['fcm', 'INVALID_ARGUMENT', undefined, 'fix-request'],
    ['fcm', 'INVALID_ARGUMENT', 'token', 'drop-token'],
    ['firebase-admin', 'messaging/invalid-argument', undefined, 'fix-request'],
    ['firebase-admin', 'messaging/invalid-argument', 'token', 'drop-token'],
    ['firebase-admin', 'messaging/mismatched-credential', undefined, 'fatal'],
    ['firebase-admin', 'messaging/mismatched-credential', 'token', 'drop-token'],
    ['fcm', 'SENDER_ID_MISMATCH', undefined, 'drop-token'],
    ['fcm', 'PERMISSION_DENIED', undefined, 'fatal'],
    ['meizu', '110010', undefined, 'retry'],
    ['meizu', '110010', 'target', 'drop-token'],
    ['hms', 'illegal_tokens', 'target', 'drop-token'],
    ['honor', 'expireTokens', 'target', 'drop-token'],
    ['honor', 'failTokens', 'target', 'retry'],
    ['xiaomi', 'bad_regids', 'target', 'drop-token'],
    ['vivo', 'invalidUsers', 'target', 'drop-token'],
    ['apns', 'BadDeviceToken', undefined, 'drop-token'],
    ['apns', 'Unregistered', undefined, 'drop-token'],
    ['apns', 'ExpiredToken', undefined, 'drop-token'],
    ['apns', 'TooManyRequests', undefined, 'retry'],
    ['apns', 'IdleTimeout', undefined, 'retry'],
    ['apns', 'Shutdown', undefined, 'retry'],
    ['apns', 'InternalServerError', undefined, 'retry'],
    ['apns', 'ServiceUnavailable', undefined, 'retry'],
  ] as [ProviderId, string, string | undefined, Action][])('%s %s (context %s) is %s', (provider, code, context, action) => {
    expect(entry(provider, code, context).action).toBe(action);
  });

  it('ambiguous codes explain how they are told apart', () => {
    for (const [provider, code] of [['fcm', 'INVALID_ARGUMENT'], ['firebase-admin', 'messaging/invalid-argument'], ['firebase-admin', 'messaging/mismatched-credential'], ['meizu', '110010'], ['apns', 'BadDeviceToken']] as [ProviderId, string][]) {
      expect(entry(provider, code).disambiguation, `${provider}:${code}`).toMatch(/\w{3,}/);
    }
  });

  it.each([
    ['apns', 'ExpiredProviderToken'], ['hms', '80200003'], ['hms', '80200005'], ['oppo', '11'], ['vivo', '10000'], ['honor', '403'], ['fcm', 'UNAUTHENTICATED'],
  ] as [ProviderId, string][])('%s %s refreshes the credential, then retries', (provider, code) => {
    expect(entry(provider, code)).toMatchObject({ action: 'retry', refreshCredential: true });
  });

  it('FCM quota errors wait at least 60 s; APNs token-update storms wait', () => {
    expect(entry('fcm', 'QUOTA_EXCEEDED').minRetryDelayMs).toBeGreaterThanOrEqual(60_000);
    expect(entry('fcm', 'RESOURCE_EXHAUSTED').minRetryDelayMs).toBeGreaterThanOrEqual(60_000);
    expect(entry('firebase-admin', 'messaging/message-rate-exceeded').minRetryDelayMs).toBeGreaterThanOrEqual(60_000);
    expect(entry('apns', 'TooManyProviderTokenUpdates')).toMatchObject({ action: 'retry' });
    expect(entry('apns', 'TooManyProviderTokenUpdates').minRetryDelayMs).toBeGreaterThan(0);
  });

  it('transport failures after the request was written are marked maybe-delivered', () => {
    for (const code of ['app/network-error', 'app/network-timeout', 'messaging/app/network-error']) {
      expect(entry('firebase-admin', code)).toMatchObject({ action: 'retry', maybeDelivered: true });
    }
  });

  it('daily quotas are not retried quickly', () => {
    const daily = catalog.entries.filter((e) => /daily|for the day|current day/i.test(e.meaning) && e.action === 'retry');
    expect(daily.length).toBeGreaterThan(3);
    expect(daily.filter((e) => (e.minRetryDelayMs ?? 0) < 3_600_000).map((e) => `${e.provider}:${e.code}`)).toEqual([]);
  });

  it('entries are well-formed: one-line meaning and remedy, status class consistent with the action', () => {
    const bad = catalog.entries.filter(
      (e) =>
        /\n/.test(e.meaning + e.remedy) ||
        !/[.)]$/.test(e.meaning) ||
        (e.action === 'ok' && e.status !== null && e.status >= 300) ||
        (e.status !== null && e.status < 300 && e.action !== 'ok') ||
        (e.status === 429 && e.action !== 'retry'),
    );
    expect(bad.map((e) => `${e.provider}:${e.code}`)).toEqual([]);
  });

  it('every provider has retry defaults with a source', () => {
    for (const [provider, policy] of catalog.policies) expect(policy.defaults?.retry, provider).toHaveProperty('source');
  });
});
