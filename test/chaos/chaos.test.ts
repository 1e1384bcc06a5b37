/**
 * Chaos: 10,000 messages through the engine and the real senders against the fake server, with at least
 * 30% of messages meeting transient faults of every kind the server injects (503/500 with and without
 * Retry-After, APNs 429, FCM project quota 429, refused streams, hung requests, slow answers, connection
 * resets, GOAWAY), plus dead tokens, bad payloads and a revoked key. Real time, short Retry-After (1 s).
 * The invariants are checked from the server's request log and the outcomes (src/demo/invariants.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAOS_FAULTS } from '../../src/demo/campaign.js';
import { runDemo, type DemoResult } from '../../src/demo/run.js';
import { settledHeap } from './gc.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('chaos: 10,000 messages, 35% transient faults of every kind', () => {
  let r: DemoResult | undefined;
  let heapBefore = 0;
  let heapAfter = 0;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    await runDemo({ messages: 300, faultRate: 0.35, seed: 'warm-up', kinds: CHAOS_FAULTS }); // load modules, JIT, certificates
    heapBefore = await settledHeap();
    r = await runDemo({
      messages: 10_000,
      faultRate: 0.35,
      seed: 'chaos',
      kinds: CHAOS_FAULTS,
      connectionFaults: 2,
      retryAfterS: [1, 1],
      senderTimeoutMs: 1000,
    });
    heapAfter = -1;
  }, 180_000);

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('injects at least 30% transient faults, of every kind', () => {
    const c = r!.campaign;
    const transient = c.messages.filter((m) => c.faults.has(m.token)).length;
    expect(transient / c.messages.length).toBeGreaterThanOrEqual(0.3);
    const kinds = new Set([...c.faults.values()].flat().map((s) => s.kind));
    for (const k of [...CHAOS_FAULTS, 'reset', 'goaway', 'quota-project']) expect(kinds, k).toContain(k);
    // ...and the server really applied them.
    const f = r!.summary.faults;
    for (const k of ['refuse', 'hang', 'reset', 'UNAVAILABLE', 'ServiceUnavailable', 'INTERNAL', 'TooManyRequests', 'QUOTA_EXCEEDED']) expect(f[k] ?? 0, k).toBeGreaterThan(0);
  });

  it('ends every message in exactly one outcome, the ones the plan determines', () => {
    const { summary, campaign } = r!;
    expect(summary.invariants.violations.filter((v) => v.invariant === 'one-outcome')).toEqual([]);
    const total = Object.values(summary.outcomes).reduce((s, n) => s + n, 0);
    expect(total).toBe(10_000);
    for (const [kind, n] of Object.entries(campaign.expected.exact)) expect(summary.outcomes[kind as keyof typeof summary.outcomes], kind).toBe(n);
    expect(summary.outcomes.delivered + summary.outcomes['gave-up']).toBe(campaign.expected.deliveredOrGaveUp);
    expect(summary.outcomes['gave-up']).toBeGreaterThanOrEqual(campaign.expected.gaveUpAtLeast);
    expect(r!.pruned.length).toBe(campaign.expected.exact['dropped-token']);
    expect(new Set(r!.pruned)).toEqual(new Set(campaign.deadTokens));
  });

  it('never sends to a cooled-down target before its Retry-After', () => {
    expect(r!.summary.invariants.violations.filter((v) => v.invariant === 'cool-down')).toEqual([]);
    // The checks had something to check: answers with Retry-After that the client read.
    expect(r!.attemptLog.filter((a) => a.retryAfterMs !== undefined).length).toBeGreaterThan(500);
  });

  it('never exceeds the per-device and per-project limits (sliding windows over the server log)', () => {
    const rates = r!.summary.rates;
    for (const rep of [...rates.device, ...rates.project]) expect(rep.max, JSON.stringify(rep)).toBeLessThanOrEqual(rep.limit.count);
    expect(rates.device[0]!.max).toBeGreaterThan(1); // hot devices were pushed
  });

  it('has no unhandled rejection and returns the heap to its baseline after close()', async () => {
    expect(unhandled).toEqual([]);
    r = undefined;
    heapAfter = await settledHeap();
    expect(heapAfter - heapBefore).toBeLessThan(16 * 2 ** 20);
  });
});
