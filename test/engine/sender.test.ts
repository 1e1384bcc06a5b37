import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender, SendError } from '../../src/engine/index.js';
import type { EngineEvent, SenderOptions } from '../../src/engine/types.js';
import { redactToken } from '../../src/redact.js';
import { apnsError, apnsOk, apnsToken, classify, fcmBadRequest, fcmError, fcmOk, fcmToken, type RawResponse } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Msg {
  id: number;
  token?: string;
  project?: string;
  topic?: string;
  credential?: string;
  deadline?: number;
  android?: { ttl?: string; collapseKey?: string };
  headers?: Record<string, string>;
}

/** A scripted provider: `respond(msg, call)` decides each answer; every call is recorded with its time. */
function provider(respond: (m: Msg, n: number) => RawResponse | Promise<RawResponse>) {
  const calls: { at: number; m: Msg; attempt: number }[] = [];
  const send = (m: Msg, ctx: { attempt: number }) => {
    calls.push({ at: Date.now(), m, attempt: ctx.attempt });
    return respond(m, calls.filter((c) => c.m === m).length);
  };
  return { calls, send };
}

function opts(over: Partial<SenderOptions<Msg>> = {}): SenderOptions<Msg> {
  return {
    provider: 'fcm',
    target: (m) => ({ project: m.project ?? 'demo', token: m.token, topic: m.topic, credential: m.credential }),
    classify,
    limits: false,
    retry: { minDelayMs: 0, defaultRetryAfterMs: 0, maxAttempts: 5, initialDelayMs: 1000 },
    random: () => 0,
    ...over,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createSender: outcomes', () => {
  it('delivers, with the provider message id, attempts and verdicts', async () => {
    const p = provider(() => fcmOk('42'));
    const s = createSender(p.send, opts());
    const o = await s.send({ id: 1, token: fcmToken(1) });
    expect(o).toMatchObject({ outcome: 'delivered', attempts: 1, messageId: 'projects/demo/messages/42' });
    expect(o.verdicts.map((v) => v.action)).toEqual(['ok']);
    await s.close();
  });

  it('takes a non-response value as delivered and reads its id', async () => {
    const s = createSender(() => 'projects/demo/messages/7', opts({ classify: () => { throw new Error('not called'); } }));
    expect(await s.send({ id: 1 })).toMatchObject({ outcome: 'delivered', messageId: 'projects/demo/messages/7' });
    const s2 = createSender(async () => ({ messageId: 'm-9' }), opts());
    expect(await s2.send({ id: 1 })).toMatchObject({ outcome: 'delivered', messageId: 'm-9' });
  });

  it('classifies synchronous throws and rejections', async () => {
    const sync = createSender(() => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    }, opts({ retry: { maxAttempts: 2, initialDelayMs: 10, minDelayMs: 0 } }));
    const done = sync.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(await done).toMatchObject({ outcome: 'gave-up', attempts: 2 });
    expect((await done).verdicts.map((v) => v.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    const rejecting = createSender(async () => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }, opts());
    // A reset after the request was written may have been delivered: not retried for a non-collapsible message.
    expect(await rejecting.send({ id: 2 })).toMatchObject({ outcome: 'gave-up', attempts: 1, maybeDelivered: true });
  });

  it('maps every terminal action to exactly one outcome', async () => {
    const cases: [RawResponse, string][] = [
      [fcmError(404, 'UNREGISTERED'), 'dropped-token'],
      [fcmBadRequest('message.data[0].value'), 'rejected'],
      [fcmError(401, 'THIRD_PARTY_AUTH_ERROR'), 'fatal'],
    ];
    for (const [res, outcome] of cases) {
      const onFixRequest = vi.fn();
      const onFatal = vi.fn();
      const s = createSender(() => res, opts({ onFixRequest, onFatal }));
      const o = await s.send({ id: 1, token: fcmToken(2) });
      await s.close();
      expect(o.outcome).toBe(outcome);
      expect(o.attempts).toBe(1);
      expect(onFixRequest).toHaveBeenCalledTimes(outcome === 'rejected' ? 1 : 0);
      expect(onFatal).toHaveBeenCalledTimes(outcome === 'fatal' ? 1 : 0);
    }
  });

  it('rejectOn rejects with a SendError that carries the outcome and no raw token', async () => {
    const token = fcmToken(3);
    const s = createSender(() => fcmBadRequest('message.android.ttl'), opts({ rejectOn: ['rejected'] }));
    const err = await s.send({ id: 1, token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).outcome.outcome).toBe('rejected');
    expect((err as SendError).message).not.toContain(token);
    expect(JSON.stringify((err as SendError).target)).toContain(redactToken(token));
    // sendMany returns outcomes in order instead of rejecting.
    const many = await s.sendMany([{ id: 1, token }, { id: 2, token }]);
    expect(many.map((o) => o.message.id)).toEqual([1, 2]);
  });
});

describe('createSender: retries and Retry-After', () => {
  it('honours Retry-After to the millisecond', async () => {
    const p = provider((_m, n) => (n === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '7' }) : fcmOk()));
    const s = createSender(p.send, opts({ random: () => 0.999 }));
    const done = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(6999);
    expect(p.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.calls).toHaveLength(2);
    expect(p.calls[1]!.at - p.calls[0]!.at).toBe(7000);
    expect(await done).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });

  it('backs off within the jitter bounds when no Retry-After is given (seeded)', async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const p = provider((_m, n) => (n < 5 ? fcmError(500, 'INTERNAL') : fcmOk()));
    const s = createSender(p.send, opts({ random, retry: { initialDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5, minDelayMs: 0 } }));
    const done = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await done).toMatchObject({ outcome: 'delivered', attempts: 5 });
    const gaps = p.calls.slice(1).map((c, i) => c.at - p.calls[i]!.at);
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(0);
      expect(g).toBeLessThanOrEqual(1000 * 2 ** i);
    });
  });

  it('applies the provider minimum delay (FCM: 10 s)', async () => {
    const p = provider((_m, n) => (n === 1 ? fcmError(503, 'UNAVAILABLE') : fcmOk()));
    const s = createSender(p.send, opts({ retry: { minDelayMs: 10_000 } }));
    const done = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(30_000);
    await done;
    expect(p.calls[1]!.at - p.calls[0]!.at).toBe(10_000);
  });

  it('a Retry-After above maxRetryAfterMs ends as gave-up with the delay, and the target stays cooled down', async () => {
    const p = provider(() => fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '3600' }));
    const s = createSender(p.send, opts({ retry: { maxRetryAfterMs: 15 * 60_000 } }));
    const first = await s.send({ id: 1 });
    expect(first).toMatchObject({ outcome: 'gave-up', attempts: 1, retryAfterMs: 3_600_000 });
    const second = await s.send({ id: 2 });
    expect(second.outcome).toBe('gave-up');
    expect(second.retryAfterMs).toBe(3_600_000);
    expect(p.calls).toHaveLength(1); // the second never reached the provider
  });

  it('does not retry a maybe-delivered failure unless the message is collapsible', async () => {
    const timeout = () => Promise.reject(Object.assign(new Error('timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT', requestSent: true }));
    const p1 = provider(timeout);
    const s = createSender(p1.send, opts());
    expect(await s.send({ id: 1 })).toMatchObject({ outcome: 'gave-up', attempts: 1, maybeDelivered: true });
    const p2 = provider((_m, n) => (n === 1 ? timeout() : fcmOk()));
    const s2 = createSender(p2.send, opts());
    const done = s2.send({ id: 2, android: { collapseKey: 'score' } });
    await vi.advanceTimersByTimeAsync(5000);
    expect(await done).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });
});

describe('createSender: expiry and abort', () => {
  it('a retry that would land after the deadline is not made: expired', async () => {
    const p = provider(() => fcmError(503, 'UNAVAILABLE', { 'retry-after': '10' }));
    const s = createSender(p.send, opts());
    const o = await s.send({ id: 1, deadline: T0 + 5000 });
    expect(o).toMatchObject({ outcome: 'expired', attempts: 1 });
    expect(p.calls).toHaveLength(1);
  });

  it('a retry whose wait for a concurrency slot outlasts the deadline is not made: expired, no request', async () => {
    // A fails once (retry in 1 s, well inside its 3 s deadline); B takes the only slot first and holds it
    // for 10 s, so A's retry could only leave at ~10 s, after its deadline.
    const p = provider((m, n) => (m.id === 1 && n === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '1' }) : m.id === 2 ? new Promise<RawResponse>((r) => setTimeout(() => r(fcmOk('b')), 10_000)) : fcmOk('a')));
    const s = createSender(p.send, opts({ limits: { concurrency: 1, project: [], device: [] } }));
    const a = s.send({ id: 1, deadline: T0 + 3000 });
    await vi.advanceTimersByTimeAsync(500);
    const b = s.send({ id: 2 });
    await vi.advanceTimersByTimeAsync(12_000);
    expect(await a).toMatchObject({ outcome: 'expired', attempts: 2 });
    expect(await b).toMatchObject({ outcome: 'delivered' });
    expect(p.calls.filter((c) => c.m.id === 1)).toHaveLength(1);
    await s.close();
  });

  it('reads FCM android.ttl and apns-expiration as deadlines', async () => {
    const p = provider(() => fcmError(503, 'UNAVAILABLE', { 'retry-after': '4' }));
    const s = createSender(p.send, opts());
    const done = s.send({ id: 1, android: { ttl: '6s' } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await done).toMatchObject({ outcome: 'expired', attempts: 2 });
    const a = provider(() => apnsError(503, 'ServiceUnavailable', {}, { 'retry-after': '60' }));
    const sa = createSender(a.send, opts({ provider: 'apns' }));
    const o = await sa.send({ id: 2, headers: { 'apns-expiration': String(Math.floor(T0 / 1000) + 30) } });
    expect(o.outcome).toBe('expired');
  });

  it('maxElapsedMs bounds the run', async () => {
    const p = provider(() => fcmError(503, 'UNAVAILABLE', { 'retry-after': '20' }));
    const s = createSender(p.send, opts({ retry: { maxElapsedMs: 50_000, maxAttempts: 10 } }));
    const done = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(100_000);
    expect(await done).toMatchObject({ outcome: 'gave-up', attempts: 3 });
  });

  it('abort cancels a waiting retry: no further request', async () => {
    const p = provider(() => fcmError(503, 'UNAVAILABLE', { 'retry-after': '30' }));
    const s = createSender(p.send, opts());
    const ac = new AbortController();
    const done = s.send({ id: 1 }, { signal: ac.signal });
    const settled = done.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    ac.abort();
    const err = await settled;
    expect((err as Error).name).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(p.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abort cancels in-flight work and signals the send function', async () => {
    let seen: AbortSignal | undefined;
    const s = createSender((_m: Msg, ctx) => {
      seen = ctx.signal;
      return new Promise(() => {});
    }, opts());
    const ac = new AbortController();
    const done = s.send({ id: 1 }, { signal: ac.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    ac.abort(new Error('shutdown'));
    expect(((await done) as Error).message).toBe('shutdown');
    expect(seen?.aborted).toBe(true);
  });
});

describe('createSender: cool-downs', () => {
  it('a 429 cools the whole project down: nothing reaches it before the Retry-After', async () => {
    let limited = true;
    const p = provider((m) => {
      if (m.project === undefined && limited) {
        limited = false;
        return fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '90' });
      }
      return fcmOk();
    });
    const s = createSender(p.send, opts({ limits: { concurrency: 1, project: [], device: [] } }));
    const first = s.send({ id: 0 });
    await vi.advanceTimersByTimeAsync(0);
    const queued = Array.from({ length: 20 }, (_, i) => s.send({ id: i + 1 }));
    const other = s.send({ id: 99, project: 'other' });
    await vi.advanceTimersByTimeAsync(1);
    expect((await other).outcome).toBe('delivered');
    const limitedAt = p.calls[0]!.at;
    await vi.advanceTimersByTimeAsync(200_000);
    const outcomes = await Promise.all([first, ...queued]);
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
    const afterLimit = p.calls.filter((c) => c.m.project !== 'other').slice(1);
    expect(afterLimit).toHaveLength(21);
    for (const c of afterLimit) expect(c.at - limitedAt).toBeGreaterThanOrEqual(90_000);
  });

  it('APNs TooManyRequests cools down only that device token', async () => {
    const hot = apnsToken(1);
    let once = true;
    const p = provider((m) => {
      if (m.token === hot && once) {
        once = false;
        return apnsError(429, 'TooManyRequests', {}, { 'retry-after': '20' });
      }
      return apnsOk();
    });
    const events: EngineEvent[] = [];
    const s = createSender(p.send, opts({ provider: 'apns', onEvent: (e) => events.push(e) }));
    const a = s.send({ id: 1, token: hot });
    await vi.advanceTimersByTimeAsync(0);
    const b = s.send({ id: 2, token: hot });
    const c = s.send({ id: 3, token: apnsToken(2) });
    await vi.advanceTimersByTimeAsync(1);
    expect((await c).outcome).toBe('delivered');
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all([a, b]);
    const hotCalls = p.calls.filter((x) => x.m.token === hot);
    expect(hotCalls).toHaveLength(3);
    expect(hotCalls[1]!.at - hotCalls[0]!.at).toBeGreaterThanOrEqual(20_000);
    expect(hotCalls[2]!.at - hotCalls[0]!.at).toBeGreaterThanOrEqual(20_000);
    const cd = events.find((e) => e.type === 'cool-down');
    expect(cd).toBeDefined();
    expect(JSON.stringify(cd)).not.toContain(hot);
  });

  it('coolDownScope can narrow a quota verdict to the device', async () => {
    const hot = fcmToken(5);
    let once = true;
    const p = provider((m) => {
      if (m.token === hot && once) {
        once = false;
        return fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '70' });
      }
      return fcmOk();
    });
    const s = createSender(p.send, opts({ coolDownScope: (v) => (v.code === 'QUOTA_EXCEEDED' ? 'device' : null) }));
    const a = s.send({ id: 1, token: hot });
    await vi.advanceTimersByTimeAsync(0);
    const other = await s.send({ id: 2, token: fcmToken(6) });
    expect(other.outcome).toBe('delivered');
    expect(p.calls.at(-1)!.at).toBe(T0); // the project was not cooled down
    await vi.advanceTimersByTimeAsync(70_000);
    expect((await a).outcome).toBe('delivered');
  });
});

describe('createSender: fatal circuit and credentials', () => {
  it('after a fatal verdict, sends with that credential fail fast until reset()', async () => {
    let broken = true;
    const p = provider(() => (broken ? apnsError(403, 'InvalidProviderToken') : apnsOk()));
    const onFatal = vi.fn();
    const s = createSender(p.send, opts({ provider: 'apns', onFatal, circuit: { coolDownMs: 60_000 } }));
    expect((await s.send({ id: 1, credential: 'key-A' })).outcome).toBe('fatal');
    const fast = await Promise.all(Array.from({ length: 5 }, (_, i) => s.send({ id: i + 2, credential: 'key-A' })));
    expect(fast.every((o) => o.outcome === 'fatal' && o.verdicts[0]!.code === 'InvalidProviderToken')).toBe(true);
    expect(p.calls).toHaveLength(1); // no request left
    // Another credential is unaffected.
    broken = false;
    expect((await s.send({ id: 9, credential: 'key-B' })).outcome).toBe('delivered');
    s.reset('key-A');
    expect((await s.send({ id: 10, credential: 'key-A' })).outcome).toBe('delivered');
    await s.close();
    expect(onFatal).toHaveBeenCalledTimes(6);
  });

  it('lets one half-open probe through after coolDownMs', async () => {
    let broken = true;
    const p = provider(() => (broken ? apnsError(403, 'InvalidProviderToken') : apnsOk()));
    const s = createSender(p.send, opts({ provider: 'apns', circuit: { coolDownMs: 60_000 } }));
    await s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await s.send({ id: 2 })).outcome).toBe('fatal'); // the probe, still broken
    expect(p.calls).toHaveLength(2);
    expect((await s.send({ id: 3 })).outcome).toBe('fatal'); // fail fast again
    expect(p.calls).toHaveLength(2);
    broken = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await s.send({ id: 4 })).outcome).toBe('delivered'); // the probe heals the circuit
    expect((await s.send({ id: 5 })).outcome).toBe('delivered');
    expect(p.calls).toHaveLength(4);
  });

  it('refreshes the credential once for concurrent failures of one generation, then retries once', async () => {
    let generation = 0;
    const refreshCredential = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 50));
      generation++;
    });
    const p = provider(() => (generation === 0 ? apnsError(403, 'ExpiredProviderToken') : apnsOk()));
    const s = createSender(p.send, opts({ provider: 'apns', refreshCredential }));
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => s.send({ id: i, token: apnsToken(i) })));
    await vi.advanceTimersByTimeAsync(1000);
    const outcomes = await all;
    expect(refreshCredential).toHaveBeenCalledTimes(1);
    expect(outcomes.every((o) => o.outcome === 'delivered' && o.attempts === 2)).toBe(true);
  });

  it('a credential that still fails after the refresh ends as fatal', async () => {
    const refreshCredential = vi.fn(async () => {});
    const s = createSender(() => apnsError(403, 'ExpiredProviderToken'), opts({ provider: 'apns', refreshCredential, circuit: false }));
    const o = await s.send({ id: 1 });
    expect(o).toMatchObject({ outcome: 'fatal', attempts: 2 });
    expect(refreshCredential).toHaveBeenCalledTimes(1);
  });
});

describe('createSender: events and redaction', () => {
  it('streams every attempt and outcome with tokens redacted', async () => {
    const token = fcmToken(77);
    const events: EngineEvent[] = [];
    const p = provider((_m, n) => (n === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '1' }) : fcmError(404, 'UNREGISTERED')));
    const s = createSender(p.send, opts({ onEvent: (e) => events.push(e), onDropToken: () => {} }));
    const done = s.send({ id: 1, token });
    await vi.advanceTimersByTimeAsync(2000);
    await done;
    expect(events.map((e) => e.type)).toEqual(['attempt', 'attempt', 'outcome']);
    expect(events[0]).toMatchObject({ type: 'attempt', attempt: 1, decision: { kind: 'retry', delayMs: 1000 } });
    expect(events[2]).toMatchObject({ type: 'outcome', outcome: 'dropped-token', attempts: 2, target: { token: redactToken(token) } });
    const text = JSON.stringify(events);
    expect(text).not.toContain(token);
    expect(text).toContain(redactToken(token));
    await s.close();
  });

  it('a throwing event listener changes nothing', async () => {
    const s = createSender(() => fcmOk(), opts({ onEvent: () => { throw new Error('listener bug'); } }));
    expect((await s.send({ id: 1 })).outcome).toBe('delivered');
  });
});

describe('attempt(): one step for queue workers', () => {
  it('makes one attempt and returns the decision and the next state without waiting', async () => {
    const p = provider((_m, n) => (n === 1 ? fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '75' }) : fcmOk()));
    const s = createSender(p.send, opts());
    const m = { id: 1 };
    const r1 = await s.attempt(m, { attempt: 0, startedAt: T0 });
    expect(r1.decision).toMatchObject({ kind: 'retry', delayMs: 75_000 });
    expect(r1.state).toMatchObject({ attempt: 1, startedAt: T0 });
    expect(p.calls).toHaveLength(1);
    // The project is cooling down: a second attempt now defers without a request.
    const early = await s.attempt(m, r1.state!);
    expect(early.decision.kind).toBe('retry');
    expect(p.calls).toHaveLength(1);
    vi.setSystemTime(T0 + 75_000);
    const r2 = await s.attempt(m, r1.state!);
    expect(r2.decision).toMatchObject({ kind: 'stop', outcome: 'delivered' });
    expect(r2.state?.attempt).toBe(2);
  });
});

describe('close()', () => {
  it('lets in-flight sends finish, then leaves no timer behind', async () => {
    const p = provider((_m, n) => (n === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '5' }) : fcmOk()));
    const onDropToken = vi.fn();
    const s = createSender(p.send, opts({ onDropToken, limits: { concurrency: 4, project: [{ count: 1000, perMs: 1000 }] } }));
    const done = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(10);
    const closing = s.close();
    await expect(s.send({ id: 2 })).rejects.toThrow(/closed/);
    await vi.advanceTimersByTimeAsync(10_000);
    await closing;
    expect((await done).outcome).toBe('delivered');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('sendMany(): a window as wide as limits.concurrency', () => {
  it('starts no more messages than the window holds: a large call does not start every send at once', async () => {
    let targets = 0;
    const p = provider(() => new Promise<RawResponse>((r) => setTimeout(() => r(fcmOk()), 100)));
    const s = createSender(
      p.send,
      opts({
        target: (m) => {
          targets++;
          return { project: 'demo', token: m.token };
        },
        limits: { concurrency: 5, project: [], device: [] },
      }),
    );
    const all = s.sendMany(Array.from({ length: 1000 }, (_, id) => ({ id, token: fcmToken(id) })));
    await vi.advanceTimersByTimeAsync(50);
    expect(targets).toBe(5); // five messages entered the engine; 995 are still plain data
    await vi.advanceTimersByTimeAsync(100 * 200 + 100);
    const outcomes = await all;
    expect(outcomes.map((o) => o.message.id)).toEqual(Array.from({ length: 1000 }, (_, id) => id));
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
    await s.close();
  });

  it('a message waiting for its retry or for a saturated device gives its place to the next', async () => {
    // Concurrency 2. Messages 0 and 1 answer 503 with Retry-After 60 s; messages 2..5 go to one device
    // allowed 1 send per minute. Messages 6..15 must not wait for either.
    const hot = fcmToken(999);
    const p = provider((m, n) => (m.id < 2 && n === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '60' }) : fcmOk()));
    const s = createSender(p.send, opts({ limits: { concurrency: 2, project: [], device: [{ count: 1, perMs: 60_000 }] } }));
    const msgs = Array.from({ length: 16 }, (_, id) => ({ id, token: id >= 2 && id <= 5 ? hot : fcmToken(id) }));
    const all = s.sendMany(msgs);
    await vi.advanceTimersByTimeAsync(1000);
    const sentEarly = new Set(p.calls.map((c) => c.m.id));
    for (let id = 6; id < 16; id++) expect(sentEarly, `message ${id}`).toContain(id);
    expect(p.calls.filter((c) => c.m.token === hot)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    const outcomes = await all;
    expect(outcomes.map((o) => o.outcome)).toEqual(msgs.map(() => 'delivered'));
    expect(outcomes.slice(0, 2).map((o) => o.attempts)).toEqual([2, 2]);
    await s.close();
  });

  it('its messages and their send functions listen to the caller’s signal without MaxListenersExceededWarning', async () => {
    // 50 messages in flight at once, each send listening to its signal (as fetch or undici do), each message
    // later waiting for its retry on the same signal: with or without a caller's signal, Node 20 must not warn.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (const caller of [new AbortController(), undefined]) {
        const listening = new Set<AbortSignal>();
        const send = (m: Msg, ctx: { attempt: number; signal: AbortSignal }) =>
          new Promise<RawResponse>((resolve) => {
            listening.add(ctx.signal);
            const onAbort = () => {};
            ctx.signal.addEventListener('abort', onAbort);
            setTimeout(() => {
              ctx.signal.removeEventListener('abort', onAbort);
              resolve(ctx.attempt === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '1' }) : fcmOk());
            }, 100);
          });
        const s = createSender(send, opts({ limits: { concurrency: 50, project: [], device: [] } }));
        const all = s.sendMany(Array.from({ length: 50 }, (_, id) => ({ id, token: fcmToken(id) })), caller ? { signal: caller.signal } : {});
        await vi.advanceTimersByTimeAsync(5000);
        expect((await all).map((o) => o.outcome)).toEqual(Array.from({ length: 50 }, () => 'delivered'));
        expect(listening.size).toBe(1); // one signal shared by every message: the case that warns (Node 20)
        await s.close();
      }
      await new Promise((r) => process.nextTick(r)); // warnings are emitted on a later tick
      expect(warnings.filter((n) => n === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an abort of the caller’s signal still reaches every message, with its reason', async () => {
    const caller = new AbortController();
    const p = provider(() => fcmError(503, 'UNAVAILABLE', { 'retry-after': '60' }));
    const s = createSender(p.send, opts({ limits: { concurrency: 20, project: [], device: [] } }));
    const all = s.sendMany(Array.from({ length: 20 }, (_, id) => ({ id, token: fcmToken(id) })), { signal: caller.signal });
    const settled = all.then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await vi.advanceTimersByTimeAsync(1000); // every message waits for its Retry-After
    const reason = new Error('shutting down');
    caller.abort(reason);
    await vi.advanceTimersByTimeAsync(1);
    const r = await settled;
    expect(r.ok).toBe(false);
    expect(r.ok ? undefined : r.e).toBe(reason);
    expect(p.calls).toHaveLength(20); // no retry left after the abort
    expect(vi.getTimerCount()).toBe(0);
    await s.close();
  });

  it('close() waits for a sendMany call, messages not yet started included', async () => {
    const p = provider(() => new Promise<RawResponse>((r) => setTimeout(() => r(fcmOk()), 100)));
    const s = createSender(p.send, opts({ limits: { concurrency: 2, project: [], device: [] } }));
    const all = s.sendMany(Array.from({ length: 10 }, (_, id) => ({ id })));
    await vi.advanceTimersByTimeAsync(10);
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(250);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    await closing;
    expect((await all).every((o) => o.outcome === 'delivered')).toBe(true);
    expect(p.calls).toHaveLength(10);
  });
});
