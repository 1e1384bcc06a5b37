import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { classify } from '../../src/classify/index.js';
import { APNS_TOKEN } from '../fixtures/classify-mix.js';
import { entry, expectEntry } from './helpers.js';

// Shapes from Apple's "Handling notification responses from APNs" (apns.md §2–3).
describe('classify apns', () => {
  it('a 200 is ok with the apns-id as message id', () => {
    const v = classify({ provider: 'apns', status: 200, headers: { 'apns-id': 'EABEAE54-14A8-11E5-B60B-1697F925EC7B' }, body: '' });
    expectEntry(v, 'apns', '200');
    expect(v.messageId).toBe('EABEAE54-14A8-11E5-B60B-1697F925EC7B');
  });

  it('410 Unregistered drops the token and carries the timestamp (number or numeric string)', () => {
    const v = classify({ provider: 'apns', headers: { ':status': '410', 'apns-id': 'x' }, body: '{"reason":"Unregistered","timestamp":1700000000000}' });
    expectEntry(v, 'apns', 'Unregistered');
    expect(v).toMatchObject({ action: 'drop-token', status: 410, tokenInvalidSince: 1700000000000 });
    const s = classify({ provider: 'apns', status: 410, body: { reason: 'ExpiredToken', timestamp: '1700000000001' } });
    expectEntry(s, 'apns', 'ExpiredToken');
    expect(s.tokenInvalidSince).toBe(1700000000001);
    expect(classify({ provider: 'apns', status: 410, body: { reason: 'Unregistered', timestamp: 'soon' } }).tokenInvalidSince).toBeUndefined();
  });

  it('reads every reason in the catalog, including both spellings of the environment-key reason', () => {
    const reasons = catalog().policies.get('apns')!.entries.filter((e) => e.code !== '200');
    expect(reasons.length).toBeGreaterThanOrEqual(33);
    for (const e of reasons) expectEntry(classify({ provider: 'apns', status: e.status ?? 400, body: { reason: e.code } }), 'apns', e.code);
    expectEntry(classify({ provider: 'apns', status: 403, body: { reason: 'BadEnvironmentKeyInToken' } }), 'apns', 'BadEnvironmentKeyInToken');
    expectEntry(classify({ provider: 'apns', status: 403, body: { reason: 'BadEnvironmentKeyIdInToken' } }), 'apns', 'BadEnvironmentKeyIdInToken');
  });

  it('ExpiredProviderToken asks for a credential refresh; TooManyProviderTokenUpdates waits its floor', () => {
    const v = classify({ provider: 'apns', status: 403, body: { reason: 'ExpiredProviderToken' } });
    expect(v).toMatchObject({ action: 'retry', refreshCredential: true });
    const storm = classify({ provider: 'apns', status: 429, body: { reason: 'TooManyProviderTokenUpdates' } });
    expect(storm.retryAfterMs).toBe(entry('apns', 'TooManyProviderTokenUpdates').minRetryDelayMs);
  });

  it('an unknown reason falls back by status and is not echoed if it looks like a token', () => {
    const v = classify({ provider: 'apns', status: 400, body: { reason: 'SomeNewReason' } });
    expect(v).toMatchObject({ code: 'SomeNewReason', action: 'fix-request', known: false });
    const t = classify({ provider: 'apns', status: 400, body: { reason: APNS_TOKEN } });
    expect(t.code).toBe('UNKNOWN');
    expect(JSON.stringify(t)).not.toContain(APNS_TOKEN);
  });

  it('reads node-apn failures ({device, status, response}) and transport errors ({device, error})', () => {
    const failed = classify({ provider: 'apns', error: { device: APNS_TOKEN, status: 410, response: { reason: 'Unregistered', timestamp: 1700000000000 } } });
    expect(failed).toMatchObject({ code: 'Unregistered', action: 'drop-token', tokenInvalidSince: 1700000000000 });
    const transport = classify({ provider: 'apns', error: { device: APNS_TOKEN, error: Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }) } });
    expect(transport).toMatchObject({ code: 'ETIMEDOUT', action: 'retry', maybeDelivered: true });
    expect(JSON.stringify(failed) + JSON.stringify(transport)).not.toContain(APNS_TOKEN);
  });
});
