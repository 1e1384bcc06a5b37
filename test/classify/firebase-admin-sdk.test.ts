/**
 * Real firebase-admin 13 errors (send() over HTTP/1.1, FCM answered by nock with the documented bodies),
 * classified as users hold them: the SDK's FirebaseMessagingError with only `code` + `message`.
 */
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { classify } from '../../src/classify/index.js';
import { lookupEntry } from '../../src/classify/lookup.js';
import { FCM_TOKEN } from '../fixtures/classify-mix.js';

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
let app: App;

beforeAll(() => {
  nock.disableNetConnect();
  app = initializeApp({ credential: { getAccessToken: async () => ({ access_token: 'test-access-token', expires_in: 3600 }) }, projectId: 'demo' }, 'classify-sdk-test');
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteApp(app);
});

async function sdkError(status: number, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  nock('https://fcm.googleapis.com:443').post('/v1/projects/demo/messages:send').reply(status, body as nock.Body, headers);
  try {
    await getMessaging(app).send({ token: FCM_TOKEN, data: { k: 'v' } });
  } catch (err) {
    return err;
  }
  throw new Error('send() did not fail');
}

function expectEntry(v: ReturnType<typeof classify>, code: string, context?: string) {
  const e = lookupEntry(catalog(), 'firebase-admin', code, context);
  expect(e, `${code} ${context ?? ''}`).toBeDefined();
  expect(v).toMatchObject({ provider: 'firebase-admin', code, action: e!.action, known: true, reason: e!.meaning });
}

describe('firebase-admin 13 errors from a real SDK', () => {
  it('invalid-argument for a bad token reads as the token (message text)', async () => {
    const err = await sdkError(400, { error: { code: 400, message: 'The registration token is not a valid FCM registration token', status: 'INVALID_ARGUMENT', details: [{ '@type': FCM_ERROR, errorCode: 'INVALID_ARGUMENT' }] } });
    expect((err as { code: string }).code).toBe('messaging/invalid-argument');
    const v = classify({ provider: 'firebase-admin', error: err });
    expectEntry(v, 'messaging/invalid-argument', 'token');
    expect(v.action).toBe('drop-token');
  });

  it('invalid-argument for a bad payload field reads as the request', async () => {
    const err = await sdkError(400, { error: { code: 400, message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12", status: 'INVALID_ARGUMENT', details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'message.data[0].value', description: 'bad' }] }] } });
    const v = classify({ provider: 'firebase-admin', error: err });
    expectEntry(v, 'messaging/invalid-argument');
    expect(v.action).toBe('fix-request');
  });

  it('registration-token-not-registered drops the token; mismatched-credential tells SENDER_ID_MISMATCH apart', async () => {
    const gone = await sdkError(404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND', details: [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }] } });
    expectEntry(classify({ provider: 'firebase-admin', error: gone }), 'messaging/registration-token-not-registered');
    expect(classify({ provider: 'firebase-admin', error: gone }).action).toBe('drop-token');
    const sender = await sdkError(403, { error: { code: 403, message: 'SenderId mismatch', status: 'PERMISSION_DENIED', details: [{ '@type': FCM_ERROR, errorCode: 'SENDER_ID_MISMATCH' }] } });
    expectEntry(classify({ provider: 'firebase-admin', error: sender }), 'messaging/mismatched-credential', 'token');
    const denied = await sdkError(403, { error: { code: 403, message: 'Permission denied: FCM API has not been used in project demo', status: 'PERMISSION_DENIED' } });
    expectEntry(classify({ provider: 'firebase-admin', error: denied }), 'messaging/mismatched-credential');
  });

  it('message-rate-exceeded is retried no sooner than the catalog floor (v13 hides Retry-After)', async () => {
    const err = await sdkError(429, { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': FCM_ERROR, errorCode: 'QUOTA_EXCEEDED' }] } }, { 'retry-after': '5' });
    const v = classify({ provider: 'firebase-admin', error: err });
    expectEntry(v, 'messaging/message-rate-exceeded');
    expect(v.action).toBe('retry');
    const e = lookupEntry(catalog(), 'firebase-admin', 'messaging/message-rate-exceeded', undefined)!;
    expect(v.retryAfterMs).toBe(e.minRetryDelayMs ?? catalog().policies.get('firebase-admin')?.defaults?.retry?.defaultRetryAfterMs ?? null);
  });

  it('an HTML 502 from a proxy is unknown-error, and the raw body does not leak into the reason', async () => {
    const err = await sdkError(502, `<html><body>Bad gateway for ${FCM_TOKEN}</body></html>`);
    const v = classify({ provider: 'firebase-admin', error: err });
    expect(v.code).toBe('messaging/unknown-error');
    expect(JSON.stringify(v)).not.toContain(FCM_TOKEN.slice(0, 30));
  });
});
