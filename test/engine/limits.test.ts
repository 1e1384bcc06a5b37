import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender } from '../../src/engine/index.js';
import type { SenderOptions } from '../../src/engine/types.js';
import { classify, fcmError, fcmOk, fcmToken } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Msg {
  id: number;
  token?: string;
  project?: string;
}

function opts(over: Partial<SenderOptions<Msg>> = {}): SenderOptions<Msg> {
  return {
    provider: 'fcm',
    target: (m) => ({ project: m.project ?? 'demo', token: m.token }),
    classify,
    retry: { minDelayMs: 0, defaultRetryAfterMs: 0 },
    random: () => 0,
    ...over,
  };
}

describe('limits with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('a device at its window waits for the next window; other devices do not', async () => {
    const calls: { at: number; token?: string }[] = [];
    const s = createSender((m: Msg) => (calls.push({ at: Date.now(), token: m.token }), fcmOk()), opts({
      limits: { project: [], device: [{ count: 2, perMs: 60_000 }] },
    }));
    const hot = fcmToken(1);
    const all = Promise.all([1, 2, 3, 4].map((id) => s.send({ id, token: hot })).concat(s.send({ id: 9, token: fcmToken(2) })));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.filter((c) => c.token === hot)).toHaveLength(2);
    expect(calls.filter((c) => c.token !== hot)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await all).every((o) => o.outcome === 'delivered')).toBe(true);
    const hotCalls = calls.filter((c) => c.token === hot);
    expect(hotCalls).toHaveLength(4);
    expect(hotCalls[2]!.at - T0).toBeGreaterThanOrEqual(60_000);
    await s.close();
  });

  it('a waiting retry does not hold a concurrency slot', async () => {
    const calls: number[] = [];
    const s = createSender((m: Msg) => {
      calls.push(m.id);
      return m.id === 1 && calls.filter((x) => x === 1).length === 1 ? fcmError(503, 'UNAVAILABLE', { 'retry-after': '30' }) : fcmOk();
    }, opts({ limits: { concurrency: 1, project: [], device: [] } }));
    const a = s.send({ id: 1 });
    await vi.advanceTimersByTimeAsync(0);
    const b = s.send({ id: 2 });
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toEqual([1, 2]); // b went out while a waits its 30 s
    expect((await b).outcome).toBe('delivered');
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await a).attempts).toBe(2);
    await s.close();
  });

  it('a device wait past the deadline ends as expired without a request', async () => {
    const calls: number[] = [];
    const s = createSender((m: Msg & { deadline?: number }) => (calls.push(m.id), fcmOk()), opts({
      limits: { project: [], device: [{ count: 1, perMs: 60_000 }] },
    }) as SenderOptions<Msg & { deadline?: number }>);
    await s.send({ id: 1, token: 't' });
    const o = await s.send({ id: 2, token: 't', deadline: T0 + 5000 });
    expect(o).toMatchObject({ outcome: 'expired' });
    expect(calls).toEqual([1]);
    await s.close();
  });
});

describe('project window through bottleneck (real timers, short windows)', () => {
  it('never admits more than the window count per window', async () => {
    const calls: number[] = [];
    const s = createSender((_m: Msg) => (calls.push(Date.now()), fcmOk()), opts({
      limits: { project: [{ count: 10, perMs: 200 }], device: [] },
    }));
    const t0 = Date.now();
    const outcomes = await s.sendMany(Array.from({ length: 25 }, (_, id) => ({ id })));
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
    // 25 messages at 10 per 200 ms need at least two refreshes.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(calls.filter((c) => c - t0 < 190)).toHaveLength(10);
    await s.close();
  });
});
