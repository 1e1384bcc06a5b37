/**
 * A seedable PRNG (mulberry32) so random faults replay identically for a given seed and arrival order.
 * Hand-written: 6 lines, and Math.random cannot be seeded; no dependency needed for test-grade randomness.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
