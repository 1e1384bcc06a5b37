/**
 * `sendMany` with a batch send (`options.batch`): first attempts admitted at once go out in batch calls;
 * retries, and messages that must wait first, go through the per-message send function.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender, SendError } from '../../src/engine/index.js';
import type { BatchAnswer, EngineEvent, SenderOptions } from '../../src/engine/types.js';
import { classify, fcmError, fcmOk, fcmToken, type RawResponse } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Msg {
  id: number;
  token: string;
}

const msgs = (n: number, token = (i: number) => fcmToken(i)): Msg[] => Array.from({ length: n }, (_, i) => ({ id: i, token: token(i) }));

/**
 * A provider with both paths: `answer(m, n)` decides the n-th answer (1-based) of a message, whichever
 * path asked. Records the batch calls (message ids) and the per-message calls (id, attempt).
 */
function provider(answer: (m: Msg, n: number) => RawResponse | Error = () => fcmOk()) {
  const batches: number[][] = [];
  const singles: { id: number; attempt: number }[] = [];
  const count = new Map<number, number>();
  const next = (m: Msg) => {
    const n = (count.get(m.id) ?? 0) + 1;
    count.set(m.id, n);
    return answer(m, n);
  };
  const send = async (m: Msg, ctx: { attempt: number }) => {
    singles.push({ id: m.id, attempt: ctx.attempt });
    const a = next(m);
    if (a instanceof Error) throw a;
    return a;
  };
  const batchSend = async (ms: Msg[]): Promise<BatchAnswer[]> => {
    batches.push(ms.map((m) => m.id));
    return ms.map((m) => {
      const a = next(m);
      return a instanceof Error ? { ok: false, error: a } : { ok: true, value: a };
    });
  };
  return { batches, singles, send, batchSend };
}

function opts(over: Partial<SenderOptions<Msg>> = {}): SenderOptions<Msg> {
  return {
    provider: 'fcm',
    target: (m) => ({ project: 'demo', token: m.token }),
    classify,
    limits: { concurrency: 4, project: [], topic: [], device: [] },
    retry: { minDelayMs: 0, defaultRetryAfterMs: 0, maxAttempts: 3, initialDelayMs: 100, jitter: 'none' },
    random: () => 0,
    ...over,
  };
}

/** Runs the fake clock until `p` settles. */
async function until<T>(p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 2000 && !done; i++) await vi.advanceTimersByTimeAsync(i < 100 ? 10 : 1000);
  return p;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sendMany with a batch send', () => {
  it('sends first attempts in calls of maxSize within the window, no per-message call; outcomes in input order', async () => {
    const p = provider((m) => fcmOk(`id-${m.id}`));
    const s = createSender(p.send, opts({ batch: { maxSize: () => 2, send: p.batchSend } }));
    const out = await until(s.sendMany(msgs(9)));
    expect(p.batches).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8]]);
    expect(p.singles).toEqual([]);
    expect(out.map((o) => o.outcome)).toEqual(Array(9).fill('delivered'));
    expect(out.map((o) => o.messageId)).toEqual(out.map((_, i) => `projects/demo/messages/id-${i}`));
    expect(out.map((o) => o.attempts)).toEqual(Array(9).fill(1));
    await s.close();
  });

  it('a batch answer frees all its places at once: the next call is full again', async () => {
    const p = provider();
    const s = createSender(p.send, opts({ limits: { concurrency: 4, project: [], topic: [], device: [] }, batch: { maxSize: () => 4, send: p.batchSend } }));
    await until(s.sendMany(msgs(12)));
    expect(p.batches.map((b) => b.length)).toEqual([4, 4, 4]);
    await s.close();
  });

  it('only the failures are retried, one by one through the per-message send, after their backoff', async () => {
    const p = provider((m, n) => (m.id === 1 && n === 1 ? fcmError(503, 'UNAVAILABLE') : m.id === 2 ? fcmError(404, 'UNREGISTERED') : fcmOk()));
    const dropped: string[] = [];
    const s = createSender(p.send, opts({ batch: { maxSize: () => 4, send: p.batchSend }, prune: { flushMs: 1, valve: false }, onDropToken: (b) => void dropped.push(...b.map((e) => e.token)) }));
    const started = Date.now();
    const out = await until(s.sendMany(msgs(4)));
    expect(p.batches).toEqual([[0, 1, 2, 3]]);
    expect(p.singles).toEqual([{ id: 1, attempt: 2 }]);
    expect(out.map((o) => o.outcome)).toEqual(['delivered', 'delivered', 'dropped-token', 'delivered']);
    expect(out[1]!.attempts).toBe(2);
    expect(out[1]!.elapsedMs).toBeGreaterThanOrEqual(100); // initialDelayMs, no jitter
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await s.close();
    expect(dropped).toEqual([fcmToken(2)]);
  });

  it('a batch call that throws, rejects or answers the wrong number of results fails each of its messages with that error (and they are retried)', async () => {
    for (const how of ['throw', 'reject', 'short', 'not an array'] as const) {
      vi.setSystemTime(T0);
      const p = provider();
      const events: EngineEvent[] = [];
      let calls = 0;
      const batchSend = (ms: Msg[]): Promise<BatchAnswer[]> | BatchAnswer[] => {
        calls++;
        if (how === 'throw') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        if (how === 'reject') return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
        if (how === 'short') return ms.slice(1).map(() => ({ ok: true, value: fcmOk() }));
        return 'nonsense' as unknown as BatchAnswer[];
      };
      const s = createSender(p.send, opts({ batch: { maxSize: () => 3, send: batchSend }, onEvent: (e) => void events.push(e) }));
      const out = await until(s.sendMany(msgs(3)));
      expect(calls, how).toBe(1);
      const first = events.filter((e): e is Extract<EngineEvent, { type: 'attempt' }> => e.type === 'attempt' && e.attempt === 1);
      expect(first, how).toHaveLength(3);
      if (how === 'throw' || how === 'reject') {
        // A connection failure: retried per message, and delivered.
        expect(first.every((e) => e.decision.kind === 'retry'), how).toBe(true);
        expect(out.map((o) => [o.outcome, o.attempts]), how).toEqual([['delivered', 2], ['delivered', 2], ['delivered', 2]]);
        expect(p.singles.map((c) => c.attempt), how).toEqual([2, 2, 2]);
      } else {
        // The engine cannot tell what happened: none delivered, the reason says why.
        expect(out.map((o) => o.outcome === 'delivered'), how).toEqual([false, false, false]);
        expect(first.every((e) => /results for 3 messages/.test(e.verdict.reason)), how).toBe(true);
      }
      await s.close();
    }
  });

  it('a malformed answer fails its own message only (not delivered, and the reason says why)', async () => {
    const p = provider();
    const events: EngineEvent[] = [];
    const batchSend = async (ms: Msg[]): Promise<BatchAnswer[]> => ms.map((_, k) => (k === 1 ? (null as unknown as BatchAnswer) : { ok: true, value: fcmOk() }));
    const s = createSender(p.send, opts({ retry: { maxAttempts: 1 }, batch: { maxSize: () => 3, send: batchSend }, onEvent: (e) => void events.push(e) }));
    const out = await until(s.sendMany(msgs(3)));
    expect(out.map((o) => o.outcome === 'delivered')).toEqual([true, false, true]);
    const bad = events.find((e): e is Extract<EngineEvent, { type: 'attempt' }> => e.type === 'attempt' && e.verdict.action !== 'ok');
    expect(bad?.verdict.reason).toMatch(/TypeError/);
    await s.close();
  });

  it('a message that cannot be admitted at once (its device at its limit) takes the per-message path; the others still share a call', async () => {
    const p = provider();
    // Messages 0 and 1 go to one device, allowed once per minute: message 1 waits its turn.
    const s = createSender(
      p.send,
      opts({
        limits: { concurrency: 4, project: [], topic: [], device: [{ count: 1, perMs: 60_000 }] },
        retry: { maxRetryAfterMs: 120_000 },
        batch: { maxSize: () => 4, send: p.batchSend },
      }),
    );
    const out = await until(s.sendMany(msgs(4, (i) => fcmToken(i === 1 ? 0 : i))));
    expect(p.batches[0]).toEqual([0, 2, 3]);
    expect(p.singles).toEqual([{ id: 1, attempt: 1 }]);
    expect(out.map((o) => o.outcome)).toEqual(Array(4).fill('delivered'));
    expect(out[1]!.elapsedMs).toBeGreaterThanOrEqual(60_000 * (8 / 9) - 1);
    await s.close();
  });

  it("a caller's signal, or send(), takes the per-message path", async () => {
    const p = provider();
    const s = createSender(p.send, opts({ batch: { maxSize: () => 4, send: p.batchSend } }));
    await until(s.sendMany(msgs(2), { signal: new AbortController().signal }));
    await until(s.send({ id: 7, token: fcmToken(7) }));
    expect(p.batches).toEqual([]);
    expect(p.singles.map((c) => c.id)).toEqual([0, 1, 7]);
    await s.close();
  });

  it('rejectOn: a batch message with that outcome is in the array (sendMany does not reject); send() would throw a SendError', async () => {
    const p = provider((m) => (m.id === 0 ? fcmError(404, 'UNREGISTERED') : fcmOk()));
    const s = createSender(p.send, opts({ rejectOn: ['dropped-token'], batch: { maxSize: () => 4, send: p.batchSend } }));
    const out = await until(s.sendMany(msgs(2)));
    expect(out.map((o) => o.outcome)).toEqual(['dropped-token', 'delivered']);
    await expect(until(s.send({ id: 0, token: fcmToken(0) }))).rejects.toBeInstanceOf(SendError);
    await s.close();
  });

  it('a maxSize that throws is read as 1 (and said in an error event); one that is not a number as 1', async () => {
    const p = provider();
    const events: EngineEvent[] = [];
    const s = createSender(
      p.send,
      opts({
        batch: {
          maxSize: () => {
            throw new Error('no size');
          },
          send: p.batchSend,
        },
        onEvent: (e) => void events.push(e),
      }),
    );
    await until(s.sendMany(msgs(2)));
    expect(p.batches).toEqual([[0], [1]]);
    expect(events.some((e) => e.type === 'error' && /maxSize threw/.test((e.error as Error).message))).toBe(true);
    const q = provider();
    const s2 = createSender(q.send, opts({ batch: { maxSize: () => Number.NaN, send: q.batchSend } }));
    await until(s2.sendMany(msgs(2)));
    expect(q.batches).toEqual([[0], [1]]);
    await s.close();
    await s2.close();
  });

  it('close() waits for a batch call in flight; its messages end with their answers', async () => {
    let answer!: (a: BatchAnswer[]) => void;
    const s = createSender(provider().send, opts({ batch: { maxSize: () => 4, send: () => new Promise<BatchAnswer[]>((r) => (answer = r)) } }));
    const many = s.sendMany(msgs(2));
    await vi.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect(closed).toBe(false);
    answer([{ ok: true, value: fcmOk('a') }, { ok: true, value: fcmOk('b') }]);
    expect((await many).map((o) => o.messageId)).toEqual(['projects/demo/messages/a', 'projects/demo/messages/b']);
    await closing;
    expect(closed).toBe(true);
  });

  it('whatever batch.send answers (a then() that throws or calls back twice, an array whose entries throw), each message ends once, no slot leaks, close() returns', async () => {
    const weird: Record<string, (ms: Msg[]) => unknown> = {
      'then throws': () => ({
        then() {
          throw new Error('then threw');
        },
      }),
      'then calls back twice': (ms) => ({
        then(ok: (a: BatchAnswer[]) => void) {
          const a = ms.map((): BatchAnswer => ({ ok: false, error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
          ok(a);
          ok(a);
        },
      }),
      'entries throw': (ms) =>
        new Proxy(
          ms.map(() => ({ ok: true, value: fcmOk() })),
          {
            get(t, k) {
              if (k === '1') throw new Error('entry getter threw');
              return Reflect.get(t, k);
            },
          },
        ),
    };
    for (const [name, answer] of Object.entries(weird)) {
      let inFlight = 0;
      let most = 0;
      const send = async () => {
        most = Math.max(most, ++inFlight);
        await Promise.resolve();
        inFlight--;
        return fcmOk();
      };
      const s = createSender<Msg>(send, opts({ limits: { concurrency: 2, project: [], topic: [], device: [] }, batch: { maxSize: () => 2, send: answer as never } }));
      const out = await until(s.sendMany(msgs(5)));
      expect(out.filter((o) => o !== undefined), name).toHaveLength(5);
      expect(out.every((o) => o.attempts <= 3 && o.attempts === o.verdicts.length), name).toBe(true);
      // After it, the slots are all there: two sends at once, never more.
      await until(Promise.all([s.send({ id: 10, token: fcmToken(10) }), s.send({ id: 11, token: fcmToken(11) }), s.send({ id: 12, token: fcmToken(12) })]));
      expect(most, name).toBeLessThanOrEqual(2);
      await until(s.close());
    }
  });

  it('a cool-down or an open circuit that begins while a partial group waits for its turn: nothing of it leaves in the batch call', async () => {
    for (const [name, answer] of [
      ['cool-down', fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '30' })],
      ['circuit', fcmError(403, 'PERMISSION_DENIED')],
    ] as const) {
      vi.setSystemTime(T0);
      const p = provider((m) => (m.id === 100 ? answer : fcmOk()));
      const events: EngineEvent[] = [];
      const s = createSender(
        p.send,
        opts({ limits: { concurrency: 3, project: [], topic: [], device: [] }, batch: { maxSize: () => 10, send: p.batchSend }, onEvent: (e) => void events.push(e) }),
      );
      const single = s.send({ id: 100, token: fcmToken(100) }); // holds one slot, answered at once
      const many = s.sendMany(msgs(4)); // 0 and 1 admitted, 2 and 3 wait for places: the group waits a turn
      await until(Promise.all([single, many]));
      expect(events.some((e) => e.type === (name === 'cool-down' ? 'cool-down' : 'circuit-open')), name).toBe(true);
      expect(p.batches, name).toEqual([]);
      if (name === 'cool-down') {
        // Every request of the project waited out the 30 s.
        expect(p.singles.filter((c) => c.id !== 100).length, name).toBe(4);
        expect((await many).every((o) => o.outcome === 'delivered' && o.elapsedMs >= 30_000), name).toBe(true);
      } else {
        expect((await many).map((o) => o.outcome), name).toEqual(['fatal', 'fatal', 'fatal', 'fatal']);
        expect(p.singles.map((c) => c.id), name).toEqual([100]);
      }
      await s.close();
    }
  });
});
