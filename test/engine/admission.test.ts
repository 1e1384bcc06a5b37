import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission, planWindow } from '../../src/engine/admission.js';
import { maxInSlidingWindow } from '../helpers/sliding-window.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('planWindow', () => {
  it('large windows: k sub-window reservoirs of floor(count/(k+2)); any sliding window sees at most k+2 of them', () => {
    for (const count of [33, 200, 300, 500, 3000, 6000, 600_000]) {
      const p = planWindow({ count, perMs: 60_000 }, 1000);
      if (p.kind !== 'reservoir') throw new Error('expected a reservoir plan');
      expect(p.reservoir * (p.subWindows + 2)).toBeLessThanOrEqual(count);
      expect(p.refreshMs * p.subWindows).toBeGreaterThanOrEqual(60_000);
      expect(p.refreshMs).toBeGreaterThanOrEqual(1000); // a sub-window is at least the grace
      expect(p.reservoir * p.subWindows).toBeGreaterThanOrEqual(count * 0.6);
    }
    const fcm = planWindow({ count: 600_000, perMs: 60_000 }, 1000);
    expect(fcm).toMatchObject({ kind: 'reservoir', subWindows: 20, reservoir: 27_272, refreshMs: 3000 });
  });

  it('a minimum sub-window (Redis: every heartbeat is a script call) caps k and keeps the bound', () => {
    const free = planWindow({ count: 150, perMs: 250 }, 12);
    const capped = planWindow({ count: 150, perMs: 250 }, 12, 40);
    if (free.kind !== 'reservoir' || capped.kind !== 'reservoir') throw new Error('expected reservoir plans');
    expect(free.refreshMs).toBeLessThan(40);
    expect(capped.refreshMs).toBeGreaterThanOrEqual(40);
    expect(capped.reservoir * (capped.subWindows + 2)).toBeLessThanOrEqual(150);
    expect(capped.subWindows).toBeGreaterThan(1);
    // A window too short to split at all keeps one reservoir of a third of the count.
    expect(planWindow({ count: 300, perMs: 60 }, 3, 40)).toMatchObject({ kind: 'reservoir', subWindows: 1, reservoir: 100 });
  });

  it('small windows: single-message jobs spaced so that count fit any sliding window plus the grace', () => {
    for (const count of [1, 2, 10, 30, 32]) {
      const p = planWindow({ count, perMs: 1000 }, 50);
      if (p.kind !== 'spacing') throw new Error('expected a spacing plan');
      // Job starts in any span of perMs + 2 × grace: floor(span / minTime) + 1 ≤ count.
      expect(Math.floor(1100 / p.minTimeMs) + 1).toBeLessThanOrEqual(count);
    }
  });
});

describe('Admission (batched bottleneck jobs)', () => {
  it('coalesces messages that arrive together into one weighted job', async () => {
    const schedule = vi.spyOn(Bottleneck.prototype, 'schedule');
    const a = new Admission('t', [{ count: 1_000_000, perMs: 60_000 }]);
    await Promise.all(Array.from({ length: 5000 }, () => a.admit('project-1')));
    expect(schedule).toHaveBeenCalledTimes(1);
    expect(schedule.mock.calls[0]![0]).toMatchObject({ weight: 5000 });
    await a.close();
  });

  it('splits a batch that exceeds a sub-window so no job can outweigh its reservoir', async () => {
    const schedule = vi.spyOn(Bottleneck.prototype, 'schedule');
    const a = new Admission('t', [{ count: 300, perMs: 60_000 }]);
    const plan = a.plans[0]!;
    if (plan.kind !== 'reservoir') throw new Error('expected a reservoir plan');
    const admitted: number[] = [];
    const all = Array.from({ length: 500 }, (_, i) => a.admit('p')!.then(() => admitted.push(i)));
    await new Promise((r) => setTimeout(r, 200));
    expect(admitted).toHaveLength(plan.reservoir); // one sub-window's reservoir
    expect(schedule.mock.calls.every((c) => ((c[0] as { weight: number }).weight ?? 0) <= plan.reservoir)).toBe(true);
    await a.close();
    void all;
  });

  it('keys are independent; no windows means no limiter', async () => {
    const a = new Admission('t', [{ count: 1000, perMs: 60_000 }]);
    const plan = a.plans[0]!;
    const r = plan.kind === 'reservoir' ? plan.reservoir : 1;
    await Promise.all(Array.from({ length: r }, () => a.admit('x')));
    let other = false;
    await a.admit('y')!.then(() => (other = true));
    expect(other).toBe(true);
    await a.close();
    expect(new Admission('none', []).admit('x')).toBeNull();
    expect(new Admission('none', []).acquire('x')).toBe(Infinity);
  });

  it('an aborted waiter rejects with the reason', async () => {
    const a = new Admission('t', [{ count: 1, perMs: 60_000 }]);
    await a.admit('p');
    const ac = new AbortController();
    const p = a.admit('p', ac.signal)!;
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await a.close();
  });

  for (const [label, perTurn, turnMs] of [
    ['demand above the rate', 40, 0],
    ['demand below the rate (leases spent synchronously)', 3, 1],
  ] as const) {
    it(`steady ${label}: never more than the window over any sliding window`, async () => {
      // 2,000 per 400 ms: leases of up to 20 permits are in play; each permit is "sent" when admitted.
      const perMs = 400;
      const a = new Admission('t', [{ count: 2000, perMs }]);
      const sent: number[] = [];
      const until = Date.now() + 1300;
      let leased = 0;
      while (Date.now() < until) {
        for (let i = 0; i < perTurn; i++) {
          // Fresh at the instant of admission: `before` is read just ahead of acquire's own clock read, so a
          // millisecond that ticks between acquire and this check cannot fail a permit that was fresh.
          const before = Date.now();
          const r = a.acquire('p');
          if (typeof r === 'number') {
            leased++;
            expect(before - r).toBeLessThanOrEqual(a.staleMs);
            sent.push(Date.now());
          } else void r.then(() => sent.push(Date.now()));
        }
        await new Promise((r) => (turnMs ? setTimeout(r, turnMs) : setImmediate(r)));
      }
      await new Promise((r) => setTimeout(r, 50));
      sent.sort((x, y) => x - y);
      if (turnMs) expect(leased).toBeGreaterThan(sent.length / 2);
      expect(maxInSlidingWindow(sent, perMs)).toBeLessThanOrEqual(2000);
      expect(sent.length).toBeGreaterThan(turnMs ? 1000 : 2000); // more than one window's worth went through
      await a.close();
    });
  }
});
