import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyInnerRetry } from '../../src/firebase-admin/inner-retry.js';
import { inspectSdk } from '../../src/firebase-admin/sdk.js';
import { redirectHttp2 } from '../../src/testing/http2-redirect.js';
import { createTestApp } from '../helpers/firebase-admin.js';
import { startH2c } from '../helpers/h2c-server.js';

const FCM = 'https://fcm.googleapis.com:443';
const PATH = '/v1/projects/demo-project/messages:send';
const UNAVAILABLE = { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } };
const message = { token: 'device-token-0123456789', notification: { title: 'hi' } };

const apps: { close(): Promise<void> }[] = [];
beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(() => nock.enableNetConnect());

/** A fresh app. `fastSdkRetries` zeroes the SDK's backoff factor (its retries would sleep 1+2+4 s for
 * real: its timers are its own), leaving the count of retries as it is. */
function app(fastSdkRetries = false) {
  const t = createTestApp();
  apps.push(t);
  if (fastSdkRetries) for (const c of inspectSdk(t.messaging).retryClients ?? []) if (c.retry) c.retry.backOffFactor = 0;
  return t;
}

/** Counts requests at nock: a 503 with `retry-after: 0` (so the SDK's retries do not sleep). */
function count503(): { hits: number } {
  const c = { hits: 0 };
  nock(FCM)
    .post(PATH)
    .times(10)
    .reply(() => {
      c.hits++;
      return [503, UNAVAILABLE, { 'content-type': 'application/json', 'retry-after': '0' }];
    });
  return c;
}

describe("firebase-admin's own retries, switched by pushback", () => {
  it('send(): on by default in the SDK (5 requests for one 503), off after applyInnerRetry (1 request)', async () => {
    const on = app(true);
    const c1 = count503();
    await expect(on.messaging.send(message)).rejects.toMatchObject({ code: 'messaging/server-unavailable' });
    expect(c1.hits).toBe(5);
    nock.cleanAll();

    const off = app(true);
    const plan = applyInnerRetry(inspectSdk(off.messaging), 'off', 5);
    expect(plan).toMatchObject({ mode: 'off', requestsPerCall: 1, attempts: 5 });
    const c2 = count503();
    await expect(off.messaging.send(message)).rejects.toMatchObject({ code: 'messaging/server-unavailable' });
    expect(c2.hits).toBe(1);

    plan.restore();
    nock.cleanAll();
    const c3 = count503();
    await expect(off.messaging.send(message)).rejects.toMatchObject({ code: 'messaging/server-unavailable' });
    expect(c3.hits).toBe(5);
  });

  it('legacy HTTP/1.1 sendEach: 1 request per message when off', async () => {
    const t = app();
    t.messaging.enableLegacyHttpTransport();
    applyInnerRetry(inspectSdk(t.messaging), 'off', 5);
    const c = count503();
    const res = await t.messaging.sendEach([message, { ...message, token: 'device-token-9876543210' }]);
    expect(res.failureCount).toBe(2);
    expect(res.responses.map((r) => r.error?.code)).toEqual(['messaging/server-unavailable', 'messaging/server-unavailable']);
    expect(c.hits).toBe(2);
  });

  it('HTTP/2 sendEach (redirected to a local server): 5 requests when on, 1 when off', async () => {
    const server = await startH2c(() => ({ status: 503, headers: { 'retry-after': '0' }, body: UNAVAILABLE }));
    const redirect = redirectHttp2({ target: server.url });
    try {
      const on = app(true);
      const r1 = await on.messaging.sendEach([message]);
      expect(r1.responses[0]?.error?.code).toBe('messaging/server-unavailable');
      expect(server.requests).toHaveLength(5);

      const off = app(true);
      applyInnerRetry(inspectSdk(off.messaging), 'auto', 5);
      const r2 = await off.messaging.sendEach([message]);
      expect(r2.responses[0]?.error?.code).toBe('messaging/server-unavailable');
      expect(server.requests).toHaveLength(6);
      expect(redirect.sessions).toBe(2);
    } finally {
      redirect.restore();
      await server.close();
    }
  });

  it("'keep' leaves them on and divides the budget; 'off' fails loudly on an unknown layout; 'auto' falls back to keep", () => {
    const t = app();
    const info = inspectSdk(t.messaging);
    expect(applyInnerRetry(info, 'keep', 10)).toMatchObject({ mode: 'keep', requestsPerCall: 5, attempts: 2 });
    expect(applyInnerRetry(info, 'keep', 3)).toMatchObject({ mode: 'keep', attempts: 1 });
    expect(info.retryClients?.every((c) => c.retry !== null)).toBe(true);
    const unknown = inspectSdk(t.messaging, '99.1.0');
    expect(() => applyInnerRetry(unknown, 'off', 5)).toThrow(/cannot switch firebase-admin's own retries off/);
    expect(applyInnerRetry(unknown, 'auto', 5)).toMatchObject({ mode: 'keep', attempts: 1, reason: expect.stringMatching(/99\.1\.0/) });
  });
});
