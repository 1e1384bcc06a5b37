/**
 * The FCM HTTP v1 sender against the fake provider over real loopback HTTP/2 + TLS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fcmSender, type FcmSender, type FcmSenderOptions } from '../../src/fcm/index.js';
import { FCM_CODES, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { isTransportError, type TransportError } from '../../src/transport/transport-error.js';

let fake: FakeProvider;
const senders: FcmSender[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({ now: () => Date.now() });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(senders.splice(0).map((s) => s.close()));
  fake.reset();
  fake.setFcmAccessTokens(undefined);
});

/** A credential that hands out `tok-1`, `tok-2`... and counts calls. */
function credential(expiresIn = 3600) {
  let n = 0;
  const getAccessToken = vi.fn(async () => ({ access_token: `tok-${++n}`, expires_in: expiresIn }));
  return { getAccessToken };
}

function make(extra: Partial<FcmSenderOptions> = {}): FcmSender {
  const s = fcmSender({ projectId: 'demo-project', credential: credential(), url: fake.url, tls: { ca: fake.ca }, ...extra });
  senders.push(s);
  return s;
}

const message = (token: string) => ({ token, notification: { title: 'Hi', body: 'there' }, data: { k: 'v' } });

describe.each(['frames', 'http2', 'undici'] as const)('fcmSender over %s', (transport) => {
  it('sends one message per request with the bearer token and returns the message name', async () => {
    const seen: { headers: Record<string, unknown>; body: unknown }[] = [];
    fake.script({ route: 'fcm', times: Infinity, where: (r) => (seen.push({ headers: { ...r.headers }, body: r.body }), false) });
    const s = make({ transport });
    const res = await s.send(message('t1'));
    expect(res).toMatchObject({ provider: 'fcm', status: 200, messageId: expect.stringMatching(/^projects\/demo-project\/messages\/\d+$/) });
    expect(seen[0]!.headers).toMatchObject({ ':path': '/v1/projects/demo-project/messages:send', authorization: 'Bearer tok-1' });
    expect(seen[0]!.body).toEqual({ message: message('t1') });
  });

  it('reuses its connections across many sends', async () => {
    const s = make({ transport, connections: 2 });
    const res = await Promise.all(Array.from({ length: 300 }, (_, i) => s.send(message(`t${i}`))));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(new Set(fake.requests({ route: 'fcm' }).map((e) => e.session)).size).toBeLessThanOrEqual(2);
  });

  it('a refused stream is re-sent at once', async () => {
    const s = make({ transport });
    await s.send(message('warm'));
    fake.script({ route: 'fcm', token: 'r', transport: 'refuse' });
    expect((await s.send(message('r'))).status).toBe(200);
    expect(fake.requests({ token: 'r' })).toHaveLength(2);
  });
});

describe('fcmSender responses', () => {
  it('returns status, full error body with details, and headers for every FCM code', async () => {
    const s = make();
    const codes = Object.entries(FCM_CODES);
    expect(codes.length).toBeGreaterThanOrEqual(8);
    for (const [code, shape] of codes) {
      fake.script({ route: 'fcm', token: `c-${code}`, code });
      const res = await s.send(message(`c-${code}`));
      expect(res.status, code).toBe(shape.status);
      const err = (res.body as { error: { status: string; details: { '@type': string; errorCode?: string }[] } }).error;
      expect(err.status, code).toBe(shape.rpc);
      if (shape.fcmError) expect(err.details.some((d) => d['@type'].endsWith('FcmError')), code).toBe(true);
      expect(res.messageId).toBeUndefined();
    }
  });

  it('shows Retry-After (seconds and HTTP-date) and the QuotaFailure detail of a 429', async () => {
    const s = make();
    fake.script({ route: 'fcm', token: 'q1', code: 'QUOTA_EXCEEDED', quota: 'device', retryAfter: 42 });
    const res = await s.send(message('q1'));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('42');
    expect(JSON.stringify(res.body)).toContain('QuotaFailure');
    const date = new Date(Date.now() + 90_000);
    fake.script({ route: 'fcm', token: 'q2', code: 'UNAVAILABLE', retryAfter: date });
    const res2 = await s.send(message('q2'));
    expect(res2.status).toBe(503);
    expect(new Date(res2.headers['retry-after']!).getTime()).toBe(Math.floor(date.getTime() / 1000) * 1000);
  });

  it('passes an HTML body from a proxy through as text', async () => {
    const s = make();
    fake.script({ route: 'fcm', token: 'h', status: 502, body: '<html><body>Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } });
    const res = await s.send(message('h'));
    expect(res).toMatchObject({ status: 502, body: '<html><body>Bad Gateway</body></html>' });
  });

  it('gives the 404 UNREGISTERED of a dead token', async () => {
    const s = make();
    fake.markDead('dead');
    const res = await s.send(message('dead'));
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).toContain('UNREGISTERED');
  });

  it('names its targets for the engine', () => {
    const s = make({ credentialId: 'sa@demo.iam.gserviceaccount.com' });
    expect(s.target(message('t'))).toEqual({ project: 'demo-project', token: 't', credential: 'fcm:sa@demo.iam.gserviceaccount.com' });
    expect(s.target({ topic: 'news' })).toEqual({ project: 'demo-project', topic: 'news', credential: 'fcm:sa@demo.iam.gserviceaccount.com' });
  });
});

describe('fcmSender access tokens', () => {
  it('after 401s from concurrent sends, fetches exactly one new token', async () => {
    const cred = credential();
    const s = make({ credential: cred });
    fake.setFcmAccessTokens(['tok-2']);
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => s.send(message(`u${i}`))));
    expect(res.every((r) => r.status === 401)).toBe(true);
    expect(cred.getAccessToken).toHaveBeenCalledTimes(1);
    await Promise.all(Array.from({ length: 20 }, () => s.refreshCredential()));
    expect(cred.getAccessToken).toHaveBeenCalledTimes(2);
    expect((await s.send(message('after'))).status).toBe(200);
    expect(cred.getAccessToken).toHaveBeenCalledTimes(2);
  });

  it('refreshes the token 5 minutes before it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cred = credential(3600);
    const s = make({ credential: cred });
    const auth: string[] = [];
    fake.script({ route: 'fcm', times: Infinity, where: (r) => (auth.push(String(r.headers.authorization)), false) });
    await s.send(message('a'));
    vi.advanceTimersByTime(54 * 60_000);
    await s.send(message('a'));
    vi.advanceTimersByTime(60_000);
    await s.send(message('a'));
    expect(auth).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('a credential that fails rejects the send with its own error and sends nothing', async () => {
    const s = make({ credential: { getAccessToken: async () => Promise.reject(new Error('invalid_grant')) } });
    await expect(s.send(message('x'))).rejects.toThrow('invalid_grant');
    expect(fake.stats().requests).toBe(0);
  });
});

describe('fcmSender transport faults', () => {
  it('a hung request times out as maybe delivered', async () => {
    const s = make({ timeoutMs: 150 });
    await s.send(message('warm'));
    fake.script({ route: 'fcm', token: 'hang', transport: 'hang' });
    const err = (await s.send(message('hang')).catch((e: unknown) => e)) as TransportError;
    expect(isTransportError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', requestSent: true });
  });
});
