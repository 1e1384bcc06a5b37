/**
 * firebase-admin against the fake FCM route: `sendEach` over HTTP/2 (through an `http2.connect`
 * redirect that also fixes the SDK's `:scheme: 'https:'`) and `send` over HTTP/1.1 (through `httpAgent`).
 */
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';

let fake: FakeProvider;
let app: App;
let restore: () => void;

beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['fake-oauth'], fcmProjects: ['demo-project'] });
  const real = http2.connect;
  const redirect = ((authority: string | URL, options?: http2.SecureClientSessionOptions) => {
    if (!String(authority).startsWith('https://fcm.googleapis.com')) return real(authority, options ?? {});
    const session = real(fake.url, { ...options, ca: fake.ca });
    const request = session.request.bind(session);
    session.request = ((headers: http2.OutgoingHttpHeaders, opts?: http2.ClientSessionRequestOptions) =>
      request({ ...headers, ':scheme': 'https' }, opts)) as typeof session.request;
    return session;
  }) as typeof http2.connect;
  http2.connect = redirect;
  restore = () => {
    http2.connect = real;
  };
  class ToFake extends https.Agent {
    override createConnection(_options: unknown, callback?: (err: Error | null, socket: tls.TLSSocket) => void): tls.TLSSocket {
      const socket = tls.connect({ host: '127.0.0.1', port: fake.port, servername: 'localhost', ca: fake.ca, ALPNProtocols: ['http/1.1'] });
      callback?.(null, socket);
      return socket;
    }
  }
  app = initializeApp(
    {
      credential: { getAccessToken: async () => ({ access_token: 'fake-oauth', expires_in: 3600 }) },
      projectId: 'demo-project',
      httpAgent: new ToFake(),
    },
    'fake-provider-test',
  );
});

afterAll(async () => {
  restore();
  await deleteApp(app);
  await fake.close();
});

describe('firebase-admin against the fake FCM', () => {
  it('sendEach over HTTP/2: successes, a dead token and a scripted quota error', async () => {
    fake.markDead('dead-token');
    fake.script({ route: 'fcm', token: 'busy-token', code: 'QUOTA_EXCEEDED', retryAfter: 30 });
    const res = await getMessaging(app).sendEach([
      { token: 'ok-1', notification: { title: 'a' } },
      { token: 'dead-token', notification: { title: 'b' } },
      { token: 'busy-token', data: { k: 'v' } },
      { topic: 'news', notification: { title: 'c' } },
    ]);
    expect(res.successCount).toBe(2);
    expect(res.responses.map((r) => (r.success ? r.messageId : r.error?.code))).toEqual([
      expect.stringMatching(/^projects\/demo-project\/messages\/\d+$/),
      'messaging/registration-token-not-registered',
      'messaging/message-rate-exceeded',
      expect.stringMatching(/^projects\/demo-project\/messages\/\d+$/),
    ]);
    const fcm = fake.requests({ route: 'fcm' });
    expect(fcm.every((e) => e.proto === 'h2')).toBe(true);
    expect(fcm.map((e) => e.token ?? null).sort()).toEqual(['busy-token', 'dead-token', 'ok-1', null].sort());
  });

  it('send over HTTP/1.1 through httpAgent', async () => {
    const id = await getMessaging(app).send({ token: 'ok-2', notification: { title: 'x' } });
    expect(id).toMatch(/^projects\/demo-project\/messages\/\d+$/);
    expect(fake.requests({ token: 'ok-2' })[0]).toMatchObject({ proto: 'h1', status: 200 });
    fake.script({ route: 'fcm', token: 'ok-3', code: 'SENDER_ID_MISMATCH' });
    await expect(getMessaging(app).send({ token: 'ok-3', notification: { title: 'x' } })).rejects.toMatchObject({ code: 'messaging/mismatched-credential' });
  });
});
