/**
 * Per-message progress of a job, stored in the job's own `progress` field (`job.updateProgress`), so it
 * survives worker restarts: attempts made, first-attempt time, the earliest next attempt, verdicts and the
 * terminal outcome. A pure module: the processor loads, updates and saves it.
 *
 * Crash accounting uses BullMQ's `attemptsStarted` (incremented atomically in Redis each time a worker takes
 * the job): each save records it, so a run that starts with `attemptsStarted > runs + 1` knows that runs
 * were started and never saved (a worker killed mid-send, or a stalled lock). Every unfinished message that
 * was due then is counted as attempted once per lost run and flagged maybe-delivered: a crash never gives
 * a message its retry budget back, and its deadline stays tied to its first attempt.
 */
import type { AttemptState, Decision } from '../engine/types.js';
import type { OutcomeKind, Verdict } from '../types.js';

/** A terminal outcome as a job returns it: `Outcome` without the message (the job data holds it). */
export interface JobOutcome {
  outcome: OutcomeKind;
  /** Position of the message in the job. */
  index: number;
  /** The caller's message id, when given at enqueue. */
  id?: string;
  attempts: number;
  verdicts: Verdict[];
  messageId?: string;
  maybeDelivered?: boolean;
  retryAfterMs?: number;
  elapsedMs: number;
  /** Runs lost to a crash while this message was due: it may have been sent that many extra times. */
  crashedAttempts?: number;
}

export interface MessageProgress {
  /** Attempts made (started) so far. */
  attempt: number;
  /** First attempt, ms since epoch. */
  startedAt?: number;
  /** Earliest next attempt, ms since epoch. */
  notBefore?: number;
  previousDelayMs?: number;
  /** Credential refreshes made for this message (the engine retries a refreshable verdict once). */
  refreshes?: number;
  /** When the message stops being worth sending (ms since epoch), from its TTL/expiration counted from
   * the enqueue time; `null` when it has none. Fixed at the first run. */
  deadline?: number | null;
  /** Verdicts of the attempts made (without per-token maps). */
  verdicts: Verdict[];
  crashedAttempts?: number;
  outcome?: JobOutcome;
}

export interface JobProgress {
  pushback: 1;
  /** `job.attemptsStarted` when last saved. */
  runs: number;
  messages: MessageProgress[];
  /** Set when the job was failed (rejected/fatal): a manual retry re-attempts those messages. */
  failed?: boolean;
}

/** Parses a job's `progress`; anything else (0, a number, another shape) starts fresh. */
export function loadProgress(raw: unknown, count: number): JobProgress {
  const p = raw as Partial<JobProgress> | undefined;
  if (p && typeof p === 'object' && p.pushback === 1 && Array.isArray(p.messages) && p.messages.length === count) {
    return {
      pushback: 1,
      runs: Number(p.runs) || 0,
      messages: p.messages.map((m) => ({ ...m, attempt: Number(m?.attempt) || 0, verdicts: Array.isArray(m?.verdicts) ? m.verdicts : [] })),
      ...(p.failed ? { failed: true } : {}),
    };
  }
  return { pushback: 1, runs: 0, messages: Array.from({ length: count }, () => ({ attempt: 0, verdicts: [] })) };
}

export interface RunStart {
  /** Indexes of the messages to attempt now. */
  due: number[];
  /** Runs started but never saved since the last save. */
  lostRuns: number;
  /** Earliest `notBefore` among unfinished messages that are not due, if any. */
  wakeAt?: number;
}

/**
 * Starts a run: accounts for lost runs, re-opens rejected/fatal messages after a manual retry, and says which
 * messages are due. Mutates `progress`.
 */
export function beginRun(progress: JobProgress, ctx: { attemptsStarted: number; now: number; enqueuedAt: number }): RunStart {
  const lostRuns = Math.max(0, ctx.attemptsStarted - progress.runs - 1);
  if (progress.failed) {
    // A human retried a failed job: give its rejected/fatal messages a fresh start.
    for (const m of progress.messages) {
      if (m.outcome && (m.outcome.outcome === 'rejected' || m.outcome.outcome === 'fatal')) {
        m.attempt = 0;
        m.verdicts = [];
        delete m.outcome;
        delete m.startedAt;
        delete m.notBefore;
        delete m.previousDelayMs;
        delete m.crashedAttempts;
      }
    }
    delete progress.failed;
  }
  const due: number[] = [];
  let wakeAt: number | undefined;
  progress.messages.forEach((m, i) => {
    if (m.outcome) return;
    if (lostRuns > 0 && (m.notBefore ?? 0) <= ctx.now) {
      // It was due during the lost run(s): count them, keep the earliest possible first-attempt time.
      m.attempt += lostRuns;
      m.crashedAttempts = (m.crashedAttempts ?? 0) + lostRuns;
      m.startedAt ??= ctx.enqueuedAt;
    }
    if ((m.notBefore ?? 0) <= ctx.now) due.push(i);
    else wakeAt = Math.min(wakeAt ?? Infinity, m.notBefore!);
  });
  progress.runs = ctx.attemptsStarted;
  return { due, lostRuns, ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

/** Drops the per-token map (raw tokens as keys) before a verdict is stored in Redis. */
export function storableVerdict(v: Verdict): Verdict {
  if (!v.tokens) return v;
  const { tokens: _tokens, ...rest } = v;
  return rest;
}

/** The engine state to pass to `sender.attempt` for message `index`. */
export function attemptStateOf(progress: JobProgress, index: number, now: number): AttemptState {
  const m = progress.messages[index]!;
  const st: AttemptState = { attempt: m.attempt, startedAt: m.startedAt ?? now };
  if (m.previousDelayMs !== undefined) st.previousDelayMs = m.previousDelayMs;
  if (m.refreshes !== undefined) st.refreshes = m.refreshes;
  return st;
}

/**
 * Records one `sender.attempt` result for message `index`. The engine's returned state is authoritative:
 * a step that made no request and counts no attempt (a deferral while the target cools down, code
 * `PUSHBACK_WAIT`) leaves the attempt count and the verdict list alone. Mutates `progress`.
 */
export function recordStep(
  progress: JobProgress,
  index: number,
  step: { verdict: Verdict; decision: Decision; state?: AttemptState },
  ctx: { now: number; startedAt: number; id?: string },
): MessageProgress {
  const m = progress.messages[index]!;
  const before = m.attempt;
  if (step.state) {
    m.attempt = Math.max(m.attempt, step.state.attempt);
    if (step.state.refreshes !== undefined) m.refreshes = step.state.refreshes;
  } else if (step.verdict.code !== 'PUSHBACK_WAIT') {
    m.attempt += 1;
  }
  const attempted = m.attempt > before;
  if (attempted) {
    m.startedAt ??= ctx.startedAt;
    m.verdicts.push(storableVerdict(step.verdict));
  }
  if (step.decision.kind === 'retry') {
    m.notBefore = ctx.now + step.decision.delayMs;
    if (attempted) m.previousDelayMs = step.decision.delayMs;
    return m;
  }
  const d = step.decision;
  m.startedAt ??= ctx.startedAt;
  m.outcome = {
    outcome: d.outcome,
    index,
    ...(ctx.id !== undefined ? { id: ctx.id } : {}),
    attempts: m.attempt,
    verdicts: m.verdicts,
    ...(step.verdict.messageId !== undefined && d.outcome === 'delivered' ? { messageId: step.verdict.messageId } : {}),
    ...(step.verdict.maybeDelivered ? { maybeDelivered: true } : {}),
    ...(d.retryAfterMs !== undefined ? { retryAfterMs: d.retryAfterMs } : {}),
    elapsedMs: Math.max(0, ctx.now - m.startedAt),
    ...(m.crashedAttempts ? { crashedAttempts: m.crashedAttempts } : {}),
  };
  delete m.notBefore;
  return m;
}

/** Ends a message without a request (past its deadline, out of attempts after a crash...): the closing
 * verdict is local (`PUSHBACK_EXPIRED`, `PUSHBACK_GAVE_UP`) and says why. */
export function finishWithout(
  progress: JobProgress,
  index: number,
  outcome: OutcomeKind,
  ctx: { now: number; id?: string; reason: string; maybeDelivered?: boolean; provider: Verdict['provider'] },
): void {
  const m = progress.messages[index]!;
  m.outcome = {
    outcome,
    index,
    ...(ctx.id !== undefined ? { id: ctx.id } : {}),
    attempts: m.attempt,
    verdicts: [...m.verdicts, { provider: ctx.provider, code: `PUSHBACK_${outcome.toUpperCase().replace('-', '_')}`, action: 'retry', retryAfterMs: null, known: false, reason: ctx.reason }],
    ...(ctx.maybeDelivered ? { maybeDelivered: true } : {}),
    elapsedMs: Math.max(0, ctx.now - (m.startedAt ?? ctx.now)),
    ...(m.crashedAttempts ? { crashedAttempts: m.crashedAttempts } : {}),
  };
  delete m.notBefore;
}

/** Earliest next attempt among unfinished messages, or undefined when every message has its outcome. */
export function nextWake(progress: JobProgress): number | undefined {
  let at: number | undefined;
  for (const m of progress.messages) if (!m.outcome) at = Math.min(at ?? Infinity, m.notBefore ?? 0);
  return at;
}

export function outcomesOf(progress: JobProgress): JobOutcome[] {
  return progress.messages.map((m, i) => {
    if (!m.outcome) throw new Error(`message ${i} has no outcome yet`);
    return m.outcome;
  });
}
