/**
 * What the property tests share: a fake clock from a fixed start, the `PB_*` settings, and violations
 * collected across runs (each kind once, with how often and one input that shows it) instead of stopping
 * at the first, so a failure reports every broken invariant together.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, vi } from 'vitest';

/** `PB_RUNS` (or `runs`), `PB_SEED`. */
export function propertyRuns(runs: number): { numRuns: number; seed: number | undefined } {
  return { numRuns: Number(process.env.PB_RUNS ?? runs), seed: process.env.PB_SEED ? Number(process.env.PB_SEED) : undefined };
}

/** `PB_CFG`: the JSON of one input (the text after "e.g." in a failure), or a file holding it. */
export function inputFromEnv<C>(): C | undefined {
  const v = process.env.PB_CFG;
  return v ? (JSON.parse(v.trimStart().startsWith('{') ? v : readFileSync(v, 'utf8')) as C) : undefined;
}

/** Fake timers (also `setImmediate` and `Date`) from `t0` for every test of the file. */
export function fakeClockFrom(t0: number): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
    vi.setSystemTime(t0);
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });
}

/** Violations of many runs, by kind: a kind is the text with its numbers (and what `normalize` removes) blanked. */
export class Violations<C> {
  private readonly seen = new Map<string, { n: number; example: C }>();

  constructor(private readonly normalize: (s: string) => string = (s) => s) {}

  add(violations: readonly string[], input: C): void {
    for (const x of violations) {
      const key = this.normalize(x.replace(/\d+/g, 'N'));
      const e = this.seen.get(key);
      if (e) e.n++;
      else this.seen.set(key, { n: 1, example: input });
    }
  }

  /** One line per kind: `x<count>: <kind> e.g. <input JSON>` (for `expect(...).toEqual([])`). */
  report(): string[] {
    return [...this.seen].map(([k, { n, example }]) => `x${n}: ${k} e.g. ${JSON.stringify(example)}`);
  }
}
