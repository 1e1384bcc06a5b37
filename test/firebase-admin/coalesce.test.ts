import { describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../src/firebase-admin/coalesce.js';

/** A coalescer with one call in flight at most, each call held until its `release` is called; `answer` maps each item. */
function gated(answer: (item: string) => string) {
  const release: (() => void)[] = [];
  const started: string[] = [];
  const c = createCoalescer<string, string>({
    maxSize: () => 10,
    maxInFlight: { limit: 1, applies: () => true },
    run: (_key, items) => {
      started.push(items.join());
      return new Promise<string[]>((res) => release.push(() => res(items.map(answer))));
    },
  });
  const tick = () => new Promise((r) => setImmediate(r));
  return { c, release, started, tick };
}

describe('coalescer', () => {
  it('groups items of one tick per key, splits at maxSize, answers each in order', async () => {
    const calls: [string, number[]][] = [];
    const c = createCoalescer<number, string>({
      maxSize: (k) => (k === 'a' ? 3 : 10),
      run: async (key, items) => {
        calls.push([key, [...items]]);
        return items.map((i) => `${key}${i}`);
      },
    });
    const out = await Promise.all([1, 2, 3, 4, 5].map((i) => c.enqueue('a', i)).concat([c.enqueue('b', 9)]));
    expect(out).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'b9']);
    expect(calls).toEqual([
      ['a', [1, 2, 3]],
      ['a', [4, 5]],
      ['b', [9]],
    ]);
  });

  it('a rejected or malformed call fails every item of its group, not the others', async () => {
    const c = createCoalescer<number, number>({
      maxSize: () => 2,
      run: async (_k, items) => {
        if (items.includes(1)) throw new Error('boom');
        if (items.includes(3)) return [1];
        return items;
      },
    });
    const r = await Promise.allSettled([c.enqueue('k', 1), c.enqueue('k', 2), c.enqueue('k', 3), c.enqueue('k', 4), c.enqueue('k', 5)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    expect((r[2] as PromiseRejectedResult).reason.message).toMatch(/2 items but 1 results/);
  });

  it('a synchronous throw in run is a rejection', async () => {
    const c = createCoalescer<number, number>({
      maxSize: () => 5,
      run: () => {
        throw new Error('sync');
      },
    });
    await expect(c.enqueue('k', 1)).rejects.toThrow('sync');
  });

  it('a delayed group waits its window and gathers what arrives meanwhile', async () => {
    vi.useFakeTimers();
    try {
      const run = vi.fn(async (_k: string, items: number[]) => items);
      const c = createCoalescer<number, number>({ maxSize: () => 100, run });
      const p1 = c.enqueue('k', 1, 50);
      await vi.advanceTimersByTimeAsync(30);
      const p2 = c.enqueue('k', 2, 50);
      expect(run).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(20);
      expect(await Promise.all([p1, p2])).toEqual([1, 2]);
      expect(run).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('maxInFlight: at most `limit` calls of the limited keys at once; a due group keeps filling while it waits; others are not held', async () => {
    let inFlight = 0;
    let most = 0;
    const calls: [string, number][] = [];
    const gates: (() => void)[] = [];
    const c = createCoalescer<number, number>({
      maxSize: () => 3,
      maxInFlight: { limit: 2, applies: (k) => k.startsWith('each') },
      run: async (key, items) => {
        calls.push([key, items.length]);
        if (!key.startsWith('each')) return items;
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => gates.push(r));
        inFlight--;
        return items;
      },
    });
    const tick = () => new Promise((r) => setImmediate(r));
    const all: Promise<number>[] = [];
    for (let i = 0; i < 4; i++) {
      all.push(c.enqueue('each', i)); // one item per turn: each group is due at its turn's end
      await tick();
    }
    // Two calls started; the next due group waits, and items arriving meanwhile join it (up to 3).
    expect(calls.filter(([k]) => k === 'each')).toEqual([
      ['each', 1],
      ['each', 1],
    ]);
    all.push(c.enqueue('each', 10), c.enqueue('each', 11));
    // A key the limit does not apply to is not held back.
    expect(await c.enqueue('topic', 7)).toBe(7);
    while (gates.length) {
      gates.shift()!();
      await tick();
      await tick();
    }
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 10, 11]);
    expect(most).toBe(2);
    expect(calls.filter(([k]) => k === 'each').map(([, n]) => n)).toEqual([1, 1, 3, 1]);
  });

  it('flushAll starts every waiting group at once (close must not wait on the limit)', async () => {
    const gates: (() => void)[] = [];
    let started = 0;
    const c = createCoalescer<number, number>({
      maxSize: () => 1,
      maxInFlight: { limit: 1, applies: () => true },
      run: async (_k, items) => {
        started++;
        await new Promise<void>((r) => gates.push(r));
        return items;
      },
    });
    const all = [1, 2, 3].map((i) => c.enqueue('k', i));
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(1);
    c.flushAll();
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(3);
    gates.forEach((g) => g());
    expect(await Promise.all(all)).toEqual([1, 2, 3]);
  });

  it('after flushAll() has pushed the calls in flight over the limit, groups that become due still start as calls end', async () => {
    const { c, release, started, tick } = gated((i) => i);
    const a = c.enqueue('x', 'A');
    await tick();
    const b = c.enqueue('y', 'B');
    await tick();
    c.flushAll(); // B forced: 2 in flight for a limit of 1
    await tick();
    const late = c.enqueue('x', 'C'); // a retry during close(): due, waits
    await tick();
    release.shift()!(); // A ends: still 1 in flight (B), C waits
    await tick();
    expect(started).toEqual(['A', 'B']);
    release.shift()!(); // B ends: C starts
    await tick();
    await tick();
    expect(started).toEqual(['A', 'B', 'C']);
    release.shift()!();
    expect(await Promise.all([a, b, late])).toEqual(['A', 'B', 'C']);
  });

  it('runGroup: one call for a gathered group, in its turn under maxInFlight; items enqueued meanwhile never join it; flushAll forces it', async () => {
    const { c, release, started, tick } = gated((i) => i.toLowerCase());
    const a = c.enqueue('k', 'A');
    await tick();
    const group = c.runGroup('k', ['B', 'C']); // the limit is reached: it waits
    const d = c.enqueue('k', 'D'); // a new group of its own, behind it
    await tick();
    expect(started).toEqual(['A']);
    release.shift()!();
    await tick();
    await tick();
    expect(started).toEqual(['A', 'B,C']);
    c.flushAll(); // D starts although BC is in flight
    await tick();
    expect(started).toEqual(['A', 'B,C', 'D']);
    release.splice(0).forEach((r) => r());
    expect(await a).toBe('a');
    expect(await group).toEqual(['b', 'c']);
    expect(await d).toBe('d');
  });

  it('runGroup: a rejected or wrong-length call rejects the group', async () => {
    const c = createCoalescer<number, number>({ maxSize: () => 10, run: async (_k, items) => (items[0] === 1 ? Promise.reject(new Error('down')) : items.slice(1)) });
    await expect(c.runGroup('k', [1, 2])).rejects.toThrow('down');
    await expect(c.runGroup('k', [2, 3])).rejects.toThrow(/2 items but 1 results/);
  });
});
