import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { FCM_TOKEN } from '../fixtures/classify-mix.js';
import { ERROR_INFO, FCM_ERROR, QUOTA_FAILURE, RETRY_INFO, entry, expectEntry } from './helpers.js';

// Shapes from https://firebase.google.com/docs/cloud-messaging/error-codes and fcm.md §1.
const fcmError = (status: number, grpc: string, message: string, details: unknown[] = []) => ({ error: { code: status, message, status: grpc, details } });

describe('classify fcm', () => {
  it('accepts a success and returns the message name', () => {
    const v = classify({ provider: 'fcm', status: 200, body: { name: 'projects/demo/messages/0:1500415314455276%31bd1c9631bd1c96' } });
    expectEntry(v, 'fcm', '200');
    expect(v).toMatchObject({ action: 'ok', messageId: 'projects/demo/messages/0:1500415314455276%31bd1c9631bd1c96', status: 200, retryAfterMs: null });
  });

  it('reads a success body as text without parsing it, to the same verdict as the parsed path', () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const v = classify({ provider: 'fcm', status: 200, body: '{"name":"projects/demo/messages/0:1%31bd1c96"}' });
      expect(v).toMatchObject({ action: 'ok', code: '200', messageId: 'projects/demo/messages/0:1%31bd1c96' });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    // Any text body, in any shape close to the success one: the string (which may take the quick path) and
    // the same bytes (always decoded and parsed) give equal verdicts.
    const ws = fc.constantFrom('', ' ', '\n  ', '\t', '\r\n', '\u00a0', '\ufeff');
    const body = fc.oneof(
      fc.tuple(ws, ws, ws, ws, fc.string(), ws).map(([a, b, c, d, name, e]) => `${a}{${b}"name"${c}:${d}${JSON.stringify(name)}}${e}`),
      fc.tuple(fc.string(), fc.string()).map(([name, x]) => `{"name":"${name}"${x}}`),
      fc.string(),
    );
    fc.assert(
      fc.property(body, fc.constantFrom(200, 201, 204, 299, 300, 404, 500), (text, status) => {
        const asText = classify({ provider: 'fcm', status, body: text });
        const asBytes = classify({ provider: 'fcm', status, body: Buffer.from(text) });
        expect(asText).toEqual(asBytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('prefers the FcmError errorCode over the canonical status', () => {
    const v = classify({ provider: 'fcm', status: 404, body: fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }]) });
    expectEntry(v, 'fcm', 'UNREGISTERED');
    expect(v.action).toBe('drop-token');
  });

  it('reads the canonical status when there is no FcmError', () => {
    expectEntry(classify({ provider: 'fcm', status: 403, body: fcmError(403, 'PERMISSION_DENIED', 'Permission denied') }), 'fcm', 'PERMISSION_DENIED');
    const auth = classify({ provider: 'fcm', status: 401, body: fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.') });
    expectEntry(auth, 'fcm', 'UNAUTHENTICATED');
    expect(auth.refreshCredential).toBe(entry('fcm', 'UNAUTHENTICATED').refreshCredential === true ? true : undefined);
  });

  it('QUOTA_EXCEEDED waits at least the catalog floor, and longer when the server asks', () => {
    const body = fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric', [{ '@type': FCM_ERROR, errorCode: 'QUOTA_EXCEEDED' }, { '@type': QUOTA_FAILURE, violations: [{ subject: 'project' }] }]);
    const floor = entry('fcm', 'QUOTA_EXCEEDED').minRetryDelayMs!;
    expect(floor).toBeGreaterThanOrEqual(60_000);
    expect(classify({ provider: 'fcm', status: 429, body }).retryAfterMs).toBe(floor);
    expect(classify({ provider: 'fcm', status: 429, headers: { 'Retry-After': '5' }, body }).retryAfterMs).toBe(floor);
    expect(classify({ provider: 'fcm', status: 429, headers: { 'retry-after': '600' }, body }).retryAfterMs).toBe(600_000);
  });

  it('a 429 with only ErrorInfo (RESOURCE_EXHAUSTED) is still a rate limit', () => {
    const v = classify({ provider: 'fcm', status: 429, body: fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [{ '@type': ERROR_INFO, reason: 'RATE_LIMIT_EXCEEDED' }]) });
    expectEntry(v, 'fcm', 'RESOURCE_EXHAUSTED');
    expect(v.retryAfterMs).toBeGreaterThanOrEqual(60_000);
  });

  it('UNAVAILABLE honours Retry-After in seconds, as an HTTP-date against Date, and RetryInfo', () => {
    const body = fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.');
    expectEntry(classify({ provider: 'fcm', status: 503, body }), 'fcm', 'UNAVAILABLE');
    expect(classify({ provider: 'fcm', status: 503, headers: { 'retry-after': '30' }, body }).retryAfterMs).toBe(30_000);
    const dated = classify({ provider: 'fcm', status: 503, headers: { date: 'Sun, 22 Nov 2026 08:00:00 GMT', 'retry-after': 'Sun, 22 Nov 2026 08:02:00 GMT' }, body }, { now: 0 });
    expect(dated.retryAfterMs).toBe(120_000);
    const clock = classify({ provider: 'fcm', status: 503, headers: { 'retry-after': 'Sun, 22 Nov 2026 08:00:45 GMT' }, body }, { now: Date.parse('2026-11-22T08:00:00Z') });
    expect(clock.retryAfterMs).toBe(45_000);
    const received = classify({ provider: 'fcm', status: 503, headers: { 'retry-after': 'Sun, 22 Nov 2026 08:00:05 GMT' }, body, receivedAt: Date.parse('2026-11-22T08:00:00Z') });
    expect(received.retryAfterMs).toBe(5_000);
    const info = classify({ provider: 'fcm', status: 503, body: fcmError(503, 'UNAVAILABLE', 'x', [{ '@type': RETRY_INFO, retryDelay: '12.5s' }]) });
    expect(info.retryAfterMs).toBe(12_500);
  });

  it('ignores garbage Retry-After and keeps what is known', () => {
    const body = fcmError(503, 'UNAVAILABLE', 'x');
    for (const ra of ['-1', 'soon', 'NaN', '1e309', '9'.repeat(40_000), 'Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 01 Jan 2100 00:00:00 GMT']) {
      const v = classify({ provider: 'fcm', status: 503, headers: { 'retry-after': ra }, body }, { now: Date.parse('2026-11-22T08:00:00Z') });
      expect(v.action).toBe('retry');
      expect(v.retryAfterMs).toBeNull();
    }
    const quota = classify({ provider: 'fcm', status: 429, headers: { 'retry-after': 'garbage' }, body: fcmError(429, 'RESOURCE_EXHAUSTED', 'x', [{ '@type': FCM_ERROR, errorCode: 'QUOTA_EXCEEDED' }]) });
    expect(quota.retryAfterMs).toBe(entry('fcm', 'QUOTA_EXCEEDED').minRetryDelayMs);
    expect(classify({ provider: 'fcm', status: 503, headers: { 'retry-after': '999999999' }, body }, { maxRetryAfterMs: 3_600_000 }).retryAfterMs).toBeNull();
  });

  it('reads JSON string and Buffer bodies, and the FCM 5xx/auth families', () => {
    const s = JSON.stringify(fcmError(500, 'INTERNAL', 'Internal error encountered.'));
    expectEntry(classify({ provider: 'fcm', status: 500, body: s }), 'fcm', 'INTERNAL');
    expectEntry(classify({ provider: 'fcm', status: 500, body: Buffer.from(s) }), 'fcm', 'INTERNAL');
    expectEntry(classify({ provider: 'fcm', status: 401, body: fcmError(401, 'UNAUTHENTICATED', 'x', [{ '@type': FCM_ERROR, errorCode: 'THIRD_PARTY_AUTH_ERROR' }]) }), 'fcm', 'THIRD_PARTY_AUTH_ERROR');
    expectEntry(classify({ provider: 'fcm', status: 403, body: fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', [{ '@type': FCM_ERROR, errorCode: 'SENDER_ID_MISMATCH' }]) }), 'fcm', 'SENDER_ID_MISMATCH');
  });

  it('classifies HTML from a proxy and huge bodies by status, quoting nothing secret', () => {
    const html = classify({ provider: 'fcm', status: 502, headers: { 'content-type': 'text/html' }, body: `<html><body><h1>502 Bad Gateway</h1>${FCM_TOKEN}</body></html>` });
    expect(html).toMatchObject({ code: 'HTTP_502', action: 'retry', known: false, status: 502 });
    expect(html.reason).not.toContain(FCM_TOKEN.slice(0, 20));
    const huge = classify({ provider: 'fcm', status: 503, body: Buffer.alloc(50 * 1024 * 1024, 0x7b) });
    expect(huge).toMatchObject({ code: 'HTTP_503', action: 'retry', known: false });
    const bigOk = classify({ provider: 'fcm', status: 200, body: 'x'.repeat(2 * 1024 * 1024) });
    expect(bigOk.action).toBe('ok');
  });

  it('reads the status from HTTP/2 `:status` and tolerates any header casing', () => {
    const v = classify({ provider: 'fcm', headers: { ':status': 503, 'RETRY-AFTER': '7' }, body: fcmError(503, 'UNAVAILABLE', 'x') });
    expect(v).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryAfterMs: 7_000 });
    const h = classify({ provider: 'fcm', status: 503, headers: new Headers({ 'Retry-After': '8' }), body: fcmError(503, 'UNAVAILABLE', 'x') });
    expect(h.retryAfterMs).toBe(8_000);
    const entries = classify({ provider: 'fcm', status: 503, headers: [['Retry-After', '9']], body: fcmError(503, 'UNAVAILABLE', 'x') });
    expect(entries.retryAfterMs).toBe(9_000);
  });
});
