import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, seededRandom, type BackoffParams } from '../../src/engine/backoff.js';

const p = (jitter: BackoffParams['jitter']): BackoffParams => ({ initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter });

describe('backoff', () => {
  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeiling(a, p('none')))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffCeiling(10_000, p('none'))).toBe(30_000);
  });

  it('none: exactly the ceiling', () => {
    expect(backoffDelay(3, p('none'), () => 0.7)).toBe(4000);
  });

  it('full jitter stays within [0, ceiling] and spreads over it (seeded)', () => {
    const random = seededRandom(42);
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = backoffCeiling(attempt, p('full'));
      const samples = Array.from({ length: 1000 }, () => backoffDelay(attempt, p('full'), random));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      expect(samples.every(Number.isInteger)).toBe(true);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      expect(mean / ceiling).toBeGreaterThan(0.45);
      expect(mean / ceiling).toBeLessThan(0.55);
    }
  });

  it('decorrelated jitter stays within [initial, min(cap, 3 × previous)]', () => {
    const random = seededRandom(7);
    let prev: number | undefined;
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(i + 1, p('decorrelated'), random, prev);
      const upper = Math.min(30_000, 3 * Math.max(1000, prev ?? 1000));
      if (d < 1000 || d > upper) throw new Error(`decorrelated delay ${d} outside [1000, ${upper}]`);
      prev = d;
    }
  });

  it('the random source is injectable: extremes map to the bounds', () => {
    expect(backoffDelay(4, p('full'), () => 0)).toBe(0);
    expect(backoffDelay(4, p('full'), () => 0.9999999)).toBe(8000);
    expect(backoffDelay(1, p('decorrelated'), () => 0, 5000)).toBe(1000);
    expect(backoffDelay(1, p('decorrelated'), () => 0.9999999, 5000)).toBe(15000);
    // A broken random source never yields NaN or a negative delay.
    expect(backoffDelay(2, p('full'), () => Number.NaN)).toBe(0);
    expect(backoffDelay(2, p('full'), () => -5)).toBe(0);
  });

  it('seededRandom is reproducible', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
