/**
 * The wrapper with the real firebase-admin over its default HTTP/2 transport, against the local fake FCM
 * server (`pushback/testing`, TLS) with `http2.connect` redirected. Every scenario counts requests at the
 * server. Retry-After values are 1 s (the header has whole seconds; the SDK's transport timers are real).
 */
import type { Message, Messaging } from 'firebase-admin/messaging';
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import type { ClassifyInput } from '../../src/types.js';
import type { DropTokenEvent } from '../../src/engine/types.js';
import { inspectSdk } from '../../src/firebase-admin/sdk.js';
import { wrapMessaging, type WrapMessagingOptions, type WrappedMessaging } from '../../src/firebase-admin/index.js';
import type { Outcome } from '../../src/types.js';
import { BAD_PAYLOAD_BODY, BAD_TOKEN_BODY, startFakeFcm, type FakeFcm } from '../helpers/fake-fcm.js';
import nock from 'nock';
import { createTestApp } from '../helpers/firebase-admin.js';
import { startH2c } from '../helpers/h2c-server.js';
import { redirectHttp2 } from '../../src/testing/http2-redirect.js';

/** Fast engine backoff for tests: the Retry-After floor still applies in full. */
const FAST = { minDelayMs: 0, initialDelayMs: 5, maxDelayMs: 40 };

let f: FakeFcm;
beforeAll(async () => {
  // Safety net: nothing may leave the machine (HTTP/1.1 goes through nock's interceptor).
  nock.disableNetConnect();
  f = await startFakeFcm();
});
afterAll(async () => {
  nock.enableNetConnect();
  await f.close();
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  f.fake.reset();
});

interface Harness {
  w: WrappedMessaging;
  dropped: DropTokenEvent[];
  fixes: Outcome<Message>[];
  fatals: Outcome<Message>[];
}

function wrap(options: WrapMessagingOptions = {}, projectId = 'demo-project'): Harness {
  const t = createTestApp(projectId);
  const h: Harness = { w: undefined as unknown as WrappedMessaging, dropped: [], fixes: [], fatals: [] };
  h.w = wrapMessaging(t.messaging, {
    transport: 'http2',
    retry: { ...FAST, ...options.retry },
    prune: { flushMs: 5, ...options.prune },
    onDropToken: (batch) => void h.dropped.push(...batch),
    onFixRequest: (o) => void h.fixes.push(o),
    onFatal: (o) => void h.fatals.push(o),
    ...options,
  });
  cleanups.push(async () => {
    await h.w.close();
    await t.close();
  });
  return h;
}

const hits = (token: string) => f.fake.requests({ token });


describe('wrapMessaging over HTTP/2 (sendEach / sendEachForMulticast)', () => {
  it('nothing fails: one request per message, one session per call, results in input order', async () => {
    const { w } = wrap();
    const tokens = ['tok-a', 'tok-b', 'tok-c'];
    const res = await w.sendEachForMulticast({ tokens, data: { k: 'v' } });
    expect(res.successCount).toBe(3);
    expect(res.failureCount).toBe(0);
    expect(res.responses.every((r) => r.success && /^projects\/demo-project\/messages\//.test(r.messageId ?? ''))).toBe(true);
    expect(res.outcomes.map((o) => (o.message as { token: string }).token)).toEqual(tokens);
    expect(f.fake.stats().requests).toBe(3);
    expect(w.sdk.retries.mode).toBe('off');
    // Drop-in: assignable to firebase-admin's own Messaging methods (checked by tsc).
    const asMessaging: Pick<Messaging, 'send' | 'sendEach' | 'sendEachForMulticast' | 'subscribeToTopic' | 'unsubscribeFromTopic' | 'app'> = w;
    expect(asMessaging.app.options.projectId).toBe('demo-project');
  });

  it('a mixed batch: only the retryable failure is sent again, after its Retry-After; dead tokens pruned once; bad payload reported', async () => {
    const h = wrap();
    f.fake.markDead('dead-1');
    f.fake.script({ route: 'fcm', token: 'busy-1', code: 'UNAVAILABLE', retryAfter: 1 });
    f.fake.script({ route: 'fcm', token: 'badpayload-1', status: 400, body: BAD_PAYLOAD_BODY, times: Infinity });
    f.fake.script({ route: 'fcm', token: 'badtoken-1', status: 400, body: BAD_TOKEN_BODY, times: Infinity });
    const tokens = ['ok-1', 'dead-1', 'busy-1', 'badpayload-1', 'badtoken-1', 'ok-2'];
    const res = await h.w.sendEachForMulticast({ tokens, notification: { title: 'hi' } });

    expect(res.responses.map((r) => r.success)).toEqual([true, false, true, false, false, true]);
    expect(res.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'dropped-token', 'delivered', 'rejected', 'dropped-token', 'delivered']);
    expect(res.successCount + res.failureCount).toBe(tokens.length);
    expect(res.responses[1]?.error?.code).toBe('messaging/registration-token-not-registered');
    expect(res.responses[3]?.error?.code).toBe('messaging/invalid-argument');

    for (const t of ['ok-1', 'dead-1', 'badpayload-1', 'badtoken-1', 'ok-2']) expect(hits(t), t).toHaveLength(1);
    const busy = hits('busy-1');
    expect(busy).toHaveLength(2);
    expect(busy[1]!.t - (busy[0]!.doneAt ?? busy[0]!.t)).toBeGreaterThanOrEqual(1000);

    // Below the valve's minimum volume (100 sends) condemned tokens are held until the window ends or
    // close() flushes them: close() here.
    await h.w.close();
    expect(h.dropped.map((d) => d.token).sort()).toEqual(['badtoken-1', 'dead-1']);
    expect(h.fixes.map((o) => (o.message as { token: string }).token)).toEqual(['badpayload-1']);
  });

  it("firebase-admin's own retries are off: a 503 without Retry-After costs exactly maxAttempts requests", async () => {
    const { w } = wrap({ retry: { ...FAST, maxAttempts: 3 } });
    f.fake.script({ route: 'fcm', token: 'down-1', code: 'UNAVAILABLE', times: Infinity });
    const res = await w.sendEach([{ token: 'down-1', data: { a: '1' } }]);
    expect(res.outcomes[0]).toMatchObject({ outcome: 'gave-up', attempts: 3 });
    expect(res.responses[0]?.error?.code).toBe('messaging/server-unavailable');
    expect(hits('down-1')).toHaveLength(3);
  });

  it("sdkRetries 'keep': the SDK retries stay on and pushback's attempts shrink so the total stays within the budget", async () => {
    const t = createTestApp();
    // The SDK sleeps 1, 2, 4 s between its own retries: zero its backoff factor (count unchanged).
    for (const c of inspectSdk(t.messaging).retryClients ?? []) if (c.retry) c.retry.backOffFactor = 0;
    const w = wrapMessaging(t.messaging, { sdkRetries: 'keep', transport: 'http2', retry: { ...FAST, maxAttempts: 10 } });
    cleanups.push(async () => {
      await w.close();
      await t.close();
    });
    expect(w.sdk.retries).toMatchObject({ mode: 'keep', requestsPerCall: 5, attempts: 2 });
    f.fake.script({ route: 'fcm', token: 'down-2', code: 'UNAVAILABLE', times: Infinity });
    const res = await w.sendEach([{ token: 'down-2' }]);
    expect(res.outcomes[0]).toMatchObject({ outcome: 'gave-up', attempts: 2 });
    expect(hits('down-2')).toHaveLength(10);
  });

  it('a 429 cools the whole project down: a later call to another device waits out the verdict before any request', async () => {
    // The catalog's floor for message-rate-exceeded is FCM's 60 s; the test scales the verdict's delay
    // down to 1.2 s (a real wait) and checks that the whole project honours it.
    const scaled = (input: ClassifyInput) => {
      const v = classify(input);
      return v.code === 'messaging/message-rate-exceeded' && v.retryAfterMs === 60_000 ? { ...v, retryAfterMs: 1200 } : v;
    };
    const seen: number[] = [];
    const { w } = wrap({ classify: scaled, onEvent: (e) => void (e.type === 'attempt' && seen.push(e.verdict.retryAfterMs ?? -1)) });
    f.fake.script({ route: 'fcm', token: 'q-1', code: 'QUOTA_EXCEEDED', retryAfter: 1 });
    const first = w.sendEach([{ token: 'q-1' }]);
    for (let i = 0; i < 500 && hits('q-1')[0]?.status !== 429; i++) await realSleep(2);
    await realSleep(20);
    const second = await w.sendEach([{ token: 'q-2' }]);
    const res = await first;
    expect(seen[0]).toBe(1200);
    expect(res.outcomes[0]).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(second.outcomes[0]).toMatchObject({ outcome: 'delivered', attempts: 1 });
    const limited = hits('q-1')[0]!;
    expect(hits('q-2')[0]!.t - (limited.doneAt ?? limited.t)).toBeGreaterThanOrEqual(1200);
    expect(hits('q-1')[1]!.t - (limited.doneAt ?? limited.t)).toBeGreaterThanOrEqual(1200);
    expect(hits('q-2')).toHaveLength(1);
  });

  it('the quota floor itself: without scaling, QUOTA_EXCEEDED is classified with at least 60 s', async () => {
    const seen: (number | null)[] = [];
    const { w } = wrap({ retry: { ...FAST, maxAttempts: 1 }, onEvent: (e) => void (e.type === 'attempt' && seen.push(e.verdict.retryAfterMs)) });
    f.fake.script({ route: 'fcm', token: 'q-3', code: 'QUOTA_EXCEEDED', retryAfter: 1 });
    const res = await w.sendEach([{ token: 'q-3' }]);
    expect(res.outcomes[0]?.outcome).toBe('gave-up');
    expect(seen[0]).toBeGreaterThanOrEqual(60_000);
  });

  it('over 500 messages: split into calls of at most 500, merged in input order', async () => {
    const { w } = wrap();
    const sessionsBefore = f.sessions();
    const tokens = Array.from({ length: 1203 }, (_, i) => `bulk-${i}`);
    const res = await w.sendEachForMulticast({ tokens, data: { n: '1' } });
    expect(res.successCount).toBe(1203);
    expect(res.responses).toHaveLength(1203);
    expect(res.outcomes.map((o) => (o.message as { token: string }).token)).toEqual(tokens);
    expect(f.fake.stats().requests).toBe(1203);
    expect(f.sessions() - sessionsBefore).toBe(3);
    expect(f.fake.stats().maxStreamsPerSession).toBeLessThanOrEqual(500);
  });

  it('invalid input never crashes: per-message validation failures are rejected outcomes, no request', async () => {
    const h = wrap();
    const res = await h.w.sendEach([{ token: 'fine-1' }, {} as Message, { token: 'fine-2', data: { n: 1 as unknown as string } }]);
    expect(res.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'rejected', 'rejected']);
    expect(res.responses[1]?.error?.code).toMatch(/^messaging\/invalid-(payload|argument)$/);
    expect(f.fake.stats().requests).toBe(1);
    await expect(h.w.sendEach('nope' as unknown as Message[])).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    expect(await h.w.sendEach([])).toMatchObject({ responses: [], successCount: 0, failureCount: 0 });
    await expect(h.w.sendEachForMulticast({} as never)).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
  });

  it('a fatal verdict opens the circuit: the next messages fail fast with no request', async () => {
    const h = wrap({ circuit: { coolDownMs: 60_000 } }, 'wrong-project');
    f.fake.script({ route: 'fcm', project: 'wrong-project', code: 'PERMISSION_DENIED', times: Infinity });
    const first = await h.w.sendEach([{ token: 'c-1' }]);
    expect(first.outcomes[0]?.outcome).toBe('fatal');
    const before = f.fake.stats().requests;
    const second = await h.w.sendEach([{ token: 'c-2' }, { token: 'c-3' }]);
    expect(second.outcomes.map((o) => o.outcome)).toEqual(['fatal', 'fatal']);
    expect(second.responses.every((r) => !r.success && typeof r.error?.code === 'string')).toBe(true);
    expect(f.fake.stats().requests).toBe(before);
    expect(h.fatals.length).toBe(3);
  });

  // On a local TLS server, a GOAWAY with firebase-admin in the same process crashes Node 20.20 natively
  // ("corrupted size vs. prev_size"); the same exchange over h2c does not, so this scenario uses h2c.
  it('12.3 to 13.2 (a session failure crashes the process there): the default transport is HTTP/1.1', async () => {
    const t = createTestApp();
    const info = inspectSdk(t.messaging);
    const w = wrapMessaging(t.messaging, { retry: FAST });
    cleanups.push(async () => {
      await w.close();
      await t.close();
    });
    expect(w.sdk.transport).toBe(info.sessionFailureCrashes ? 'http1' : 'http2');
    const h1 = nock('https://fcm.googleapis.com:443').post('/v1/projects/demo-project/messages:send').times(2).reply(200, { name: 'projects/demo-project/messages/h1' });
    const sessions = f.sessions();
    const res = await w.sendEach([{ token: 'tr-1' }, { token: 'tr-2' }]);
    expect(res.successCount).toBe(2);
    if (info.sessionFailureCrashes) {
      expect(h1.isDone()).toBe(true);
      expect(f.sessions()).toBe(sessions);
    } else {
      expect(h1.isDone()).toBe(false);
      expect(hits('tr-1')).toHaveLength(1);
    }
    nock.cleanAll();
  });

  it('an HTTP/2 session failure (GOAWAY) mid-batch: what succeeded is kept, only the failed messages are sent again (13.3+: pendingBatchResponse; 14: per-message errors)', async () => {
    const probe = createTestApp();
    cleanups.push(() => probe.close());
    if (inspectSdk(probe.messaging).sessionFailureCrashes) {
      // This firebase-admin throws inside its session listener, so the process would crash (#2789): on
      // such versions the wrapper's default keeps sendEach off HTTP/2 (exercised by the test above).
      const w = wrapMessaging(probe.messaging);
      cleanups.push(() => w.close());
      expect(w.sdk.transport).toBe('http1');
      return;
    }
    let cut = false;
    const server = await startH2c((req) => {
      if ((req.body as { message: { token: string } }).message.token === 's-20' && !cut) {
        cut = true;
        return 'goaway';
      }
      return { status: 200, body: { name: `projects/demo-project/messages/${req.headers[':path']?.length ?? 0}` } };
    });
    f.redirect.restore();
    const redirect = redirectHttp2({ target: server.url });
    cleanups.push(async () => {
      redirect.restore();
      f.redirect.reinstall();
      await server.close();
    });
    const { w } = wrap({ retry: { ...FAST, retryMaybeDelivered: 'always' } });
    const tokens = Array.from({ length: 40 }, (_, i) => `s-${i}`);
    const res = await w.sendEachForMulticast({ tokens });
    expect(res.successCount).toBe(40);
    const count = (t: string) => server.requests.filter((r) => (r.body as { message: { token: string } }).message.token === t).length;
    // Every message was sent again at most once, and the one that met the GOAWAY was sent again.
    expect(tokens.every((t) => count(t) >= 1 && count(t) <= 2)).toBe(true);
    expect(count('s-20')).toBe(2);
    // What firebase-admin reported as delivered in the failed session was not sent again.
    const firstRound = res.outcomes.filter((o) => o.attempts === 1).map((o) => (o.message as { token: string }).token);
    for (const t of firstRound) expect(count(t), t).toBe(1);
    expect(server.requests.length).toBe(40 + (40 - firstRound.length));
    // 13.3+: the call rejected with FirebaseMessagingSessionError and its pendingBatchResponse was used;
    // 14: the call resolved with per-message failures. Either way every message was resolved once.
    expect(res.outcomes.every((o) => o.attempts <= 2)).toBe(true);
  });
});

describe('wrapMessaging: calls merged with other callers, bad input, shared instances', () => {
  it("a message firebase-admin cannot even copy (circular) fails alone: another caller's messages merged into the same call are delivered", async () => {
    const h = wrap();
    const circular: Record<string, unknown> = { token: 'circ-1' };
    circular.self = circular;
    const [mine, theirs] = await Promise.all([h.w.sendEach([{ token: 'victim-0' }, { token: 'victim-1' }]), h.w.sendEach([circular as unknown as Message])]);
    expect(mine.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'delivered']);
    expect(theirs.outcomes.map((o) => o.outcome)).toEqual(['rejected']);
    expect(hits('victim-0')).toHaveLength(1);
    expect(hits('victim-1')).toHaveLength(1);
    expect(h.fixes.map((o) => o.message)).toEqual([circular]);
  });

  it('a null message or a hole fails on its own (as firebase-admin does), the others are delivered; each error carries its own message', async () => {
    const h = wrap();
    const msgs = [{ token: 'n-ok-1' }, null, { token: 'n-ok-2' }] as unknown as Message[];
    const res = await h.w.sendEach(msgs);
    expect(res.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'rejected', 'delivered']);
    expect(res.responses[1]?.error?.code).toBe('messaging/invalid-payload');
    expect((res.responses[1]?.error as unknown as { outcome: Outcome<Message> }).outcome.message).toBe(null); // the caller's message, not pushback's envelope
    expect(f.fake.stats().requests).toBe(2);
    const sparse = new Array<Message>(2);
    sparse[0] = { token: 's-1' };
    expect((await h.w.sendEach(sparse)).outcomes.map((o) => o.outcome)).toEqual(['delivered', 'rejected']);
    await expect(h.w.send(null as unknown as Message)).rejects.toMatchObject({ code: 'messaging/invalid-payload' });
  });

  it('a non-boolean dryRun rejects the call (as firebase-admin does) and sends nothing; a closed wrapper rejects with a code', async () => {
    const h = wrap();
    const dry = 'true' as unknown as boolean;
    await expect(h.w.sendEach([{ token: 'dry-1' }], dry)).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    await expect(h.w.sendEachForMulticast({ tokens: ['dry-1'] }, dry)).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    await expect(h.w.send({ token: 'dry-1' }, dry)).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    expect(hits('dry-1')).toHaveLength(0);
    await h.w.close();
    await expect(h.w.sendEach([{ token: 'late' }])).rejects.toMatchObject({ code: 'pushback/closed' });
    await expect(h.w.subscribeToTopic('late', 'news')).rejects.toMatchObject({ code: 'pushback/closed' });
  });

  it('maxConcurrentBatches bounds the sendEach calls (HTTP/2 sessions) in flight, however many callers', async () => {
    const h = wrap({ maxConcurrentBatches: 2 });
    const sdk = h.w.messaging as unknown as { sendEach: (...a: unknown[]) => Promise<unknown> };
    const original = sdk.sendEach.bind(sdk);
    let inFlight = 0;
    let most = 0;
    sdk.sendEach = (...a) => {
      most = Math.max(most, ++inFlight);
      const p = original(...a);
      p.then(
        () => inFlight--,
        () => inFlight--,
      );
      return p;
    };
    f.fake.script({ route: 'fcm', latencyMs: 100, times: Infinity });
    const calls: Promise<{ successCount: number }>[] = [];
    const sessionsBefore = f.sessions();
    for (let i = 0; i < 20; i++) {
      calls.push(h.w.sendEach([{ token: `mc-${i}` }]));
      await realSleep(2);
    }
    expect((await Promise.all(calls)).every((r) => r.successCount === 1)).toBe(true);
    expect(most).toBe(2);
    expect(f.sessions() - sessionsBefore).toBeLessThan(20); // waiting callers shared calls
  });

  it('envelopes of different kinds given to sender.sendMany directly never share a call: a dry run is never sent for real, a send envelope goes to send()', async () => {
    const h = wrap({ limits: { project: [] } }); // admitted at once: the three go out as one engine batch
    const batches: number[] = [];
    const batch = (h.w.sender as unknown as { options: { batch: { send: (items: unknown[]) => unknown } } }).options.batch;
    const viaBatch = batch.send;
    batch.send = (items) => {
      batches.push(items.length);
      return viaBatch(items);
    };
    const sdk = h.w.messaging as unknown as { sendEach: (m: Message[], dry?: boolean) => Promise<unknown>; send: (m: Message, dry?: boolean) => Promise<string> };
    const eachCalls: [string[], boolean][] = [];
    const sendCalls: string[] = [];
    const each = sdk.sendEach.bind(sdk);
    sdk.sendEach = (m, dry) => {
      eachCalls.push([m.map((x) => (x as { token: string }).token), dry === true]);
      return each(m, dry);
    };
    // firebase-admin's send() goes over HTTP/1.1 (tested against nock in wrap-http1.test.ts): answered here.
    sdk.send = async (m) => {
      sendCalls.push((m as { token: string }).token);
      return 'projects/demo-project/messages/kind-send';
    };
    const out = await h.w.sender.sendMany([
      { route: 'each', message: { token: 'kind-real' }, dryRun: false },
      { route: 'each', message: { token: 'kind-dry' }, dryRun: true },
      { route: 'send', message: { token: 'kind-send' }, dryRun: false },
    ]);
    expect(out.map((o) => o.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(out[2]!.messageId).toBe('projects/demo-project/messages/kind-send');
    expect(eachCalls.sort()).toEqual([
      [['kind-dry'], true],
      [['kind-real'], false],
    ]);
    expect(sendCalls).toEqual(['kind-send']);
    expect(batches).toEqual([3]);
  });

  it('two wrappers of one Messaging instance (getMessaging(app) is shared): closing one leaves the other intact; the last close restores the SDK', async () => {
    const t = createTestApp();
    cleanups.push(() => t.close());
    const clients = inspectSdk(t.messaging).retryClients ?? [];
    const originals = clients.map((c) => c.retry);
    expect(originals.every((r) => r && typeof r === 'object')).toBe(true);
    const handler = (t.messaging as unknown as { messagingRequestHandler: object }).messagingRequestHandler;
    const ownMethods = () => Object.keys(handler).filter((k) => /^(build|invoke)/.test(k));
    const seen: (number | null)[] = [];
    const a = wrapMessaging(t.messaging, { transport: 'http2', retry: { ...FAST, maxAttempts: 2 } });
    const b = wrapMessaging(t.messaging, {
      transport: 'http2',
      retry: { ...FAST, maxAttempts: 2, maxRetryAfterMs: 1000 },
      onEvent: (e) => void (e.type === 'attempt' && seen.push(e.verdict.retryAfterMs)),
    });
    await a.close();
    // b still has the SDK's retries off (2 requests for a budget of 2) and still sees Retry-After (13's polyfill).
    expect(clients.every((c) => c.retry === null)).toBe(true);
    f.fake.script({ route: 'fcm', token: 'down-b', code: 'UNAVAILABLE', retryAfter: 120, times: Infinity });
    const res = await b.sendEach([{ token: 'down-b' }]);
    expect(res.outcomes[0]?.outcome).toBe('gave-up');
    expect(hits('down-b')).toHaveLength(1); // Retry-After 120 s is above maxRetryAfterMs: no second request
    if (!inspectSdk(t.messaging).nativeHttpResponse) expect(seen[0]).toBe(120_000);
    await b.close();
    expect(clients.map((c) => c.retry)).toEqual(originals);
    expect(ownMethods()).toEqual([]);
  });

  it('a bad option throws before the shared instance is changed', () => {
    const t = createTestApp();
    cleanups.push(() => t.close());
    const clients = inspectSdk(t.messaging).retryClients ?? [];
    const handler = (t.messaging as unknown as { messagingRequestHandler: object }).messagingRequestHandler;
    for (const bad of [{ batchSize: Number.NaN }, { maxConcurrentBatches: 0 }, { retryBatchWindowMs: -1 }, { limits: { concurrency: 0 } }]) {
      expect(() => wrapMessaging(t.messaging, bad)).toThrow(RangeError);
      expect(clients.every((c) => c.retry && typeof c.retry === 'object')).toBe(true);
      expect(Object.keys(handler).filter((k) => /^(build|invoke)/.test(k))).toEqual([]);
    }
  });

  it('a dead token listed several times in one multicast reaches the prune hook once', async () => {
    const h = wrap();
    f.fake.markDead('dead-twice');
    const res = await h.w.sendEachForMulticast({ tokens: ['dead-twice', 'ok-1', 'dead-twice', 'dead-twice'] });
    expect(res.outcomes.map((o) => o.outcome)).toEqual(['dropped-token', 'delivered', 'dropped-token', 'dropped-token']);
    await h.w.close();
    expect(h.dropped.map((d) => d.token)).toEqual(['dead-twice']);
  });
});
