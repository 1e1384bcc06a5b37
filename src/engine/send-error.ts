import type { Outcome } from '../types.js';
import { redactTarget } from './redacted-target.js';
import type { RedactedTarget } from './types.js';
import type { Target } from '../types.js';

/** Rejection of `send()` for the outcomes listed in `rejectOn`; carries the outcome. Its message holds no token. */
export class SendError<M = unknown> extends Error {
  override readonly name = 'SendError';
  readonly outcome: Outcome<M>;
  readonly target: RedactedTarget;

  constructor(outcome: Outcome<M>, target: Target) {
    const last = outcome.verdicts[outcome.verdicts.length - 1];
    super(`pushback: ${outcome.outcome} after ${outcome.attempts} attempt(s)${last ? `: ${last.code} (${last.reason})` : ''}`);
    this.outcome = outcome;
    this.target = redactTarget(target);
  }
}

/** Reported through the `error` event when `onDropToken` kept failing: the batch was not lost, it is in quarantine. */
export class PruneHookError extends Error {
  override readonly name = 'PruneHookError';
  /** How many tokens the failed batch held (the raw tokens are in `sender.quarantined(key)`). */
  readonly count: number;
  readonly key: string;

  constructor(key: string, count: number, cause: unknown) {
    super(`pushback: onDropToken failed for ${count} token(s) of ${key}; they are held in quarantine (releaseQuarantine() retries them)`, { cause });
    this.count = count;
    this.key = key;
  }
}
