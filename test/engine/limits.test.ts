import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender } from '../../src/engine/index.js';
import type { SenderOptions } from '../../src/engine/types.js';
import { apnsError, classify, fcmError, fcmOk, fcmToken } from './fixtures.js';
import { maxInSlidingWindow } from '../helpers/sliding-window.js';

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

  it('a device at its window waits until its sends leave the sliding window; other devices do not', async () => {
    const calls: { at: number; token?: string }[] = [];
    const s = createSender((m: Msg) => (calls.push({ at: Date.now(), token: m.token }), fcmOk()), opts({
      limits: { project: [], device: [{ count: 2, perMs: 60_000 }] },
    }));
    const hot = fcmToken(1);
    const all = Promise.all([1, 2, 3, 4].map((id) => s.send({ id, token: hot })).concat(s.send({ id: 9, token: fcmToken(2) })));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.filter((c) => c.token === hot)).toHaveLength(2);
    expect(calls.filter((c) => c.token !== hot)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(70_000);
    expect((await all).every((o) => o.outcome === 'delivered')).toBe(true);
    const hotCalls = calls.filter((c) => c.token === hot);
    expect(hotCalls).toHaveLength(4);
    expect(hotCalls[2]!.at - T0).toBeGreaterThan(60_000);
    expect(maxInSlidingWindow(hotCalls.map((c) => c.at), 60_000)).toBeLessThanOrEqual(2);
    await s.close();
  });

  it('the device slot is reserved when the request leaves, not before the wait for a concurrency slot', async () => {
    // One slot, held 1.5 s by a slow send; a hot device (2 per second) queues behind it in two waves.
    const calls: { at: number; token?: string }[] = [];
    const s = createSender(
      (m: Msg) => {
        calls.push({ at: Date.now(), token: m.token });
        return m.token === 'slow' ? new Promise((r) => setTimeout(() => r(fcmOk()), 1500)) : fcmOk();
      },
      opts({ limits: { concurrency: 1, project: [], device: [{ count: 2, perMs: 1000 }] } }),
    );
    const hot = fcmToken(7);
    const all = [s.send({ id: 0, token: 'slow' }), s.send({ id: 1, token: hot }), s.send({ id: 2, token: hot })];
    await vi.advanceTimersByTimeAsync(1000);
    all.push(s.send({ id: 3, token: hot }), s.send({ id: 4, token: hot }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await Promise.all(all)).every((o) => o.outcome === 'delivered')).toBe(true);
    const hotTimes = calls.filter((c) => c.token === hot).map((c) => c.at);
    expect(hotTimes).toHaveLength(4);
    expect(maxInSlidingWindow(hotTimes, 1000)).toBeLessThanOrEqual(2);
    await s.close();
  });

  it('a hot device never exceeds its window, whatever the queueing (sliding windows)', async () => {
    const calls: { at: number; token?: string }[] = [];
    const s = createSender(
      (m: Msg) => {
        calls.push({ at: Date.now(), token: m.token });
        return new Promise((r) => setTimeout(() => r(fcmOk()), (m.id * 37) % 300));
      },
      opts({ limits: { concurrency: 3, project: [], device: [{ count: 5, perMs: 1000 }] } }),
    );
    const hot = fcmToken(8);
    const all: Promise<unknown>[] = [];
    for (let wave = 0; wave < 10; wave++) {
      for (let i = 0; i < 6; i++) all.push(s.send({ id: wave * 10 + i, token: i % 2 ? hot : fcmToken(100 + wave * 10 + i) }));
      await vi.advanceTimersByTimeAsync(450);
    }
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(all);
    const hotTimes = calls.filter((c) => c.token === hot).map((c) => c.at);
    expect(hotTimes).toHaveLength(30);
    expect(maxInSlidingWindow(hotTimes, 1000)).toBeLessThanOrEqual(5);
    await s.close();
  });

  it('a fatal verdict stops messages already queued for a slot (sendMany to a revoked key)', async () => {
    let requests = 0;
    const s = createSender(
      (_m: Msg) => {
        requests++;
        return new Promise((r) => setTimeout(() => r(apnsError(403, 'InvalidProviderToken')), 20));
      },
      { ...opts({ limits: { concurrency: 4, project: [], device: [] } }), provider: 'apns' },
    );
    const p = s.sendMany(Array.from({ length: 400 }, (_, id) => ({ id })));
    await vi.advanceTimersByTimeAsync(1000);
    const outcomes = await p;
    expect(outcomes.every((o) => o.outcome === 'fatal')).toBe(true);
    expect(requests).toBeLessThanOrEqual(4);
    expect(outcomes.filter((o) => o.verdicts[0]!.reason.includes('no request sent'))).toHaveLength(400 - requests);
    await s.close();
  });

  it('a cool-down that begins while messages queue for a slot holds them back', async () => {
    const calls: number[] = [];
    const s = createSender(
      (m: Msg) => {
        calls.push(Date.now());
        return new Promise((r) => setTimeout(() => r(calls.length === 1 ? fcmError(429, 'QUOTA_EXCEEDED', { 'retry-after': '61' }) : fcmOk()), 10));
      },
      opts({ limits: { concurrency: 1, project: [], device: [] } }),
    );
    const all = Promise.all(Array.from({ length: 5 }, (_, id) => s.send({ id })));
    await vi.advanceTimersByTimeAsync(130_000);
    expect((await all).every((o) => o.outcome === 'delivered')).toBe(true);
    expect(calls[1]! - T0).toBeGreaterThanOrEqual(61_010);
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
  it('a small window (spaced jobs) is never exceeded over any sliding window', async () => {
    const calls: number[] = [];
    const s = createSender((_m: Msg) => (calls.push(Date.now()), fcmOk()), opts({
      limits: { project: [{ count: 10, perMs: 200 }], device: [] },
    }));
    const outcomes = await s.sendMany(Array.from({ length: 25 }, (_, id) => ({ id })));
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
    expect(calls).toHaveLength(25);
    expect(maxInSlidingWindow(calls, 200)).toBeLessThanOrEqual(10);
    await s.close();
  });

  it('a large window (sub-window reservoirs, leases, slow sends) is never exceeded over any sliding window', async () => {
    const calls: number[] = [];
    const s = createSender(
      (m: Msg) => {
        calls.push(Date.now());
        return new Promise((r) => setTimeout(() => r(fcmOk()), m.id % 7 === 0 ? 40 : 1));
      },
      opts({ limits: { concurrency: 8, project: [{ count: 200, perMs: 500 }], device: [] } }),
    );
    const t0 = Date.now();
    const outcomes = await s.sendMany(Array.from({ length: 500 }, (_, id) => ({ id })));
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
    expect(maxInSlidingWindow(calls, 500)).toBeLessThanOrEqual(200);
    expect(Date.now() - t0).toBeLessThan(3000); // not starved either
    await s.close();
  });
});
