/** Fallbacks for unknown codes, transport and SDK error shapes, input handling and redaction. */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { classify } from '../../src/classify/index.js';
import { APNS_TOKEN, FCM_TOKEN } from '../fixtures/classify-mix.js';
import { expectEntry } from './helpers.js';

describe('unknown codes fall back by status class', () => {
  it.each([
    [429, 'retry'], [500, 'retry'], [502, 'retry'], [504, 'retry'], [408, 'retry'],
    [401, 'fatal'], [403, 'fatal'], [400, 'fix-request'], [404, 'fix-request'], [418, 'fix-request'], [301, 'fix-request'],
  ] as const)('HTTP %i without a known code → %s', (status, action) => {
    const v = classify({ provider: 'cometchat', status, body: { error: { code: 'ERR_BRAND_NEW', message: 'new' } } });
    expect(v).toMatchObject({ code: 'ERR_BRAND_NEW', action, known: false, status });
    const bare = classify({ provider: 'apns', status, body: '' });
    expect(bare).toMatchObject({ code: `HTTP_${status}`, action, known: false });
  });

  it('a header-less 429 waits the provider default; with Retry-After it waits what the server says', () => {
    const fcmDefault = catalog().policies.get('fcm')!.defaults!.retry!.defaultRetryAfterMs!;
    expect(fcmDefault).toBe(60_000);
    expect(classify({ provider: 'fcm', status: 429, body: '' }).retryAfterMs).toBe(fcmDefault);
    expect(classify({ provider: 'fcm', status: 429, headers: { 'retry-after': '3' }, body: '' }).retryAfterMs).toBe(3_000);
    expect(classify({ provider: 'fcm', status: 500, body: '' }).retryAfterMs).toBeNull();
  });

  it('an unknown code inside a 2xx reply is handled conservatively and says so', () => {
    const v = classify({ provider: 'xiaomi', status: 200, body: { result: 'error', code: 99999, reason: 'new failure' } });
    expect(v).toMatchObject({ code: '99999', action: 'fix-request', known: false });
    expect(v.reason).toMatch(/conservatively/);
  });

  it('nothing to go on is UNKNOWN and retried', () => {
    expect(classify({ provider: 'fcm' })).toMatchObject({ code: 'UNKNOWN', action: 'retry', known: false });
    expect(classify({ provider: 'fcm', error: 'socket hang up' })).toMatchObject({ code: 'UNKNOWN', action: 'retry' });
  });
});

describe('transport and SDK errors', () => {
  const err = (code: string, message = code, extra: object = {}) => Object.assign(new Error(message), { code }, extra);

  it('marks failures after the write as maybe delivered, refused ones as not', () => {
    expect(classify({ provider: 'fcm', error: err('ECONNRESET') })).toMatchObject({ code: 'ECONNRESET', action: 'retry', known: false, maybeDelivered: true, retryAfterMs: null });
    expect(classify({ provider: 'fcm', error: err('ECONNRESET'), requestSent: false }).maybeDelivered).toBe(false);
    expect(classify({ provider: 'fcm', error: err('ECONNREFUSED') }).maybeDelivered).toBe(false);
    expect(classify({ provider: 'apns', error: err('UND_ERR_HEADERS_TIMEOUT') })).toMatchObject({ action: 'retry', maybeDelivered: true });
    expect(classify({ provider: 'apns', error: err('UND_ERR_CONNECT_TIMEOUT') }).maybeDelivered).toBe(false);
    expect(classify({ provider: 'apns', error: err('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM') })).toMatchObject({ code: 'ERR_HTTP2_REFUSED_STREAM', maybeDelivered: false });
    expect(classify({ provider: 'apns', error: err('UND_ERR_SOCKET', 'HTTP/2: "GOAWAY" frame received with code 0') })).toMatchObject({ code: 'UND_ERR_SOCKET', maybeDelivered: true });
    expect(classify({ provider: 'hms', error: new DOMException('This operation was aborted', 'AbortError') })).toMatchObject({ code: 'AbortError', action: 'retry' });
    expect(classify({ provider: 'hms', error: new TypeError('fetch failed', { cause: err('ETIMEDOUT') }) })).toMatchObject({ code: 'ETIMEDOUT', maybeDelivered: true });
  });

  it('firebase-admin network errors use the catalog, refined by the v14 cause', () => {
    const v13 = classify({ provider: 'firebase-admin', error: { code: 'app/network-error', message: 'Error while making request: read ECONNRESET.' } });
    expectEntry(v13, 'firebase-admin', 'app/network-error');
    expect(v13.maybeDelivered).toBe(true);
    const session = classify({ provider: 'firebase-admin', error: { code: 'messaging/app/network-error', message: 'session error' } });
    expectEntry(session, 'firebase-admin', 'messaging/app/network-error');
    const refused = classify({ provider: 'firebase-admin', error: { code: 'app/network-error', message: 'x', cause: err('ERR_HTTP2_STREAM_ERROR', 'NGHTTP2_REFUSED_STREAM') } });
    expect(refused.maybeDelivered).toBe(false);
    // a firebase-admin error given with another provider is still read as firebase-admin
    expect(classify({ provider: 'fcm', error: { code: 'messaging/registration-token-not-registered', message: 'x' } })).toMatchObject({ provider: 'firebase-admin', action: 'drop-token' });
  });

  it('v14 httpResponse gives status and Retry-After', () => {
    const v = classify({
      provider: 'firebase-admin',
      error: { code: 'messaging/server-unavailable', message: 'x', httpResponse: { status: 503, headers: { 'retry-after': '42', ':status': '503' }, data: { error: { code: 503, status: 'UNAVAILABLE', message: 'x' } } } },
    });
    expectEntry(v, 'firebase-admin', 'messaging/server-unavailable');
    expect(v).toMatchObject({ status: 503, retryAfterMs: 42_000 });
  });

  it('reads HTTP responses carried by errors (axios/got response, undici ResponseStatusCodeError)', () => {
    const axios = classify({ provider: 'hms', error: { message: 'Request failed with status code 401', response: { status: 401, headers: {}, data: { code: '80200003', msg: 'OAuth token expired.' } } } });
    expectEntry(axios, 'hms', '80200003');
    const undici = classify({ provider: 'cometchat', error: { name: 'ResponseStatusCodeError', code: 'UND_ERR_RESPONSE_STATUS_CODE', statusCode: 429, headers: { 'retry-after': '7' }, body: { error: { code: 'ERR_TOO_MANY_REQUESTS' } } } });
    expect(undici).toMatchObject({ code: 'ERR_TOO_MANY_REQUESTS', retryAfterMs: 7_000 });
  });

  it('a programming error without a transport code is not retried', () => {
    expect(classify({ provider: 'fcm', error: new TypeError("Cannot read properties of undefined (reading 'token')") })).toMatchObject({ action: 'fix-request', known: false });
  });
});

describe('inputs', () => {
  it('uses the default provider for inputs without one, and rejects unknown providers', () => {
    expect(classify({ status: 410, body: { reason: 'Unregistered' } }, { provider: 'apns' })).toMatchObject({ provider: 'apns', code: 'Unregistered' });
    expect(classify({ provider: 'bogus', status: 500 })).toMatchObject({ code: 'INVALID_INPUT', action: 'fix-request', known: false });
    expect(classify({ status: 500 })).toMatchObject({ code: 'INVALID_INPUT' });
    for (const x of [undefined, null, 42, 'fcm', [], () => 1]) expect(classify(x).code).toBe('INVALID_INPUT');
  });

  it('never lets body keys touch prototypes', () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"code":"200","value":{"__proto__":["x"]}}');
    const v = classify({ provider: 'meizu', status: 200, body, targets: ['x', '__proto__'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v.tokens)).toBeNull();
    expect(Object.keys(v.tokens!).sort()).toEqual(['__proto__', 'x']);
  });
});

describe('redaction', () => {
  it('no token or credential appears in any field but the tokens keys', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyMyJ9.eyJpc3MiOiJERUYxMjM0NTY3IiwiaWF0IjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    const inputs = [
      { provider: 'fcm', status: 400, body: { error: { code: 400, status: 'NEW_STATUS', message: `The registration token ${FCM_TOKEN} is not valid` } } },
      { provider: 'xiaomi', status: 200, body: { result: 'error', code: 99998, reason: `bad regid ${FCM_TOKEN}`, description: 'x' } },
      { provider: 'cometchat', status: 418, body: { error: { code: FCM_TOKEN, message: `Authorization: Bearer ${jwt}` } } },
      { provider: 'apns', status: 500, body: `<html>${APNS_TOKEN} Authorization: bearer ${jwt}</html>` },
      { provider: 'fcm', error: { code: 'E_WEIRD', message: `failed for ${FCM_TOKEN} with key=${jwt}` } },
      { provider: 'hms', status: 200, body: { code: '80100000', msg: JSON.stringify({ illegal_tokens: [FCM_TOKEN] }) }, targets: [FCM_TOKEN, APNS_TOKEN] },
    ];
    for (const input of inputs) {
      const { tokens, ...rest } = classify(input);
      const text = JSON.stringify(rest);
      for (const secret of [FCM_TOKEN, APNS_TOKEN, jwt, FCM_TOKEN.slice(12, 40), APNS_TOKEN.slice(0, 24)]) expect(text, JSON.stringify(input).slice(0, 60)).not.toContain(secret);
      if (tokens) expect(Object.keys(tokens).length).toBeGreaterThan(0);
    }
  });
});

describe('transport codes outside the table', () => {
  it('are retried as possibly delivered, also when only the cause carries them', async () => {
    expect(classify({ provider: 'fcm', error: Object.assign(new Error('net down'), { code: 'ENETDOWN' }) })).toMatchObject({ code: 'ENETDOWN', action: 'retry', known: false, maybeDelivered: true });
    expect(classify({ provider: 'fcm', error: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'EAI_FAIL' }) }), requestSent: false })).toMatchObject({ code: 'EAI_FAIL', action: 'retry', maybeDelivered: false });
    // a provider code that merely starts with E is the catalog's
    expectEntry(classify({ provider: 'infobip', error: { code: 'EMAIL_INVALID', message: 'Invalid email' } }), 'infobip', 'EMAIL_INVALID');
  });
});
