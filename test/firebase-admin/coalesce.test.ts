import { describe, expect, it, vi } from 'vitest';
import { createCoalescer } from '../../src/firebase-admin/coalesce.js';

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
});
