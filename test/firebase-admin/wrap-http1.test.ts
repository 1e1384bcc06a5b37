/**
 * The wrapper with the real firebase-admin over HTTP/1.1 (`send()`, the legacy `sendEach` transport and
 * topic management) against nock. Requests are counted in nock's reply callbacks.
 */
import type { Message } from 'firebase-admin/messaging';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DropTokenEvent } from '../../src/engine/types.js';
import { wrapMessaging, type WrapMessagingOptions, type WrappedMessaging } from '../../src/firebase-admin/index.js';
import type { Outcome } from '../../src/types.js';
import { BAD_PAYLOAD_BODY } from '../helpers/fake-fcm.js';
import { createTestApp, SDK_MAJOR } from '../helpers/firebase-admin.js';

const FCM = 'https://fcm.googleapis.com:443';
const PATH = '/v1/projects/demo-project/messages:send';
const FAST = { minDelayMs: 0, initialDelayMs: 5, maxDelayMs: 40 };
const json = { 'content-type': 'application/json; charset=UTF-8' };
const fcmError = (status: number, rpc: string, message: string, errorCode?: string) => ({
  error: { code: status, message, status: rpc, details: errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : [] },
});
const UNREGISTERED = fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
const BAD_TOKEN = fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT');
const UNAVAILABLE = fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE');

type Reply = [number, unknown, Record<string, string>?];

/** A nock FCM whose answer depends on the message's token; every request is logged with its time. */
function fakeFcm(answer: (token: string, n: number) => Reply) {
  const log: { token: string; at: number }[] = [];
  nock(FCM)
    .persist()
    .post(PATH)
    .reply((_uri, body) => {
      const token = String((body as { message?: { token?: string } }).message?.token);
      log.push({ token, at: Date.now() });
      const [status, resBody, headers] = answer(token, log.filter((l) => l.token === token).length);
      return [status, resBody, { ...json, ...headers }];
    });
  return { log, hits: (t: string) => log.filter((l) => l.token === t) };
}
const ok = (n = 1): Reply => [200, { name: `projects/demo-project/messages/${n}` }];

interface Harness {
  w: WrappedMessaging;
  dropped: DropTokenEvent[];
  fixes: Outcome<Message>[];
}

const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

function wrap(options: WrapMessagingOptions = {}): Harness {
  const t = createTestApp();
  const h: Harness = { w: undefined as unknown as WrappedMessaging, dropped: [], fixes: [] };
  h.w = wrapMessaging(t.messaging, {
    retry: FAST,
    onDropToken: (b) => void h.dropped.push(...b),
    onFixRequest: (o) => void h.fixes.push(o),
    ...options,
  });
  cleanups.push(async () => {
    await h.w.close();
    await t.close();
  });
  return h;
}

/**
 * Fakes the topic subscription API for `h` on either SDK: 14.5+ sends one v1 request per token (HTTP/1.1
 * with the legacy transport), 12/13 one iid `batchAdd` per call. `answer(token)` is the server's answer for
 * each token. Counts the calls, the tokens sent and the largest call.
 */
function topicApi(h: Harness, answer: (token: string) => 'ok' | 'NOT_FOUND' | 'INVALID_ARGUMENT') {
  const seen = { calls: 0, tokens: [] as string[], largest: 0 };
  if (SDK_MAJOR >= 14) {
    h.w.enableLegacyHttpTransport();
    nock(FCM)
      .persist()
      .post(/\/v1\/projects\/demo-project\/registrations\/.*\/topicSubscriptions/)
      .reply((uri): Reply => {
        seen.calls++;
        seen.largest = 1;
        const token = /registrations\/([^/]+)\//.exec(decodeURIComponent(uri))?.[1] ?? '?';
        seen.tokens.push(token);
        const a = answer(token);
        if (a === 'NOT_FOUND') return [404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.'), json];
        if (a === 'INVALID_ARGUMENT') return [400, fcmError(400, 'INVALID_ARGUMENT', 'Invalid registration token'), json];
        return [200, {}, json];
      });
  } else {
    nock('https://iid.googleapis.com:443')
      .persist()
      .post('/iid/v1:batchAdd')
      .reply((_uri, body): Reply => {
        seen.calls++;
        const sent = (body as { registration_tokens: string[] }).registration_tokens;
        seen.tokens.push(...sent);
        seen.largest = Math.max(seen.largest, sent.length);
        return [200, { results: sent.map((t) => (answer(t) === 'ok' ? {} : { error: answer(t) })) }, json];
      });
  }
  return seen;
}

describe('wrapMessaging: send() over HTTP/1.1 (nock)', () => {
  it('delivers with one request and returns the message id', async () => {
    const { w } = wrap();
    const fcm = fakeFcm(() => ok(7));
    await expect(w.send({ token: 'one', data: { a: '1' } })).resolves.toBe('projects/demo-project/messages/7');
    expect(fcm.log).toHaveLength(1);
  });

  it('a dead token: one request, the same error as firebase-admin, the token pruned once', async () => {
    const h = wrap();
    const fcm = fakeFcm(() => [404, UNREGISTERED]);
    await expect(h.w.send({ token: 'gone' })).rejects.toMatchObject({ code: 'messaging/registration-token-not-registered' });
    await h.w.close();
    expect(fcm.log).toHaveLength(1);
    expect(h.dropped.map((d) => [d.token, d.provider, d.code])).toEqual([['gone', 'firebase-admin', 'messaging/registration-token-not-registered']]);
  });

  it('a 503 with Retry-After: 1 is retried once, not before a second has passed', async () => {
    const { w } = wrap();
    const fcm = fakeFcm((_t, n) => (n === 1 ? [503, UNAVAILABLE, { 'retry-after': '1' }] : ok()));
    await expect(w.send({ token: 'busy' })).resolves.toMatch(/messages\/1$/);
    const [a, b] = fcm.hits('busy');
    expect(fcm.log).toHaveLength(2);
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(1000);
  });

  it('a synchronous throw from firebase-admin (invalid message) is a rejected outcome, not a crash; no request', async () => {
    const h = wrap();
    const fcm = fakeFcm(() => ok());
    const err = (await h.w.send({} as Message).catch((e: unknown) => e)) as { code: string; outcome?: Outcome<Message> };
    expect(err.code).toBe('messaging/invalid-payload');
    expect(err.outcome?.outcome).toBe('rejected');
    await h.w.close();
    expect(h.fixes).toHaveLength(1);
    expect(fcm.log).toHaveLength(0);
  });

  it('INVALID_ARGUMENT from code + message only (12/13 without httpResponse): bad token pruned, bad payload reported', async () => {
    const h = wrap({ polyfillHttpResponse: false });
    const fcm = fakeFcm((t) => (t === 'bad-token' ? [400, BAD_TOKEN] : [400, BAD_PAYLOAD_BODY]));
    type Failure = { code: string; outcome: Outcome<Message> };
    const a = (await h.w.send({ token: 'bad-token' }).catch((e: unknown) => e)) as Failure;
    const b = (await h.w.send({ token: 'good-token', data: { a: '1' } }).catch((e: unknown) => e)) as Failure;
    expect([a.code, b.code]).toEqual(['messaging/invalid-argument', 'messaging/invalid-argument']);
    expect([a.outcome.outcome, b.outcome.outcome]).toEqual(['dropped-token', 'rejected']);
    await h.w.close();
    expect(h.dropped.map((d) => d.token)).toEqual(['bad-token']);
    expect(h.fixes.map((o) => (o.message as { token: string }).token)).toEqual(['good-token']);
    expect(fcm.log).toHaveLength(2);
  });
});

describe('wrapMessaging: legacy HTTP/1.1 sendEach (nock)', () => {
  it('partial-batch retry: only the 503 is sent again; input order and counts kept', async () => {
    const h = wrap();
    h.w.enableLegacyHttpTransport();
    const fcm = fakeFcm((t, n) => {
      if (t === 'dead') return [404, UNREGISTERED];
      if (t === 'busy' && n === 1) return [503, UNAVAILABLE, { 'retry-after': '1' }];
      if (t === 'payload') return [400, BAD_PAYLOAD_BODY];
      return ok(n);
    });
    const tokens = ['a', 'dead', 'busy', 'payload', 'b'];
    const res = await h.w.sendEachForMulticast({ tokens, data: { x: '1' } });
    expect(res.responses.map((r) => r.success)).toEqual([true, false, true, false, true]);
    expect(res.successCount).toBe(3);
    expect(res.failureCount).toBe(2);
    expect(tokens.map((t) => fcm.hits(t).length)).toEqual([1, 1, 2, 1, 1]);
    const [b1, b2] = fcm.hits('busy');
    expect(b2!.at - b1!.at).toBeGreaterThanOrEqual(1000);
    await h.w.close();
    expect(h.dropped.map((d) => d.token)).toEqual(['dead']);
    expect(h.fixes).toHaveLength(1);
  });
});

describe('wrapMessaging: topic subscriptions (nock)', () => {
  it('dead tokens in a subscribe result go to the hook; the response keeps firebase-admin’s shape and indices', async () => {
    const h = wrap();
    const tokens = ['t-ok', 't-dead', 't-bad', 't-ok2'];
    const api = topicApi(h, (t) => (t === 't-dead' ? 'NOT_FOUND' : t === 't-bad' ? 'INVALID_ARGUMENT' : 'ok'));
    const res = await h.w.subscribeToTopic(tokens, 'news');
    expect(res.successCount).toBe(2);
    expect(res.failureCount).toBe(2);
    expect(res.errors.map((e) => e.index)).toEqual([1, 2]);
    expect(res.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'dropped-token', 'dropped-token', 'delivered']);
    expect(api.calls).toBe(SDK_MAJOR >= 14 ? 4 : 1);
    await h.w.close();
    expect(h.dropped.map((d) => d.token).sort()).toEqual(['t-bad', 't-dead']);
  });

  it('more than 1,000 tokens (firebase-admin refuses them) are split and merged with global indices', async () => {
    const h = wrap();
    const tokens = Array.from({ length: 1500 }, (_, i) => `many-${i}`);
    const deadIdx = new Set([3, 1200, 1499]);
    const api = topicApi(h, (t) => (deadIdx.has(Number(t.slice(5))) ? 'NOT_FOUND' : 'ok'));
    const res = await h.w.subscribeToTopic(tokens, '/topics/many');
    expect(res.failureCount).toBe(3);
    expect(res.errors.map((e) => e.index)).toEqual([3, 1200, 1499]);
    expect(api.calls).toBe(SDK_MAJOR >= 14 ? 1500 : 2);
    expect(api.largest).toBeLessThanOrEqual(1000);
    await h.w.close();
    expect(h.dropped.map((d) => d.token).sort()).toEqual(['many-1200', 'many-1499', 'many-3']);
  });

  it("one caller's invalid token fails alone: another caller's tokens merged into the same topic call are subscribed", async () => {
    const h = wrap();
    const api = topicApi(h, () => 'ok');
    const [good, bad] = await Promise.all([h.w.subscribeToTopic(['good-1', 'good-2'], 'news'), h.w.subscribeToTopic(['', 42 as unknown as string], 'news')]);
    expect(good.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'delivered']);
    expect(bad.outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected']);
    expect(bad.errors.map((e) => [e.index, e.error.code])).toEqual([
      [0, 'messaging/invalid-argument'],
      [1, 'messaging/invalid-argument'],
    ]);
    expect(api.tokens.sort()).toEqual(['good-1', 'good-2']);
    await h.w.close();
    expect(h.dropped).toEqual([]); // a malformed token is the caller's bug, not a dead device
  });

  it('invalid arguments reject like firebase-admin does, without a request', async () => {
    const { w } = wrap();
    await expect(w.unsubscribeFromTopic([], 'news')).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    await expect(w.subscribeToTopic('tok', '')).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
  });
});
