/** The most events any closed window [t, t + perMs] holds (times in any order): the strict-limit check of the tests. */
export function maxInSlidingWindow(times: readonly number[], perMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! > perMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}
