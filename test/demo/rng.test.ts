import { describe, expect, it } from 'vitest';
import { createRng, seedOf } from '../../src/demo/rng.js';

describe('createRng', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = createRng(42), b = createRng(42), c = createRng(43);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(xs);
  });
  it('stays in range and is roughly uniform', () => {
    const r = createRng('uniform');
    const buckets = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = r.next();
      if (!(v >= 0 && v < 1)) outside++;
      else buckets[Math.floor(v * 10)]++;
    }
    expect(outside).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(600);
  });
  it('int is inclusive on both ends', () => {
    const r = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(1, 3));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });
  it('accepts string and numeric seeds alike', () => {
    expect(seedOf(42)).toBe(seedOf('42'));
    expect(seedOf('a')).not.toBe(seedOf('b'));
  });
});
