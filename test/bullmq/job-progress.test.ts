import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { attemptStateOf, beginRun, finishWithout, loadProgress, nextWake, outcomesOf, recordStep, storableVerdict } from '../../src/bullmq/job-progress.js';

const v = (over: Partial<Verdict> = {}): Verdict => ({ provider: 'fcm', code: 'UNAVAILABLE', action: 'retry', retryAfterMs: null, known: true, reason: 'x', ...over });
const T = 1_800_000_000_000;

describe('job progress', () => {
  it('starts fresh from anything that is not pushback progress', () => {
    for (const raw of [undefined, 0, 42, 'x', { pushback: 1, messages: [1] }, { pushback: 2, messages: [] }]) {
      const p = loadProgress(raw, 2);
      expect(p.runs).toBe(0);
      expect(p.messages).toEqual([{ attempt: 0, verdicts: [] }, { attempt: 0, verdicts: [] }]);
    }
  });

  it('keeps only unfinished, due messages in a run and schedules the rest', () => {
    const p = loadProgress(undefined, 3);
    let run = beginRun(p, { attemptsStarted: 1, now: T, enqueuedAt: T - 5 });
    expect(run).toEqual({ due: [0, 1, 2], lostRuns: 0 });
    recordStep(p, 0, { verdict: v({ action: 'ok', code: 'OK', messageId: 'm1' }), decision: { kind: 'stop', outcome: 'delivered', reason: '' } }, { now: T + 10, startedAt: T });
    recordStep(p, 1, { verdict: v(), decision: { kind: 'retry', delayMs: 1_000, reason: '' } }, { now: T + 10, startedAt: T });
    recordStep(p, 2, { verdict: v(), decision: { kind: 'retry', delayMs: 5_000, reason: '' } }, { now: T + 10, startedAt: T });
    expect(nextWake(p)).toBe(T + 1_010);
    run = beginRun(p, { attemptsStarted: 2, now: T + 1_010, enqueuedAt: T - 5 });
    expect(run).toEqual({ due: [1], lostRuns: 0, wakeAt: T + 5_010 });
    expect(p.messages[1]).toMatchObject({ attempt: 1, startedAt: T, previousDelayMs: 1_000 });
    expect(p.messages[0]!.outcome).toMatchObject({ outcome: 'delivered', attempts: 1, messageId: 'm1', elapsedMs: 10, index: 0 });
  });

  it('counts runs lost to a crash against the budget of the messages that were due', () => {
    const p = loadProgress(undefined, 2);
    beginRun(p, { attemptsStarted: 1, now: T, enqueuedAt: T - 100 });
    recordStep(p, 0, { verdict: v(), decision: { kind: 'retry', delayMs: 1_000, reason: '' } }, { now: T, startedAt: T });
    recordStep(p, 1, { verdict: v(), decision: { kind: 'retry', delayMs: 60_000, reason: '' } }, { now: T, startedAt: T });
    // Saved at run 1. Runs 2 and 3 crashed; this is run 4, 2 s later: message 0 was due, message 1 was not.
    const run = beginRun(p, { attemptsStarted: 4, now: T + 2_000, enqueuedAt: T - 100 });
    expect(run.lostRuns).toBe(2);
    expect(run.due).toEqual([0]);
    expect(p.messages[0]).toMatchObject({ attempt: 3, crashedAttempts: 2, startedAt: T });
    expect(p.messages[1]).toMatchObject({ attempt: 1 });
    expect(p.messages[1]!.crashedAttempts).toBeUndefined();
    expect(p.runs).toBe(4);
  });

  it('a first run that crashed still counts, and the first-attempt time falls back to the enqueue time', () => {
    const p = loadProgress(undefined, 1);
    const run = beginRun(p, { attemptsStarted: 2, now: T + 30_000, enqueuedAt: T });
    expect(run).toEqual({ due: [0], lostRuns: 1 });
    expect(p.messages[0]).toMatchObject({ attempt: 1, startedAt: T, crashedAttempts: 1 });
    recordStep(p, 0, { verdict: v({ action: 'ok', code: 'OK' }), decision: { kind: 'stop', outcome: 'delivered', reason: '' } }, { now: T + 30_001, startedAt: T + 30_000 });
    expect(p.messages[0]!.outcome).toMatchObject({ attempts: 2, crashedAttempts: 1, elapsedMs: 30_001 });
  });

  it('a manual retry of a failed job re-opens only its rejected and fatal messages', () => {
    const p = loadProgress(undefined, 3);
    beginRun(p, { attemptsStarted: 1, now: T, enqueuedAt: T });
    recordStep(p, 0, { verdict: v({ action: 'ok', code: 'OK' }), decision: { kind: 'stop', outcome: 'delivered', reason: '' } }, { now: T, startedAt: T });
    recordStep(p, 1, { verdict: v({ action: 'fatal', code: 'THIRD_PARTY_AUTH_ERROR' }), decision: { kind: 'stop', outcome: 'fatal', reason: '' } }, { now: T, startedAt: T });
    recordStep(p, 2, { verdict: v({ action: 'drop-token', code: 'UNREGISTERED' }), decision: { kind: 'stop', outcome: 'dropped-token', reason: '' } }, { now: T, startedAt: T });
    p.failed = true;
    const again = loadProgress(JSON.parse(JSON.stringify(p)), 3);
    const run = beginRun(again, { attemptsStarted: 2, now: T + 1, enqueuedAt: T });
    expect(run.due).toEqual([1]);
    expect(again.messages[1]).toEqual({ attempt: 0, verdicts: [] });
    expect(again.failed).toBeUndefined();
  });

  it('takes the engine state as authoritative: a deferral (PUSHBACK_WAIT) is not an attempt', () => {
    const p = loadProgress(undefined, 1);
    beginRun(p, { attemptsStarted: 1, now: T, enqueuedAt: T });
    recordStep(p, 0, { verdict: v({ code: 'PUSHBACK_WAIT' }), decision: { kind: 'retry', delayMs: 300, reason: '' }, state: { attempt: 0, startedAt: T } }, { now: T, startedAt: T });
    expect(p.messages[0]).toMatchObject({ attempt: 0, verdicts: [], notBefore: T + 300 });
    expect(p.messages[0]!.previousDelayMs).toBeUndefined();
    expect(attemptStateOf(p, 0, T + 300)).toEqual({ attempt: 0, startedAt: T + 300 });
    recordStep(p, 0, { verdict: v(), decision: { kind: 'retry', delayMs: 800, reason: '' }, state: { attempt: 1, startedAt: T + 300, previousDelayMs: 800, refreshes: 1 } }, { now: T + 310, startedAt: T + 300 });
    expect(p.messages[0]).toMatchObject({ attempt: 1, startedAt: T + 300, notBefore: T + 1_110, previousDelayMs: 800, refreshes: 1 });
    expect(attemptStateOf(p, 0, T + 2_000)).toEqual({ attempt: 1, startedAt: T + 300, previousDelayMs: 800, refreshes: 1 });
  });

  it('stores verdicts without raw per-token maps, and ends a message without an attempt', () => {
    const withTokens = v({ tokens: { 'raw-token-abc': { action: 'drop-token', code: 'UNREGISTERED' } } });
    expect(JSON.stringify(storableVerdict(withTokens))).not.toContain('raw-token-abc');
    const p = loadProgress(undefined, 1);
    beginRun(p, { attemptsStarted: 2, now: T, enqueuedAt: T });
    finishWithout(p, 0, 'gave-up', { now: T + 5, id: 'order-1', reason: 'lost in a crash', provider: 'fcm', maybeDelivered: true });
    expect(outcomesOf(p)).toEqual([
      {
        outcome: 'gave-up',
        index: 0,
        id: 'order-1',
        attempts: 1,
        verdicts: [{ provider: 'fcm', code: 'PUSHBACK_GAVE_UP', action: 'retry', retryAfterMs: null, known: false, reason: 'lost in a crash' }],
        maybeDelivered: true,
        elapsedMs: 5,
        crashedAttempts: 1,
      },
    ]);
    expect(() => outcomesOf(loadProgress(undefined, 1))).toThrow(/no outcome/);
  });
});
