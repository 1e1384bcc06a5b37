/**
 * The BullMQ processor: runs a job's messages through the engine (`sender.attempt`, one attempt each, no
 * waiting inside the worker) and maps every decision onto BullMQ's own machinery:
 *
 * - retry → the job goes to BullMQ's delayed set until its earliest due message (`job.moveToDelayed` +
 *   `DelayedError`): the delay is exactly the engine's (Retry-After honoured, jitter only on top) and no
 *   worker slot is held while waiting;
 * - a project-level rate limit (429 / quota) → shared cool-down for every worker, then `rateLimit(ms)` +
 *   `RateLimitError`: every worker of the queue stops taking jobs for the Retry-After;
 * - rejected (fix-request) / fatal → `UnrecoverableError` carrying the verdict and every outcome;
 * - dropped-token → the engine's prune hook (flushed before the job completes), with the safety valve's
 *   state shared through `RedisValveStore`;
 * - done → the job's return value is the outcome (a batch: one per message, in order).
 *
 * Per-message progress lives in the job (`job-progress.ts`), so a crash never resets a retry budget.
 */
import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';
import { fanOut } from '../engine/fan-out-signal.js';
import { rateLimitScope } from '../engine/rate-limit-scope.js';
import { defaultDeadline } from '../engine/message-fields.js';
import { resolveRetryOptions } from '../engine/retry-options.js';
import type { RetryOptions, Sender, StepResult } from '../engine/types.js';
import type { OutcomeKind, ProviderId, Target, Verdict } from '../types.js';
import { idsOf, isBatch, messagesOf, type PushJobData } from './job-data.js';
import {
  attemptStateOf,
  beginRun,
  finishWithout,
  loadProgress,
  nextWake,
  outcomesOf,
  recordStep,
  type JobOutcome,
  type JobProgress,
} from './job-progress.js';
import type { SharedCoolDowns } from './shared-cooldowns.js';

export interface ProcessorOptions<M> {
  /** The engine (`createSender`), built once per worker process. */
  sender: Sender<M>;
  /** Provider of the sender: names local verdicts. */
  provider: ProviderId;
  /** The same `target` function as the sender's: the project of a message, for shared cool-downs. */
  target: (message: M) => Target;
  /** Pauses every worker of the queue (`worker.rateLimit` / `queue.rateLimit`). Without it, a project-level
   * rate limit delays only this job. `createPushbackWorker` wires it. */
  rateLimit?: (ms: number) => Promise<void>;
  /** The sender's `coolDownScope`, if it has one (default `rateLimitScope`): a `project` scope pauses the queue. */
  coolDownScope?: (verdict: Verdict, target: Target) => 'project' | 'device' | 'topic' | null;
  /** Cool-downs shared through Redis (see `SharedCoolDowns`); wire `listen` to `sender.coolDownUntil`. */
  coolDowns?: SharedCoolDowns;
  /** The sender's `deadline` option, if it has one (default `defaultDeadline`), counted from the enqueue time. */
  deadline?: (message: M, firstAttemptAt: number) => number | undefined;
  /** The sender's `retry` options: a message that used up `maxAttempts` in runs lost to crashes ends
   * `gave-up` without another request. Default: the provider's defaults. */
  retry?: Partial<RetryOptions>;
  /** Send again a message whose attempt may have been in flight when its worker died. Default true
   * (at least once); false ends it `gave-up` with `maybeDelivered`. */
  retryAfterCrash?: boolean;
  /** Outcomes that fail the job with `UnrecoverableError` (after every message has its outcome).
   * Default `['rejected', 'fatal']`. */
  failOn?: readonly OutcomeKind[];
  /** Called after every run with what happened (for metrics and tests). */
  onRun?: (info: RunInfo) => void;
  now?: () => number;
}

export interface RunInfo {
  jobId: string | undefined;
  attempted: number;
  finished: number;
  lostRuns: number;
  /** What the job does next. */
  next: 'complete' | 'fail' | 'delay' | 'rate-limit';
  delayMs?: number;
}

/** The value a job returns: the outcome of its message, or of each message of a batch. */
export type JobResult = JobOutcome | JobOutcome[];

/** Thrown for a job whose messages ended rejected or fatal: BullMQ fails it at once, without retries. */
export class PushbackUnrecoverableError extends UnrecoverableError {
  constructor(
    /** The verdict of the first failing message (reason redacted). */
    readonly verdict: Verdict | undefined,
    /** Every message's outcome (also saved in the job's progress). */
    readonly outcomes: JobOutcome[],
  ) {
    const bad = outcomes.filter((o) => o.outcome === 'rejected' || o.outcome === 'fatal');
    const first = bad[0] ?? outcomes[0];
    super(
      `pushback: ${bad.length} of ${outcomes.length} message(s) ${first?.outcome ?? 'failed'}` +
        (verdict ? `: ${verdict.code}${verdict.status ? ` (HTTP ${verdict.status})` : ''}: ${verdict.reason}` : ''),
    );
    // BullMQ recognises unrecoverable errors by class or by this name (safe across module copies).
    this.name = 'UnrecoverableError';
  }
}

const PAST_DEADLINE = 'the message reached its deadline (TTL / expiration, counted from its enqueue time) before this attempt';

/**
 * A BullMQ processor function `(job, token, signal) => result` for pushback jobs
 * (`{ message }` or `{ messages }`, see `enqueue.ts`).
 */
export function createProcessor<M>(options: ProcessorOptions<M>) {
  const now = options.now ?? Date.now;
  const deadlineOf = options.deadline ?? defaultDeadline;
  const failOn = new Set<OutcomeKind>(options.failOn ?? ['rejected', 'fatal']);
  const retryAfterCrash = options.retryAfterCrash ?? true;
  const maxAttempts = resolveRetryOptions(options.provider, options.retry).maxAttempts;

  return async function process(job: Job<PushJobData<M>, JobResult>, token?: string, signal?: AbortSignal): Promise<JobResult> {
    const messages = messagesOf<M>(job.data);
    const ids = idsOf(job.data);
    const started = now();
    const progress = loadProgress(job.progress, messages.length);
    const run = beginRun(progress, { attemptsStarted: job.attemptsStarted || 1, now: started, enqueuedAt: job.timestamp || started });

    // Decide, for each due message, whether a request may go out now.
    const toSend: number[] = [];
    for (const i of run.due) {
      const m = progress.messages[i]!;
      const message = messages[i]!;
      const id = ids[i];
      if (m.deadline === undefined) m.deadline = deadlineOf(message, job.timestamp || started) ?? null;
      if (m.deadline !== null && started > m.deadline) {
        finishWithout(progress, i, 'expired', { now: started, ...(id !== undefined ? { id } : {}), reason: PAST_DEADLINE, provider: options.provider, maybeDelivered: !!m.crashedAttempts });
        continue;
      }
      if (m.crashedAttempts && run.lostRuns > 0 && !retryAfterCrash) {
        finishWithout(progress, i, 'gave-up', {
          now: started,
          ...(id !== undefined ? { id } : {}),
          reason: 'its worker died during an attempt that may have been delivered; retryAfterCrash is off',
          provider: options.provider,
          maybeDelivered: true,
        });
        continue;
      }
      if (m.attempt >= maxAttempts) {
        finishWithout(progress, i, 'gave-up', {
          now: started,
          ...(id !== undefined ? { id } : {}),
          reason: `its ${m.attempt} attempts (some lost with a crashed worker) used up maxAttempts`,
          provider: options.provider,
          maybeDelivered: !!m.crashedAttempts,
        });
        continue;
      }
      const cooling = options.coolDowns?.until(options.target(message).project) ?? 0;
      if (cooling > started) {
        m.notBefore = cooling; // no request, no attempt counted: the project is cooling down
        continue;
      }
      toSend.push(i);
    }

    // A project-level rate limit is shared the moment its verdict arrives, not when the whole job is done:
    // the other workers' engines hold their queued messages, and BullMQ stops handing out jobs.
    let rateLimitUntil = 0;
    const sharing: Promise<unknown>[] = [];
    const onStep = (i: number, step: StepResult): void => {
      if (step.decision.kind !== 'retry' || step.verdict.code === 'PUSHBACK_WAIT') return;
      const target = options.target(messages[i]!);
      const scope = options.coolDownScope ? options.coolDownScope(step.verdict, target) : rateLimitScope(step.verdict);
      if (scope !== 'project') return;
      const t = now();
      const until = t + (step.verdict.retryAfterMs ?? step.decision.delayMs);
      const project = target.project;
      const longer = until > rateLimitUntil;
      rateLimitUntil = Math.max(rateLimitUntil, until);
      if (!longer) return;
      if (options.coolDowns) sharing.push(options.coolDowns.publish(project, until).catch(() => undefined));
      if (options.rateLimit) sharing.push(options.rateLimit(Math.ceil(until - t)).catch(() => undefined));
    };
    // The engine listens to the signal a few times per message in flight (send, slot, admission): the
    // messages share one signal of their own that follows the job's (BullMQ's signal is left as it is).
    const fan = signal ? fanOut(signal) : undefined;
    let settled: PromiseSettledResult<StepResult>[];
    try {
      settled = await Promise.allSettled(
        toSend.map((i) =>
          options.sender.attempt(messages[i]!, attemptStateOf(progress, i, started), fan ? { signal: fan.signal } : {}).then((step) => {
            onStep(i, step);
            return step;
          }),
        ),
      );
    } finally {
      fan?.unlink(); // also when a sender's attempt() throws synchronously
    }
    await Promise.all(sharing);
    const at = now();
    let infraError: unknown;
    let dropped = false;
    settled.forEach((s, k) => {
      const i = toSend[k]!;
      if (s.status === 'rejected') {
        infraError ??= s.reason;
        return;
      }
      const step: StepResult = s.value;
      const id = ids[i];
      recordStep(progress, i, step, { now: at, startedAt: started, ...(id !== undefined ? { id } : {}) });
      if (step.decision.kind === 'stop' && step.decision.outcome === 'dropped-token') dropped = true;
    });

    // The prune hook runs before the job can complete: a crash cannot lose a condemned token.
    if (dropped) await options.sender.flush();

    const info = (next: RunInfo['next'], delayMs?: number): void =>
      options.onRun?.({
        jobId: job.id,
        attempted: toSend.length,
        finished: progress.messages.filter((m) => m.outcome).length,
        lostRuns: run.lostRuns,
        next,
        ...(delayMs !== undefined ? { delayMs } : {}),
      });

    if (infraError !== undefined) {
      // The engine itself failed (closed sender, Redis down...): save what happened, let BullMQ retry the job.
      await job.updateProgress(progress);
      throw infraError;
    }

    const wake = nextWake(progress);
    if (wake === undefined) {
      const outcomes = outcomesOf(progress);
      const bad = outcomes.find((o) => failOn.has(o.outcome));
      if (bad) {
        progress.failed = true;
        await job.updateProgress(progress);
        info('fail');
        throw new PushbackUnrecoverableError(bad.verdicts[bad.verdicts.length - 1], outcomes);
      }
      // Saved before completing: if this worker lost the job's lock, whoever runs it again sees it done.
      await job.updateProgress(progress);
      info('complete');
      return isBatch(job.data) ? outcomes : outcomes[0]!;
    }

    if (rateLimitUntil > at && options.rateLimit) {
      // The queue is already rate limited (above); this job goes back to wait with it.
      await job.updateProgress(progress);
      info('rate-limit', Math.ceil(rateLimitUntil - at));
      throw new RateLimitError();
    }

    const delayMs = Math.max(0, wake - at);
    await Promise.all([job.updateProgress(progress), job.moveToDelayed(Math.ceil(wake), token)]);
    info('delay', delayMs);
    throw new DelayedError();
  };
}

export type { JobOutcome, JobProgress };
