import type { Verdict } from '../types.js';
import { backoffDelay } from './backoff.js';
import { OUTCOME_OF, type DecideContext, type Decision, type RetryOptions } from './types.js';

/**
 * The least time to wait before retrying after `verdict`, ms: the server's Retry-After (which the
 * classifier already raised to the catalog's floor for the code), the provider's `defaultRetryAfterMs`
 * for a 429 that named none, and the provider's minimum delay.
 */
export function retryFloorMs(verdict: Verdict, options: RetryOptions): number {
  let floor = options.minDelayMs;
  if (verdict.retryAfterMs != null && verdict.retryAfterMs > floor) floor = verdict.retryAfterMs;
  if (verdict.retryAfterMs == null && verdict.status === 429 && (options.defaultRetryAfterMs ?? 0) > floor) {
    floor = options.defaultRetryAfterMs ?? 0;
  }
  return Math.ceil(floor);
}

/** The stop decisions of `ok` verdicts by code, each one frozen object: every delivered message has one. */
const OK_STOPS = new Map<string, Decision>();

/** The decision for a verdict that is not retried (action other than `retry`, no credential refresh). */
export function stopDecision(verdict: Verdict): Decision {
  if (verdict.action === 'ok') {
    let d = OK_STOPS.get(verdict.code);
    if (d === undefined) {
      d = Object.freeze({ kind: 'stop', outcome: 'delivered', reason: `ok: ${verdict.code}` }) as Decision;
      if (OK_STOPS.size < 64) OK_STOPS.set(verdict.code, d); // codes come from providers: keep the cache small
    }
    return d;
  }
  return { kind: 'stop', outcome: OUTCOME_OF[verdict.action as Exclude<Verdict['action'], 'retry'>], reason: `${verdict.action}: ${verdict.code}` };
}

/**
 * What to do after one attempt. Pure: no I/O, no clock, no randomness besides `ctx.random`.
 *
 * Order of the checks for a retryable verdict: credential refresh (retry once, at once), maybe-delivered
 * policy, attempts left, deadline, the long-Retry-After policy, `maxElapsedMs`.
 * The delay is `max(Retry-After, minDelayMs, jittered backoff)`: jitter can only add to what the server asked.
 */
export function decide(verdict: Verdict, ctx: DecideContext): Decision {
  const o = ctx.options;
  const refreshable = verdict.refreshCredential === true && (ctx.refreshes ?? 0) < 1;
  if (verdict.action !== 'retry' && !refreshable) return stopDecision(verdict);
  if (verdict.refreshCredential === true && !refreshable) {
    return { kind: 'stop', outcome: 'fatal', reason: `${verdict.code}: still failing after a credential refresh` };
  }
  if (verdict.maybeDelivered === true && !refreshable) {
    const policy = o.retryMaybeDelivered;
    if (policy === 'never' || (policy === 'collapsible' && !ctx.collapsible)) {
      return {
        kind: 'stop',
        outcome: 'gave-up',
        reason: `${verdict.code}: may have been delivered; not retried (retryMaybeDelivered: ${policy}${policy === 'collapsible' ? ', message has no collapse key' : ''})`,
      };
    }
  }
  if (ctx.attempt >= o.maxAttempts) {
    return { kind: 'stop', outcome: 'gave-up', reason: `${verdict.code}: ${ctx.attempt} of ${o.maxAttempts} attempts made` };
  }
  const floor = refreshable ? Math.ceil(verdict.retryAfterMs ?? 0) : retryFloorMs(verdict, o);
  const backoff = refreshable ? 0 : backoffDelay(ctx.attempt, o, ctx.random, ctx.previousDelayMs);
  const delayMs = Math.max(floor, backoff);
  const nextAt = ctx.now + delayMs;
  if (ctx.deadline !== undefined && nextAt > ctx.deadline) {
    return { kind: 'stop', outcome: 'expired', reason: `${verdict.code}: a retry in ${delayMs} ms would land after the message's deadline` };
  }
  if (floor > o.maxRetryAfterMs) {
    return {
      kind: 'stop',
      outcome: 'gave-up',
      retryAfterMs: floor,
      reason: `${verdict.code}: the server asked to wait ${floor} ms, more than maxRetryAfterMs (${o.maxRetryAfterMs}); reschedule after retryAfterMs`,
    };
  }
  if (nextAt - ctx.startedAt > o.maxElapsedMs) {
    return { kind: 'stop', outcome: 'gave-up', reason: `${verdict.code}: a retry in ${delayMs} ms would exceed maxElapsedMs (${o.maxElapsedMs})` };
  }
  return {
    kind: 'retry',
    delayMs,
    reason: refreshable
      ? `${verdict.code}: credential refreshed, retrying once`
      : `${verdict.code}: retry ${ctx.attempt + 1} of ${o.maxAttempts} in ${delayMs} ms`,
  };
}
