/**
 * Edge cases of the engine found by a property-based review (2026-12-04): each test failed before its fix.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSender, MemoryValveStore } from '../../src/engine/index.js';
import type { EngineEvent, ValveStore } from '../../src/engine/types.js';
import { apnsError, apnsOk, classify, fcmBadRequest, fcmError, fcmOk, fcmToken } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
afterEach(() => {
  vi.useRealTimers();
});

describe('credential refresh', () => {
  /** A sender whose APNs key keeps failing with ExpiredProviderToken; counts requests. */
  function expiredKey(refreshCredential: () => Promise<void>, onEvent?: (e: EngineEvent) => void) {
    const sent = { calls: 0 };
    const s = createSender<{ id: number }>(
      () => {
        sent.calls++;
        return apnsError(403, 'ExpiredProviderToken');
      },
      { provider: 'apns', target: () => ({ project: 'p', credential: 'key-A' }), classify, limits: false, refreshCredential, ...(onEvent ? { onEvent } : {}) },
    );
    return { s, sent };
  }

  it('a credential that still fails after its refresh ends fatal and opens the circuit: later messages send nothing', async () => {
    let refreshes = 0;
    const events: EngineEvent[] = [];
    const { s, sent } = expiredKey(async () => void refreshes++, (e) => events.push(e));
    expect((await s.send({ id: 1 })).outcome).toBe('fatal');
    expect([sent.calls, refreshes]).toEqual([2, 1]); // the first request, the refresh, one more request
    for (let i = 2; i <= 5; i++) expect((await s.send({ id: i })).outcome).toBe('fatal');
    expect([sent.calls, refreshes]).toEqual([2, 1]);
    expect(events.filter((e) => e.type === 'circuit-open')).toHaveLength(1);
    await s.close();
  });

  it('a refresh that rejects: fatal, and the circuit opens (one request for five messages)', async () => {
    const { s, sent } = expiredKey(async () => {
      throw new Error('token endpoint down');
    });
    for (let i = 0; i < 5; i++) expect((await s.send({ id: i })).outcome).toBe('fatal');
    expect(sent.calls).toBe(1);
    await s.close();
  });

  it('a half-open probe answered ExpiredProviderToken: the refresh runs and the same message is delivered with the fresh credential', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    let fixed = false;
    let refreshed = false;
    const requests: string[] = [];
    const s = createSender<{ id: number }>(
      () => {
        const code = !fixed ? 'InvalidProviderToken' : refreshed ? 'ok' : 'ExpiredProviderToken';
        requests.push(code);
        return code === 'ok' ? apnsOk() : apnsError(403, code);
      },
      {
        provider: 'apns',
        target: () => ({ project: 'p', credential: 'key-A' }),
        classify,
        limits: false,
        circuit: { coolDownMs: 50 },
        refreshCredential: async () => void (refreshed = true),
      },
    );
    expect((await s.send({ id: 1 })).outcome).toBe('fatal'); // the circuit opens
    fixed = true;
    await vi.advanceTimersByTimeAsync(60);
    expect((await s.send({ id: 2 })).outcome).toBe('delivered'); // the probe: expired, refreshed, delivered
    expect((await s.send({ id: 3 })).outcome).toBe('delivered');
    expect(requests).toEqual(['InvalidProviderToken', 'ExpiredProviderToken', 'ok', 'ok']);
    await s.close();
  });

  it('a refresh that never settles: abort rejects the send with its reason, and without a signal the message ends fatal after 30 s', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const errors: Error[] = [];
    const s = createSender<{ id: number }>(() => apnsError(403, 'ExpiredProviderToken'), {
      provider: 'apns',
      target: () => ({ project: 'p' }),
      classify,
      limits: false,
      circuit: false,
      refreshCredential: () => new Promise<void>(() => {}),
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error)),
    });
    const ac = new AbortController();
    const aborted = s.send({ id: 1 }, { signal: ac.signal }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error('caller gave up');
    ac.abort(reason);
    expect(await aborted).toBe(reason);
    const plain = s.send({ id: 2 });
    await vi.advanceTimersByTimeAsync(29_999);
    let done = false;
    void plain.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await plain).outcome).toBe('fatal');
    expect(errors.some((e) => /did not settle within 30000 ms/.test(e.message))).toBe(true);
    await s.close();
  });
});

describe('aborts, hooks and slots', () => {
  it('an abort with a non-Error reason during a retry rejects with that reason (not p-retry\'s TypeError)', async () => {
    let n = 0;
    const ac = new AbortController();
    const s = createSender<{ id: number }>(
      (_m, { signal }) => {
        if (++n === 1) return fcmError(503, 'UNAVAILABLE');
        setTimeout(() => ac.abort('shutdown'), 5);
        return new Promise((_res, rej) => signal.addEventListener('abort', () => rej(signal.reason)));
      },
      { provider: 'fcm', target: () => ({ project: 'p' }), classify, limits: false, retry: { minDelayMs: 0, initialDelayMs: 1, maxDelayMs: 1 } },
    );
    expect(await s.send({ id: 1 }, { signal: ac.signal }).catch((e: unknown) => e)).toBe('shutdown');
    expect(n).toBe(2);
    await s.close();
  });

  it('a notification hook that never settles is reported after prune.hookTimeoutMs and no longer holds close()', async () => {
    const errors: Error[] = [];
    const s = createSender<{ id: number }>(() => fcmBadRequest('message.android.ttl'), {
      provider: 'fcm',
      target: () => ({ project: 'p' }),
      classify,
      limits: false,
      prune: { hookTimeoutMs: 50 },
      onFixRequest: () => new Promise(() => {}),
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error)),
    });
    expect((await s.send({ id: 1 })).outcome).toBe('rejected');
    const closed = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still pending'), 2000))]);
    expect(closed).toBe('closed');
    expect(errors.map((e) => e.message).join('\n')).toMatch(/did not settle within 50 ms/);
  });

  it('prune.hookTimeoutMs: Infinity (or 2^31 ms and more) means no limit, not a timer that fires at once', async () => {
    const errors: string[] = [];
    const s = createSender<{ id: number }>(() => fcmBadRequest('message.android.ttl'), {
      provider: 'fcm',
      target: () => ({ project: 'p' }),
      classify,
      limits: false,
      prune: { hookTimeoutMs: Infinity },
      onFixRequest: () => new Promise((r) => setTimeout(r, 50)),
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error.message)),
    });
    expect((await s.send({ id: 1 })).outcome).toBe('rejected');
    await s.close();
    expect(errors).toEqual([]);
  });

  it('a prune hook that rejects with a value that cannot be printed (a null-prototype object): its tokens are quarantined and reported, the next batch still reaches the hook', async () => {
    let calls = 0;
    const errors: Error[] = [];
    const s = createSender<{ token: string }>(() => fcmError(404, 'UNREGISTERED'), {
      provider: 'fcm',
      target: (m) => ({ project: 'p', token: m.token }),
      classify,
      limits: false,
      prune: { valve: false, hookAttempts: 1, batchSize: 1 },
      onDropToken: () => {
        if (calls++ === 0) throw Object.create(null);
      },
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error)),
    });
    await s.sendMany([{ token: fcmToken(1) }, { token: fcmToken(2) }]);
    await s.close();
    expect(calls).toBe(2);
    expect(s.quarantined!().map((e) => e.token)).toEqual([fcmToken(1)]);
    expect(errors.map((e) => e.name)).toEqual(['PruneHookError']);
  });

  it('a send whose value has a throwing `then` getter is classified, and its slot is released', async () => {
    let n = 0;
    const s = createSender<{ id: number }>(
      () =>
        n++ === 0
          ? {
              get then() {
                throw new Error('proxy revoked');
              },
            }
          : fcmOk(),
      { provider: 'fcm', target: () => ({ project: 'p' }), classify, limits: { concurrency: 1, project: [], device: [] } },
    );
    expect((await s.send({ id: 1 })).outcome).not.toBe('delivered');
    expect((await s.send({ id: 2 })).outcome).toBe('delivered');
    await s.close();
  });

  it('admission removes its abort listener from the caller\'s signal once a message is admitted', async () => {
    const ac = new AbortController();
    const s = createSender<{ id: number }>(async () => fcmOk(), {
      provider: 'fcm',
      target: () => ({ project: 'p' }),
      classify,
      limits: { concurrency: 50, project: [{ count: 1000, perMs: 1000 }], device: [] },
    });
    const outs = await Promise.all(Array.from({ length: 500 }, (_, i) => s.send({ id: i }, { signal: ac.signal })));
    expect(outs.every((o) => o.outcome === 'delivered')).toBe(true);
    await s.close();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('limits re-checked when the request leaves', () => {
  it('a retry that waited for its slot past maxElapsedMs is not sent: gave-up', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const calls: { id: string; at: number }[] = [];
    const s = createSender<{ id: string }>(
      (m, { attempt }) => {
        calls.push({ id: m.id, at: Date.now() - T0 });
        if (m.id === 'A' && attempt === 1) return fcmError(503, 'UNAVAILABLE');
        if (m.id === 'B') return new Promise((r) => setTimeout(() => r(fcmOk()), 5_000));
        return fcmOk();
      },
      {
        provider: 'fcm',
        target: () => ({ project: 'p' }),
        classify,
        limits: { concurrency: 1, project: [], device: [] },
        retry: { minDelayMs: 0, initialDelayMs: 500, jitter: 'none', maxElapsedMs: 1_000 },
      },
    );
    const a = s.send({ id: 'A' });
    await vi.advanceTimersByTimeAsync(10);
    const b = s.send({ id: 'B' }); // holds the only slot for 5 s
    await vi.advanceTimersByTimeAsync(10_000);
    const oa = await a;
    expect((await b).outcome).toBe('delivered');
    expect(oa.outcome).toBe('gave-up');
    expect(calls.filter((c) => c.id === 'A')).toHaveLength(1);
    expect(oa.verdicts.at(-1)?.code).toBe('PUSHBACK_MAX_ELAPSED');
    await s.close();
  });

  it('a cool-down that begins while a message resumes toward its request holds that request until its time', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const requests: { id: string; at: number }[] = [];
    const s = createSender<{ id: string; project: string }>(
      (m) => {
        requests.push({ id: m.id, at: Date.now() - T0 });
        return m.id === 'A' ? fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '60' }) : fcmOk();
      },
      { provider: 'fcm', target: (m) => ({ project: m.project }), classify, limits: { concurrency: 10, project: [], device: [] }, retry: { maxAttempts: 1 } },
    );
    s.coolDownUntil!({ project: 'other' }, T0 + 1_000_000); // a cool-down anywhere: both take the full path
    const both = Promise.all([s.send({ id: 'A', project: 'p1' }), s.send({ id: 'B', project: 'p1' })]);
    await vi.advanceTimersByTimeAsync(120_000);
    const [oa, ob] = await both;
    expect([oa.outcome, ob.outcome]).toEqual(['gave-up', 'delivered']);
    expect(requests.find((r) => r.id === 'B')!.at).toBeGreaterThanOrEqual(60_000);
    await s.close();
  });
});

describe('error events carry no raw token', () => {
  it("a prune hook's error (a database quoting the token) and a throwing onFixRequest are reported redacted", async () => {
    const dead = fcmToken(7);
    const bad = fcmToken(8);
    const errors: Error[] = [];
    const s = createSender<{ token: string }>((m) => (m.token === dead ? fcmError(404, 'UNREGISTERED') : fcmBadRequest('message.android.ttl')), {
      provider: 'fcm',
      classify,
      target: (m) => ({ project: 'p', token: m.token }),
      limits: false,
      prune: { valve: false, hookAttempts: 1 },
      onDropToken: (b) => {
        throw new Error(`insert or update on table "tokens" violates foreign key constraint: Key (token)=(${b[0]!.token}) is not present`);
      },
      onFixRequest: (o) => {
        throw new Error(`cannot log message ${JSON.stringify(o.message)}`);
      },
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error)),
    });
    await s.send({ token: dead });
    await s.send({ token: bad });
    await s.close();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    const dump = errors.map((e) => `${e.name}: ${e.message} | ${e.stack} | cause: ${String((e as { cause?: { message?: string; stack?: string } }).cause?.stack ?? '')}`).join('\n');
    expect(dump).toContain('foreign key constraint'); // still useful
    expect(dump).not.toContain(dead);
    expect(dump).not.toContain(bad);
    expect(s.quarantined!().map((e) => e.token)).toEqual([dead]); // the hook's batch is kept
  });
});

describe('the valve store failing (Redis down) loses no token', () => {
  class FlakyStore implements ValveStore {
    inner = new MemoryValveStore();
    down = false;
    async record(key: string, dropped: boolean, now: number, windowMs: number) {
      if (this.down) throw new Error('Connection is closed.');
      return this.inner.record(key, dropped, now, windowMs);
    }
    async isSuspended(key: string) {
      return this.inner.isSuspended(key);
    }
    async setSuspended(key: string, v: boolean) {
      if (this.down) throw new Error('Connection is closed.');
      this.inner.setSuspended(key, v);
    }
  }

  it('record() fails: the condemned token goes to quarantine (the valve cannot judge it) and an error event says why', async () => {
    const store = new FlakyStore();
    store.down = true;
    const pruned: string[] = [];
    const errors: string[] = [];
    const s = createSender<{ token: string }>(() => fcmError(404, 'UNREGISTERED'), {
      provider: 'fcm',
      target: (m) => ({ project: 'p', token: m.token }),
      classify,
      limits: false,
      prune: { valveStore: store, flushMs: 10 },
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
      onEvent: (e) => void (e.type === 'error' && errors.push(e.error.message)),
    });
    expect((await s.send({ token: fcmToken(1) })).outcome).toBe('dropped-token');
    await s.close();
    expect(pruned).toEqual([]);
    expect(s.quarantined!().map((e) => e.token)).toEqual([fcmToken(1)]);
    expect(errors.join('\n')).toMatch(/valve store failed/);
  });

  it('releaseQuarantine() while the store is down rejects and keeps every token in quarantine', async () => {
    const store = new FlakyStore();
    const pruned: string[] = [];
    const s = createSender<{ token: string }>(() => fcmError(403, 'SENDER_ID_MISMATCH'), {
      provider: 'fcm',
      target: (m) => ({ project: 'p', token: m.token }),
      classify,
      limits: false,
      prune: { valveStore: store, valve: { minSends: 5, threshold: 0.5, windowMs: 60_000 } },
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.send({ token: fcmToken(i) })));
    expect(s.quarantined!()).toHaveLength(10);
    store.down = true;
    await expect(s.releaseQuarantine()).rejects.toThrow('Connection is closed.');
    expect(s.quarantined!()).toHaveLength(10);
    store.down = false;
    expect(await s.releaseQuarantine()).toBe(10);
    expect(pruned).toHaveLength(10);
    await s.close();
  });

  it('close() during a releaseQuarantine() whose hook keeps failing: the tokens are back in quarantine, not lost', async () => {
    let dbUp = true;
    const s = createSender<{ token: string }>(() => fcmError(403, 'SENDER_ID_MISMATCH'), {
      provider: 'fcm',
      classify,
      target: (m) => ({ project: 'p', token: m.token }),
      limits: false,
      prune: { valve: { minSends: 5, threshold: 0.5, windowMs: 60_000 }, hookAttempts: 2 },
      onDropToken: () => {
        if (!dbUp) throw new Error('db down');
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.send({ token: fcmToken(i) })));
    expect(s.quarantined!()).toHaveLength(10);
    dbUp = false;
    const released = s.releaseQuarantine();
    await new Promise((r) => setTimeout(r, 10));
    await s.close();
    expect(await released).toBe(0);
    expect(s.quarantined!()).toHaveLength(10);
  });
});

describe('a message the caller\'s own target option cannot read', () => {
  it('ends rejected without a request; the other messages of the sendMany are delivered', async () => {
    const sent: string[] = [];
    const fixes: string[] = [];
    const raw = fcmToken(3);
    const s = createSender<{ token?: string }>(
      (m) => {
        sent.push(m.token!);
        return fcmOk();
      },
      {
        provider: 'fcm',
        target: (m) => {
          if (m.token === undefined) throw new Error(`no token in message for user with token ${raw}`);
          return { project: 'p', token: m.token };
        },
        classify,
        limits: false,
        onFixRequest: (o) => void fixes.push(o.verdicts.at(-1)!.reason),
      },
    );
    const out = await s.sendMany([{ token: 'a' }, {}, { token: 'b' }]);
    expect(out.map((o) => o.outcome)).toEqual(['delivered', 'rejected', 'delivered']);
    expect(out[1]!.verdicts.map((v) => v.code)).toEqual(['PUSHBACK_BAD_MESSAGE']);
    expect(sent).toEqual(['a', 'b']);
    await s.close();
    expect(fixes).toHaveLength(1);
    expect(fixes[0]).toMatch(/options\.target threw/);
    expect(fixes[0]).not.toContain(raw);
  });
});
