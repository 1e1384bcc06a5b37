import type { JitterKind } from './types.js';

/** The parameters of the exponential backoff (a subset of `RetryOptions`). */
export interface BackoffParams {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: JitterKind;
}

/**
 * The exponential ceiling before the retry that follows attempt `attempt` (1-based):
 * `min(maxDelayMs, initialDelayMs × factor^(attempt-1))`.
 */
export function backoffCeiling(attempt: number, p: BackoffParams): number {
  const exp = p.initialDelayMs * Math.pow(p.factor, Math.max(0, attempt - 1));
  return Math.max(0, Math.min(p.maxDelayMs, Number.isFinite(exp) ? exp : p.maxDelayMs));
}

/**
 * The backoff delay after attempt `attempt` failed, before any floor (Retry-After, provider minimum):
 * - `none`: the ceiling itself;
 * - `full` (default): uniform in [0, ceiling] ("full jitter", AWS Architecture Blog 2015);
 * - `decorrelated`: uniform in [initialDelayMs, 3 × previous delay], capped at `maxDelayMs`.
 * `random` returns a uniform number in [0, 1). Result is an integer number of ms.
 */
export function backoffDelay(attempt: number, p: BackoffParams, random: () => number, previousDelayMs?: number): number {
  const r = clamp01(random());
  switch (p.jitter) {
    case 'none':
      return Math.round(backoffCeiling(attempt, p));
    case 'decorrelated': {
      const base = p.initialDelayMs;
      const prev = Math.max(base, previousDelayMs ?? base);
      const upper = Math.max(base, prev * 3);
      return Math.round(Math.min(p.maxDelayMs, base + r * (upper - base)));
    }
    case 'full':
    default:
      return Math.round(r * backoffCeiling(attempt, p));
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}

/** A small seeded PRNG (mulberry32) for tests and reproducible benchmarks. Not for security. */
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
