/**
 * attempt() (queue workers), property-based: a simulated queue reschedules each job after
 * decision.delayMs with the returned state. Checks: each job ends in one terminal decision; requests per
 * job <= maxAttempts; no request to a cooled-down project before its time; the delay is never below the
 * Retry-After; no retry request after the deadline; close() resolves and leaves no timer. From a review
 * of 2026-12-04. `PB_RUNS` (default 1,000) changes the runs.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender } from '../../src/engine/index.js';
import type { AttemptState, EngineEvent } from '../../src/engine/types.js';
import { classify, fcmError, fcmOk, fcmToken } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 12);
beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(T0); });
afterEach(() => { vi.clearAllTimers(); vi.useRealTimers(); });

const resp = fc.oneof(
  fc.constant({ status: 200, code: 'OK' }),
  fc.constantFrom(
    { status: 503, code: 'UNAVAILABLE' }, { status: 500, code: 'INTERNAL' }, { status: 429, code: 'QUOTA_EXCEEDED' },
    { status: 404, code: 'UNREGISTERED' }, { status: 401, code: 'THIRD_PARTY_AUTH_ERROR' }, { status: 401, code: 'UNAUTHENTICATED' },
  ),
).chain((r) => fc.record({ status: fc.constant(r.status), code: fc.constant(r.code), ra: fc.option(fc.integer({ min: 0, max: 90 }), { nil: undefined }), latency: fc.integer({ min: 0, max: 2000 }) }));

const cfgArb = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 6 }),
  minDelayMs: fc.integer({ min: 0, max: 5000 }),
  circuit: fc.option(fc.integer({ min: 1000, max: 30_000 }), { nil: undefined }),
  jobs: fc.array(fc.record({ project: fc.constantFrom('p1', 'p2'), startAt: fc.integer({ min: 0, max: 30_000 }), deadlineIn: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }), script: fc.array(resp, { minLength: 1, maxLength: 7 }) }), { minLength: 1, maxLength: 6 }),
});

describe('attempt() invariants', () => {
  it('hold for random verdicts through a rescheduling queue', async () => {
    let totalRequests = 0;
    let retryDecisions = 0;
    const seen = new Map<string, unknown>();
    await fc.assert(
      fc.asyncProperty(cfgArb, async (cfg) => {
        vi.clearAllTimers();
        vi.setSystemTime(T0);
        const v: string[] = [];
        let seq = 0;
        const calls: { j: number; at: number; seq: number; project: string }[] = [];
        const events: { seq: number; e: EngineEvent }[] = [];
        const n = cfg.jobs.map(() => 0);
        type M = { j: number; token: string; project: string; deadline?: number };
        const s = createSender<M>(
          (m) => {
            const r = cfg.jobs[m.j]!.script[n[m.j]!++] ?? { status: 200, code: 'OK', ra: undefined, latency: 0 };
            calls.push({ j: m.j, at: Date.now(), seq: ++seq, project: m.project });
            const out = r.status === 200 ? fcmOk() : fcmError(r.status, r.code, r.ra !== undefined ? { 'retry-after': String(r.ra) } : {});
            return new Promise((res) => setTimeout(() => res(out), r.latency));
          },
          {
            provider: 'fcm', classify, target: (m) => ({ project: m.project, token: m.token }), limits: { concurrency: 2, project: [], device: [] },
            retry: { maxAttempts: cfg.maxAttempts, minDelayMs: cfg.minDelayMs, initialDelayMs: 1000 },
            circuit: cfg.circuit === undefined ? false : { coolDownMs: cfg.circuit }, refreshCredential: async () => {},
            onDropToken: () => {}, onEvent: (e) => events.push({ seq: ++seq, e }),
          },
        );
        const done: (string | undefined)[] = cfg.jobs.map(() => undefined);
        cfg.jobs.forEach((job, j) => {
          const m: M = { j, token: fcmToken(j), project: job.project };
          if (job.deadlineIn !== undefined) m.deadline = T0 + job.startAt + job.deadlineIn;
          let state: AttemptState | undefined;
          const run = async () => {
            state ??= { attempt: 0, startedAt: Date.now() };
            try {
              const r = await s.attempt(m, state);
              if (r.decision.kind === 'stop') { done[j] = r.decision.outcome; return; }
              if (r.verdict.retryAfterMs != null && r.decision.delayMs < r.verdict.retryAfterMs) v.push(`job delay ${r.decision.delayMs} < Retry-After ${r.verdict.retryAfterMs}`);
              state = r.state!;
              setTimeout(run, r.decision.delayMs);
            } catch (e) { done[j] = 'threw ' + String(e); }
          };
          setTimeout(run, job.startAt);
        });
        for (let t = 0; t < 3 * 3600 && done.some((d) => d === undefined); t++) await vi.advanceTimersByTimeAsync(1000);
        done.forEach((d, j) => { if (d === undefined) v.push(`job ${j} not finished`); else if (d.startsWith('threw')) v.push(`job ${j} ${d}`); });
        cfg.jobs.forEach((job, j) => {
          const mine = calls.filter((c) => c.j === j);
          if (mine.length > cfg.maxAttempts) v.push(`job ${j}: ${mine.length} requests > maxAttempts`);
          if (job.deadlineIn !== undefined) for (const c of mine.slice(1)) if (c.at > T0 + job.startAt + job.deadlineIn) v.push(`job ${j}: retry after the deadline`);
        });
        for (const { seq: s0, e } of events) {
          if (e.type !== 'attempt' || e.verdict.action !== 'retry' || e.verdict.retryAfterMs == null) continue;
          if (!(e.verdict.status === 429 || e.verdict.code === 'QUOTA_EXCEEDED')) continue;
          const until = e.at + Math.max(e.verdict.retryAfterMs, cfg.minDelayMs);
          for (const c of calls) if (c.seq > s0 && c.project === e.target.project && c.at < until) v.push(`request to ${c.project} during its cool-down`);
        }
        totalRequests += calls.length;
        retryDecisions += events.filter((x) => x.e.type === 'attempt' && x.e.decision.kind === 'retry').length;
        let closed = false;
        void s.close().then(() => (closed = true));
        for (let t = 0; t < 600 && !closed; t++) await vi.advanceTimersByTimeAsync(1000);
        if (!closed) v.push('close() pending');
        else if (vi.getTimerCount() !== 0) v.push(`close() left ${vi.getTimerCount()} timers`);
        for (const x of v) if (!seen.has(x.replace(/\d+/g, 'N'))) seen.set(x.replace(/\d+/g, 'N'), cfg);
        return true;
      }),
      { numRuns: Number(process.env.PB_RUNS ?? 1000) },
    );
    expect([...seen].map(([k, c]) => `${k} e.g. ${JSON.stringify(c)}`)).toEqual([]);
    // Not vacuous: the runs made requests and retried.
    expect(totalRequests).toBeGreaterThan(1000);
    expect(retryDecisions).toBeGreaterThan(100);
  });
});
