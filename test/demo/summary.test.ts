import { describe, expect, it } from 'vitest';
import { formatSummary, percentile, type DemoSummary } from '../../src/demo/summary.js';

const summary: DemoSummary = {
  seed: '42', messages: 20000, faultRate: 0.15,
  outcomes: { delivered: 19000, 'dropped-token': 600, rejected: 40, fatal: 400, expired: 20, 'gave-up': 10 },
  retried: 3000, attempts: 24000, requests: 23700, faults: { unavailable: 500, reset: 400 },
  timeToOutcomeMs: { p50: 12, p99: 2500, max: 6000 },
  rates: { device: [{ max: 5, limit: { count: 5, perMs: 1000 } }], project: [{ max: 3999, limit: { count: 4000, perMs: 1000 } }] },
  pruned: 600, quarantined: 0, retryAfterS: [1, 2], timeScale: 1 / 30, invariants: { ok: true, violations: [] }, durationMs: 21000,
};

describe('percentile', () => {
  it('uses nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('formatSummary', () => {
  const text = formatSummary(summary);
  it('shows every outcome, the rates against their limits and the real-time note', () => {
    for (const k of Object.keys(summary.outcomes)) expect(text).toMatch(new RegExp(`^  ${k} +[\\d,]+$`, 'm'));
    expect(text).toContain('19,000');
    expect(text).toMatch(/max per-device rate \/ 1 s +5 \(limit 5\)/);
    expect(text).toMatch(/max per-project rate \/ 1 s +3,999 \(limit 4,000\)/);
    const both = formatSummary({ ...summary, rates: { ...summary.rates, device: [{ max: 5, arrived: 6, limit: { count: 5, perMs: 1000 } }] } });
    expect(both).toMatch(/max per-device rate \/ 1 s +5 sent, 6 arrived \(limit 5\)/);
    expect(text).toContain('Retry-After is 1-2 s');
    expect(text).toContain('scaled by 1/30');
    expect(text).toMatch(/p50 \/ p99 +12 ms \/ 2,500 ms/);
    expect(text).toMatch(/invariants +all held/);
  });
  it('lists violations when an invariant broke', () => {
    const bad = formatSummary({ ...summary, invariants: { ok: false, violations: [{ invariant: 'cool-down', detail: 'x' }] } });
    expect(bad).toMatch(/invariants +1 violated/);
    expect(bad).toContain('! cool-down: x');
  });
});
