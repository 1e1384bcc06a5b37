import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { polyfillHttpResponse } from '../../src/firebase-admin/http-response.js';
import { applyInnerRetry } from '../../src/firebase-admin/inner-retry.js';
import { inspectSdk } from '../../src/firebase-admin/sdk.js';
import { redirectHttp2 } from '../../src/testing/http2-redirect.js';
import { createTestApp, SDK_MAJOR } from '../helpers/firebase-admin.js';
import { startH2c } from '../helpers/h2c-server.js';

const FCM = 'https://fcm.googleapis.com:443';
const PATH = '/v1/projects/demo-project/messages:send';
const QUOTA = {
  error: {
    code: 429,
    message: 'Quota exceeded.',
    status: 'RESOURCE_EXHAUSTED',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'QUOTA_EXCEEDED' }],
  },
};
const message = { token: 'device-token-0123456789', data: { a: '1' } };

type WithHttp = { code?: string; httpResponse?: { status: number; headers: Record<string, unknown>; data: unknown } };

const apps: { close(): Promise<void> }[] = [];
beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(() => nock.enableNetConnect());

function app() {
  const t = createTestApp();
  apps.push(t);
  const info = inspectSdk(t.messaging);
  applyInnerRetry(info, 'off', 5);
  const remove = polyfillHttpResponse(info);
  return { ...t, remove };
}

describe('httpResponse on firebase-admin errors (native in 14, polyfilled in 12/13)', () => {
  it('send(): status, headers with Retry-After and the parsed body', async () => {
    const t = app();
    nock(FCM).post(PATH).reply(429, QUOTA, { 'retry-after': '42' });
    const err = (await t.messaging.send(message).catch((e: unknown) => e)) as WithHttp;
    expect(err.code).toBe('messaging/message-rate-exceeded');
    expect(err.httpResponse?.status).toBe(429);
    expect(err.httpResponse?.headers['retry-after']).toBe('42');
    expect(err.httpResponse?.data).toEqual(QUOTA);
  });

  it('send(): an HTML 502 from a proxy keeps the raw text', async () => {
    const t = app();
    nock(FCM).post(PATH).reply(502, '<html><body>Bad Gateway</body></html>', { 'content-type': 'text/html' });
    const err = (await t.messaging.send(message).catch((e: unknown) => e)) as WithHttp;
    expect(err.code).toBe('messaging/unknown-error');
    expect(err.httpResponse?.status).toBe(502);
    expect(String(err.httpResponse?.data)).toContain('Bad Gateway');
  });

  it('legacy sendEach: per message', async () => {
    const t = app();
    t.messaging.enableLegacyHttpTransport();
    nock(FCM).post(PATH).reply(200, { name: 'projects/demo-project/messages/1' });
    nock(FCM).post(PATH).reply(429, QUOTA, { 'retry-after': '7' });
    const res = await t.messaging.sendEach([message, message]);
    const failed = res.responses.find((r) => !r.success)?.error as WithHttp;
    expect(res.successCount).toBe(1);
    expect(failed.httpResponse?.headers['retry-after']).toBe('7');
  });

  it('HTTP/2 sendEach: per message, and a success carries nothing', async () => {
    const server = await startH2c((req) =>
      (req.body as { message: { token: string } }).message.token === 'slow'
        ? { status: 429, headers: { 'retry-after': '3' }, body: QUOTA }
        : { status: 200, body: { name: 'projects/demo-project/messages/2' } },
    );
    const redirect = redirectHttp2({ target: server.url });
    try {
      const t = app();
      const res = await t.messaging.sendEach([message, { ...message, token: 'slow' }]);
      expect(res.responses[0]).toEqual({ success: true, messageId: 'projects/demo-project/messages/2' });
      const err = res.responses[1]?.error as WithHttp;
      expect(err.httpResponse?.status).toBe(429);
      expect(err.httpResponse?.headers['retry-after']).toBe('3');
      expect(server.requests).toHaveLength(2);
    } finally {
      redirect.restore();
      await server.close();
    }
  });

  it('12/13: non-enumerable (toJSON and logs unchanged) and removable; 14: native, left alone', async () => {
    const t = app();
    nock(FCM).post(PATH).reply(429, QUOTA);
    const err = (await t.messaging.send(message).catch((e: unknown) => e)) as WithHttp & object;
    expect(err.httpResponse?.status).toBe(429);
    if (SDK_MAJOR < 14) expect(Object.keys(err)).not.toContain('httpResponse');
    t.remove();
    nock(FCM).post(PATH).reply(429, QUOTA);
    const after = (await t.messaging.send(message).catch((e: unknown) => e)) as WithHttp;
    expect(after.httpResponse?.status).toBe(SDK_MAJOR >= 14 ? 429 : undefined);
  });
});
