import { setMaxListeners } from 'node:events';
import pRetry from 'p-retry';
import { redactError, redactText, redactToken } from '../redact.js';
import type { ClassifyInput, Outcome, SendContext, Target, Verdict } from '../types.js';
import { backoffCeiling } from './backoff.js';
import { CoolDowns } from './cooldowns.js';
import { CredentialRefresher } from './credential-refresh.js';
import { FatalCircuit } from './circuit.js';
import { fanOut } from './fan-out-signal.js';
import { decide, retryFloorMs, stopDecision } from './decide.js';
import { defaultClassify } from './default-classifier.js';
import { MemoryDeviceCounterStore } from './device-store.js';
import { createLimits, type Limits } from './limits.js';
import { defaultCollapsible, defaultDeadline } from './message-fields.js';
import { Pruner, type PruneReport } from './pruner.js';
import { rateLimitScope } from './rate-limit-scope.js';
import { redactTarget, redactVerdict } from './redacted-target.js';
import { resolveRetryOptions } from './retry-options.js';
import { SendError } from './send-error.js';
import { raceAbort, Timers } from './timers.js';
import { defaultToClassifyInput, isClassifiable, messageIdOf, valueToClassifyInput } from './to-classify-input.js';
import type {
  AttemptState,
  BatchAnswer,
  BatchSend,
  Decision,
  DropTokenEvent,
  EngineEvent,
  RetryOptions,
  SendFunction,
  Sender,
  SenderOptions,
  StepResult,
} from './types.js';

const NOT_DROPPED: PruneReport = Object.freeze({ dropped: false });
const NOT_DROPPED_ONE: readonly PruneReport[] = Object.freeze([NOT_DROPPED]);
const DROPPED_ONE: readonly PruneReport[] = Object.freeze([Object.freeze({ dropped: true })]);

/** How long a `refreshCredential()` may take before the message ends fatal (and an error event says why). */
const REFRESH_TIMEOUT_MS = 30_000;

/** The signal handed to send functions when the caller gave none: it never aborts, and every send in
 * flight may listen to it without Node's MaxListenersExceededWarning. */
const NEVER: AbortSignal = new AbortController().signal;
setMaxListeners(0, NEVER);

/** The context of a first attempt without a caller's signal (the fast path): one shared, frozen object. */
const FIRST_ATTEMPT: SendContext = Object.freeze({ attempt: 1, signal: NEVER });

/** Thrown inside p-retry's attempt function to ask for another attempt after `delayMs`. */
class RetryLater extends Error {
  constructor(readonly delayMs: number) {
    super('pushback: retry later');
  }
}

interface RunState extends AttemptState {
  verdicts: Verdict[];
  /** Told once when the message first waits or its first attempt ends (see `sendMany`). */
  idle?: (() => void) | undefined;
}

type Mode = 'wait' | 'defer';

/** A first attempt admitted for a batch call (its own run state): its permits and slot taken, `active` entered. */
interface Admitted<M> extends RunState {
  ok: true;
  message: M;
  target: Target;
  index: number;
}

/** Not admitted at once: the per-message path sends it (`target` undefined when reading it threw). */
interface NotAdmitted<M> {
  ok: false;
  message: M;
  target: Target | undefined;
}

/** A step's result, plus whether a request actually left (the valve counts only those). */
interface Step extends StepResult {
  target: Target;
  sent: boolean;
}

/**
 * Wraps a provider send function: every message ends in exactly one terminal outcome, as fast as the
 * provider allows and never faster. See `SenderOptions` for the options and their defaults.
 */
export function createSender<M>(send: SendFunction<M>, options: SenderOptions<M>): Sender<M> {
  return new Engine(send, options);
}

class Engine<M> implements Sender<M> {
  private readonly retry: RetryOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly classifier: (input: ClassifyInput) => Verdict;
  private readonly timers: Timers;
  private readonly cooldowns = new CoolDowns();
  private readonly circuit: FatalCircuit | undefined;
  private readonly refresher: CredentialRefresher;
  private readonly limits: Limits;
  private readonly pruner: Pruner;
  private readonly active = new Tracker();
  private readonly hookTasks = new Tracker();
  private readonly syncDeviceStore: boolean;
  /** The valve key (`provider:credential`) of the last credential seen: built once, not per message. */
  private valveCred: string | undefined;
  private valveKey = '';
  private closed = false;

  constructor(
    private readonly sendFn: SendFunction<M>,
    private readonly options: SenderOptions<M>,
  ) {
    if (typeof sendFn !== 'function') throw new TypeError('createSender: send must be a function');
    if (!options || typeof options.target !== 'function') throw new TypeError('createSender: options.target(message) is required');
    const classifier = options.classify ?? defaultClassify;
    if (!classifier) throw new TypeError('createSender: no classifier available; pass options.classify');
    this.classifier = classifier;
    this.retry = resolveRetryOptions(options.provider, options.retry);
    this.now = options.now ?? Date.now;
    this.timers = new Timers(this.now);
    this.random = options.random ?? Math.random;
    this.circuit = options.circuit === false ? undefined : new FatalCircuit(options.circuit?.coolDownMs ?? 60_000);
    this.refresher = new CredentialRefresher(options.refreshCredential);
    this.limits = createLimits(options.provider, options.limits);
    this.syncDeviceStore = this.limits.deviceStore instanceof MemoryDeviceCounterStore;
    this.pruner = new Pruner(options.prune ?? {}, {
      hook: options.onDropToken,
      timers: this.timers,
      now: this.now,
      onSuspended: (info) => {
        this.emit({ type: 'prune-suspended', ...info, at: this.now() });
        if (options.onPruneSuspended) this.hook(options.onPruneSuspended, info);
      },
      onError: (error) => this.emit({ type: 'error', error, at: this.now() }),
    });
  }

  // ---- public API ----------------------------------------------------------------------------

  send(message: M, opts?: { signal?: AbortSignal }): Promise<Outcome<M>> {
    if (this.closed) return Promise.reject(new Error('pushback: the sender is closed'));
    // `run` enters and leaves the tracker itself: no extra promise reaction per message.
    return this.run(message, opts?.signal);
  }

  /**
   * Sends every message and resolves with their outcomes in input order. Messages enter the engine
   * through a window as wide as `limits.concurrency`: a message holds its place until its first request
   * is answered or it starts a wait (a retry's backoff, a cooled-down or saturated device), so a retry or
   * a hot device never holds back the rest, while a million-message call does not start a million
   * sends (and their promises, timers and `startedAt` clocks) at once.
   */
  sendMany(messages: readonly M[], opts: { signal?: AbortSignal } = {}): Promise<Outcome<M>[]> {
    if (this.closed) return Promise.reject(new Error('pushback: the sender is closed'));
    const n = messages.length;
    const out = new Array<Outcome<M>>(n);
    if (n === 0) return Promise.resolve(out);
    const width = this.limits.concurrency.size;
    // The messages listen to one signal of their own, which follows the caller's (see `fanOut`).
    const fan = opts.signal === undefined ? undefined : fanOut(opts.signal);
    const signal = fan?.signal;
    // Batch calls only for first attempts admitted at once (no caller's signal: see `run`).
    const batch = signal === undefined ? this.options.batch : undefined;
    this.active.enter(); // close() waits for the whole call, messages not yet started included
    return new Promise<Outcome<M>[]>((resolve, reject) => {
      let next = 0;
      let open = 0;
      let done = 0;
      let error: { e: unknown } | undefined;
      const settle = () => {
        if (++done < n) return;
        fan?.unlink();
        this.active.leave();
        if (error) reject(error.e);
        else resolve(out);
      };
      const record = (i: number, o: Outcome<M>) => {
        out[i] = o;
        settle();
      };
      const fail = (i: number, e: unknown) => {
        if (e instanceof SendError) out[i] = e.outcome as Outcome<M>;
        else error ??= { e };
        settle();
      };
      /** A batch call's messages hold their places until its answer (their first attempts') is in. */
      let group: Admitted<M>[] = [];
      let groupMax = 0;
      let groupTimer: NodeJS.Immediate | undefined;
      const sendGroup = () => {
        if (groupTimer !== undefined) {
          clearImmediate(groupTimer);
          groupTimer = undefined;
        }
        const g = group;
        group = [];
        this.sendBatch(batch!, g, record, fail, (places) => {
          open -= places;
          pump();
        });
      };
      // Re-entrant calls (a synchronous send frees its place inside `run`) return at once: the loop
      // below sees the freed place.
      let pumping = false;
      const pump = () => {
        if (pumping) return;
        pumping = true;
        try {
          while (open < width && next < n) {
            const i = next++;
            open++;
            if (batch) {
              const a = this.admitBatched(messages[i]!, i);
              if (a.ok) {
                if (group.length === 0) groupMax = this.batchSize(batch, a.message);
                group.push(a);
                if (group.length >= groupMax) sendGroup();
                continue;
              }
              this.startOne(a.message, i, signal, a.target, record, fail, () => {
                open--;
                pump();
              });
              continue;
            }
            this.startOne(messages[i]!, i, signal, undefined, record, fail, () => {
              open--;
              pump();
            });
          }
          // A partial group leaves at once when nothing more of this call can join it, else on the next
          // turn of the event loop: places freed one by one meanwhile (answers, messages that started to
          // wait) join it. Sent at once, every freed place would become a call of its own, for good.
          if (group.length > 0) {
            if (next >= n) sendGroup();
            else groupTimer ??= setImmediate(sendGroup);
          }
        } finally {
          pumping = false;
        }
      };
      pump();
    });
  }

  /** One message of `sendMany` on the per-message path; `free` when it no longer holds its place. */
  private startOne(
    message: M,
    i: number,
    signal: AbortSignal | undefined,
    target: Target | undefined,
    record: (i: number, o: Outcome<M>) => void,
    fail: (i: number, e: unknown) => void,
    onFree: () => void,
  ): void {
    const free = once(onFree);
    whenSettled(this.run(message, signal, free, target), i, free, record, fail);
  }

  /** Messages per batch call, from the first message of the call (at least 1). */
  private batchSize(batch: BatchSend<M>, first: M): number {
    try {
      const size = batch.maxSize(first);
      return size >= 1 ? Math.floor(size) : 1;
    } catch (err) {
      this.emit({ type: 'error', error: toError(err, 'options.batch.maxSize threw (read as 1)'), at: this.now() });
      return 1;
    }
  }

  /**
   * A first attempt for a batch call: admitted at once (as `run`'s fast path: no open circuit, no
   * cool-down, a free slot, leased permits, the device under its limit), or not (then `startOne` sends it,
   * with the target already read).
   */
  private admitBatched(message: M, index: number): Admitted<M> | NotAdmitted<M> {
    let target: Target;
    try {
      target = this.options.target(message);
    } catch {
      return { ok: false, message, target: undefined }; // `run` reads it again and ends it `rejected`
    }
    if (this.circuit !== undefined && this.circuit.size !== 0) return { ok: false, message, target };
    try {
      if (!this.admitNow(target, undefined)) return { ok: false, message, target };
    } catch {
      return { ok: false, message, target }; // `run` meets the same failure where it is handled
    }
    this.active.enter();
    return { ok: true, message, target, index, attempt: 0, startedAt: this.now(), refreshes: 0, verdicts: NO_VERDICTS };
  }

  /**
   * One batch call for first attempts admitted at once; each answer goes on as a first attempt's would
   * (`afterFirst`). `free(n)` gives n places back to `sendMany`'s window: the call's places all at once
   * when it is answered. Never throws, and settles every message of the group exactly once, whatever
   * `batch.send` does (throws, answers a thenable that throws or calls back twice, a bad array).
   */
  private sendBatch(
    batch: BatchSend<M>,
    group: Admitted<M>[],
    record: (i: number, o: Outcome<M>) => void,
    fail: (i: number, e: unknown) => void,
    free: (n: number) => void,
  ): void {
    if (this.cooldowns.size !== 0 || (this.circuit !== undefined && this.circuit.size !== 0)) {
      // A cool-down or an open circuit began while the group waited for its turn (see `sendMany`): the
      // checks of `step` decide for each message, as for any other that cannot leave at once.
      for (const a of group) this.divert(a, record, fail, free);
      return;
    }
    const generation = this.refresher.generation;
    const each = (answers: readonly BatchAnswer[] | undefined, error: unknown) => {
      try {
        for (let k = 0; k < group.length; k++) {
          const a = group[k]!;
          let result: Outcome<M> | Promise<Outcome<M>>;
          let ok = false;
          let value: unknown;
          let err: unknown = error;
          if (answers !== undefined) {
            try {
              const answer = answers[k];
              if (answer !== undefined && answer !== null && answer.ok === true) {
                ok = true;
                value = answer.value;
              } else {
                err = answer?.ok === false ? answer.error : new TypeError(`options.batch.send answered ${answer === null ? 'null' : typeof answer} for a message`);
              }
            } catch (e) {
              ok = false;
              err = e; // an answer that cannot even be read fails its own message
            }
          }
          try {
            result = this.afterFirst(a.message, a, a.target, generation, ok ? value : undefined, ok ? undefined : err, !ok);
          } catch (e) {
            fail(a.index, e);
            continue;
          }
          if (isThenable(result)) {
            result.then(
              (o) => record(a.index, o),
              (e: unknown) => fail(a.index, e),
            );
          } else record(a.index, result);
        }
      } finally {
        free(group.length);
      }
    };
    let answered: Promise<unknown>;
    try {
      // Adopted by a real promise: a thenable's `then` that throws or calls back twice settles it once.
      answered = Promise.resolve(batch.send(group.map((a) => a.message)));
    } catch (e) {
      answered = Promise.reject(e);
    }
    answered.then(
      (answers) => {
        if (!Array.isArray(answers) || answers.length !== group.length) {
          each(undefined, new Error(`options.batch.send answered ${Array.isArray(answers) ? answers.length : typeof answers} results for ${group.length} messages`));
        } else each(answers as readonly BatchAnswer[], undefined);
      },
      (e: unknown) => each(undefined, e),
    );
  }

  /**
   * A message admitted for a batch call that can no longer leave with it: its slot goes back (its permits
   * are forfeited: a limit only gets stricter) and `step` takes it from the start, as in `run`.
   */
  private divert(a: Admitted<M>, record: (i: number, o: Outcome<M>) => void, fail: (i: number, e: unknown) => void, free: (n: number) => void): void {
    this.limits.concurrency.release();
    const release = once(() => free(1));
    a.idle = release;
    whenSettled(this.continueRun(a.message, a, undefined, this.step(a.message, a, undefined, 'wait', a.target)), a.index, release, record, fail);
  }

  async attempt(message: M, state: AttemptState, opts: { signal?: AbortSignal } = {}): Promise<StepResult> {
    if (this.closed) throw new Error('pushback: the sender is closed');
    const p = (async () => {
      const st: RunState = { ...state, verdicts: NO_VERDICTS };
      const step = await this.step(message, st, opts.signal, 'defer');
      if (step.decision.kind === 'stop') {
        const done = this.finish(message, step, st, this.now());
        if (isThenable(done)) await done;
      }
      return { verdict: step.verdict, decision: step.decision, state: step.state } as StepResult;
    })();
    this.track(this.active, p);
    return p;
  }

  reset(credential?: string): void {
    this.circuit?.reset(credential);
  }

  releaseQuarantine(key?: string, opts: { discard?: boolean } = {}): Promise<number> {
    const p = this.pruner.release(key, opts.discard === true);
    this.track(this.active, p); // close() waits for it: its tokens are delivered or back in quarantine
    return p;
  }

  quarantined(key?: string): DropTokenEvent[] {
    return this.pruner.quarantined(key);
  }

  flush(): Promise<void> {
    return this.pruner.flush();
  }

  coolDownUntil(target: { project: string; topic?: string; token?: string }, untilMs: number): void {
    const [key, shown] =
      target.token !== undefined
        ? [`d:${target.token}`, `device:${redactToken(target.token)}`]
        : target.topic !== undefined
          ? [`t:${target.topic}`, `topic:${target.topic}`]
          : [`p:${target.project}`, `project:${target.project}`];
    if (this.cooldowns.set(key, untilMs)) this.emit({ type: 'cool-down', key: shown, untilMs, at: this.now() });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.active.idle();
    await this.pruner.close();
    await this.hookTasks.idle();
    await this.limits.close();
    this.timers.cancelAll(new Error('pushback: the sender is closed'));
    this.cooldowns.clear();
  }

  // ---- one message ---------------------------------------------------------------------------

  /**
   * One message, to its outcome. `idle`: called (at most once) when the message first waits or its first
   * attempt is answered (`sendMany`'s window).
   *
   * The common case (no signal, no open circuit, no cool-down, a free slot, leased permits, the device
   * under its limit) sends at once and settles in one reaction to the send's promise: no async frames,
   * no extra promises. Anything else, and every retry, goes through `step` and `continueRun`.
   */
  private run(message: M, signal: AbortSignal | undefined, idle?: () => void, known?: Target): Promise<Outcome<M>> {
    this.active.enter();
    try {
      const st: RunState = { attempt: 0, startedAt: this.now(), refreshes: 0, verdicts: NO_VERDICTS };
      if (idle) st.idle = idle;
      let target: Target;
      try {
        target = known ?? this.options.target(message);
      } catch (err) {
        return this.unreadable(message, st, err);
      }
      if (signal === undefined && (this.circuit === undefined || this.circuit.size === 0) && this.admitNow(target, undefined)) {
        return this.firstAttempt(message, st, target);
      }
      return this.continueRun(message, st, signal, this.step(message, st, signal, 'wait', target));
    } catch (err) {
      this.active.leave();
      return Promise.reject(err);
    }
  }

  /**
   * A message the caller's own `target` option throws on: it ends `rejected` (like a bad payload), without a
   * request, instead of rejecting a whole `sendMany` after other messages were sent. Leaves `active`.
   */
  private unreadable(message: M, st: RunState, err: unknown): Promise<Outcome<M>> {
    const target: Target = { project: '(options.target threw)' };
    const reason = `options.target threw: ${redactError(err).message}`;
    const step = this.local(st, target, localVerdict(this.options.provider, 'PUSHBACK_BAD_MESSAGE', 'fix-request', reason, null), { kind: 'stop', outcome: 'rejected', reason });
    tellIdle(st);
    return settled(() => this.finish(message, step, st, this.now()))
      .then((o) => this.handOut(o, target))
      .finally(() => this.active.leave());
  }

  /** The fast first attempt: admitted synchronously, the slot held. */
  private firstAttempt(message: M, st: RunState, target: Target): Promise<Outcome<M>> {
    const generation = this.refresher.generation;
    let r: unknown;
    let thenable: boolean;
    try {
      r = this.sendFn(message, FIRST_ATTEMPT);
      thenable = isThenable(r); // inside the try: a `then` getter may throw too
    } catch (e) {
      return settled(() => this.afterFirst(message, st, target, generation, undefined, e, true));
    }
    if (!thenable) return settled(() => this.afterFirst(message, st, target, generation, r, undefined, false));
    return Promise.resolve(r).then(
      (v) => this.afterFirst(message, st, target, generation, v, undefined, false),
      (e: unknown) => this.afterFirst(message, st, target, generation, undefined, e, true),
    );
  }

  /** The first attempt's answer: the outcome at once when it stops there, else the retries (`continueRun`). */
  private afterFirst(message: M, st: RunState, target: Target, generation: number, value: unknown, error: unknown, failed: boolean): Outcome<M> | Promise<Outcome<M>> {
    let handedOver = false;
    try {
      this.limits.concurrency.release();
      const step = this.settle(message, st, target, generation, null, 'wait', value, error, failed, undefined, false);
      if (isThenable(step) || step.decision.kind === 'retry') {
        handedOver = true;
        return this.continueRun(message, st, undefined, step);
      }
      tellIdle(st);
      const finished = this.finish(message, step, st, this.now());
      if (isThenable(finished)) {
        handedOver = true;
        return this.outcomeLater(finished, target);
      }
      return this.handOut(finished, target);
    } finally {
      if (!handedOver) this.active.leave();
    }
  }

  /** The outcome as the caller gets it: thrown as a `SendError` when `rejectOn` names it. */
  private handOut(outcome: Outcome<M>, target: Target): Outcome<M> {
    if (this.options.rejectOn?.includes(outcome.outcome)) throw new SendError(outcome, target);
    return outcome;
  }

  /** The outcome from an asynchronous valve store. */
  private async outcomeLater(finished: Promise<Outcome<M>>, target: Target): Promise<Outcome<M>> {
    try {
      return this.handOut(await finished, target);
    } finally {
      this.active.leave();
    }
  }

  /** From the first attempt's step (or its promise) to the outcome: the retries, then `finish`. Leaves `active`. */
  private async continueRun(message: M, st: RunState, signal: AbortSignal | undefined, first: Step | Promise<Step>): Promise<Outcome<M>> {
    try {
      // From the first retry on, p-retry drives the attempts.
      let step = await first;
      tellIdle(st);
      if (step.decision.kind === 'retry') {
        await this.timers.sleep(step.decision.delayMs, signal);
        step = await pRetry(
          async () => {
            const s = await this.step(message, st, signal, 'wait');
            if (s.decision.kind === 'retry') throw new RetryLater(s.decision.delayMs);
            return s;
          },
          {
            // Every option is given, in one shape: p-retry fills missing ones with `??=` on a spread copy,
            // which measured ~15 µs per call here, against ~0.5 µs with all present. Its own delays are 0:
            // the delay depends on each verdict (Retry-After, provider minimum, deadline), so the engine
            // waits itself, outside any concurrency slot.
            retries: Number.POSITIVE_INFINITY, // `decide` owns maxAttempts, deadlines and maxElapsedMs
            minTimeout: 0,
            maxTimeout: 0,
            factor: 1,
            maxRetryTime: Number.POSITIVE_INFINITY,
            randomize: false,
            signal,
            shouldRetry: always,
            shouldConsumeRetry: always,
            onFailedAttempt: async ({ error }) => {
              if (!(error instanceof RetryLater)) throw error;
              await this.timers.sleep(error.delayMs, signal);
            },
          },
        ).catch((err: unknown) => {
          // p-retry turns a non-Error (an abort reason like 'shutdown') into its own TypeError.
          if (signal?.aborted) throw signal.reason;
          throw err;
        });
      }
      const finished = this.finish(message, step, st, this.now());
      return this.handOut(isThenable(finished) ? await finished : finished, step.target);
    } finally {
      this.active.leave();
    }
  }

  /**
   * One attempt: circuit, cool-down and device waits, admission, the request (holding a concurrency slot
   * only while it is on the wire), classification, side effects and the decision. In `defer` mode waits
   * are returned as retry decisions instead (for queue workers).
   */
  private async step(message: M, st: RunState, signal: AbortSignal | undefined, mode: Mode, known?: Target): Promise<Step> {
    const target = known ?? this.options.target(message);
    const credKey = target.credential ?? target.project;
    // The deadline and the collapse key only matter for a wait or a retry: read when needed.
    let deadline: number | undefined | null = null;

    let probe = false;
    if (this.circuit && this.circuit.size !== 0) {
      const c = this.circuit.check(credKey, this.now());
      if (c.kind === 'open') return this.circuitOpen(st, target, c.verdict);
      probe = c.kind === 'probe';
    }

    let verdict: Verdict | undefined;
    try {
      if (!this.admitNow(target, signal)) {
        deadline = this.deadlineOf(message, st);
        for (;;) {
          const waited = await this.beforeSend(target, st, deadline, signal, mode);
          if (waited) return waited;
          // beforeSend checked the cool-downs before its last await: one that began since (another
          // message's 429 handled while this one resumed) sends it back to wait, outside its slot.
          const now = this.now();
          if (this.cooldowns.size === 0 || this.coolingUntil(target, now) <= now) break;
          this.limits.concurrency.release();
        }
        // The slot is held and the request leaves next: a fatal verdict that arrived while this message
        // queued stops it here (sendMany to a revoked key sends about `concurrency` requests, not all).
        if (this.circuit && !probe && this.circuit.isOpen(credKey)) {
          const c = this.circuit.check(credKey, this.now());
          if (c.kind === 'open') {
            this.limits.concurrency.release();
            return this.circuitOpen(st, target, c.verdict);
          }
          probe = c.kind === 'probe';
        }
      }
      if (st.attempt > 0) {
        // A retry that waited for its slot, admission or a late timer past the deadline is not made
        // (its permits are forfeited: the limits only get stricter).
        if (deadline === null) deadline = this.deadlineOf(message, st);
        const now = this.now();
        if (deadline !== undefined && now > deadline) {
          this.limits.concurrency.release();
          const p = this.options.provider;
          return this.local(st, target, localVerdict(p, 'PUSHBACK_EXPIRED', 'retry', "the message's deadline passed while the retry waited to leave", 0), {
            kind: 'stop',
            outcome: 'expired',
            reason: `the deadline passed ${now - deadline} ms before the retry could leave`,
          });
        }
        if (now - st.startedAt > this.retry.maxElapsedMs) {
          this.limits.concurrency.release();
          const p = this.options.provider;
          return this.local(st, target, localVerdict(p, 'PUSHBACK_MAX_ELAPSED', 'retry', 'maxElapsedMs passed while the retry waited to leave', 0), {
            kind: 'stop',
            outcome: 'gave-up',
            reason: `maxElapsedMs (${this.retry.maxElapsedMs}) passed ${now - st.startedAt - this.retry.maxElapsedMs} ms before the retry could leave`,
          });
        }
      }
      const attemptNo = st.attempt + 1;
      const generation = this.refresher.generation;
      let value: unknown;
      let error: unknown;
      let failed = false;
      try {
        const r = this.sendFn(message, { attempt: attemptNo, signal: signal ?? NEVER });
        value = isThenable(r) ? await raceAbort(Promise.resolve(r), signal) : r;
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        failed = true;
        error = e;
      } finally {
        this.limits.concurrency.release();
      }
      const after = this.settle(message, st, target, generation, deadline, mode, value, error, failed, signal, probe);
      const result = isThenable(after) ? await after : after;
      verdict = result.verdict;
      return result;
    } finally {
      if (probe && verdict === undefined) this.circuit?.abandonProbe(credKey);
    }
  }

  /**
   * After the request: the verdict, the circuit, a cool-down, a credential refresh, the decision, the
   * attempt event. Synchronous unless the credential is refreshed (the common case pays for no promise).
   * The concurrency slot is already released.
   */
  private settle(
    message: M,
    st: RunState,
    target: Target,
    generation: number,
    deadline: number | undefined | null,
    mode: Mode,
    value: unknown,
    error: unknown,
    failed: boolean,
    signal: AbortSignal | undefined,
    probe: boolean,
  ): Step | Promise<Step> {
    const attemptNo = st.attempt + 1;
    st.attempt = attemptNo;
    const verdict = this.verdictOf(value, error, failed);
    const now = this.now();
    if (this.circuit !== undefined && this.circuit.record(target.credential ?? target.project, verdict, now, probe)) {
      this.emit({ type: 'circuit-open', key: target.credential ?? target.project, code: verdict.code, at: now });
    }
    if (verdict.action !== 'ok') this.coolDown(target, verdict, attemptNo, now);
    if (verdict.refreshCredential === true && (st.refreshes ?? 0) < 1) {
      return this.refreshBounded(generation, signal).then(
        () => this.conclude(message, st, target, deadline, mode, verdict, undefined, true),
        (err: unknown) => {
          if (signal?.aborted) throw signal.reason;
          this.emit({ type: 'error', error: toError(err, 'refreshCredential failed'), at: this.now() });
          return this.conclude(message, st, target, deadline, mode, verdict, err ?? new Error('refreshCredential failed'), true);
        },
      );
    }
    return this.conclude(message, st, target, deadline, mode, verdict, undefined, false);
  }

  /**
   * The credential refresh, bounded: it rejects when the caller's signal aborts, and after
   * REFRESH_TIMEOUT_MS (a refresh that never settles must not hold the message, or `close()`, forever).
   */
  private refreshBounded(generation: number, signal: AbortSignal | undefined): Promise<void> {
    // An engine-tracked sleep, stopped whichever way the race ends (an abort too): no timer outlives it.
    const stop = new AbortController();
    const timeout = this.timers.sleep(REFRESH_TIMEOUT_MS, stop.signal).then(() => {
      throw new Error(`pushback: refreshCredential did not settle within ${REFRESH_TIMEOUT_MS} ms`);
    });
    timeout.catch(() => undefined);
    return raceAbort(Promise.race([this.refresher.refreshFrom(generation), timeout]), signal).finally(() => stop.abort());
  }

  /** The decision for an attempt's verdict, recorded on the message's state. */
  private conclude(
    message: M,
    st: RunState,
    target: Target,
    deadline: number | undefined | null,
    mode: Mode,
    verdict: Verdict,
    refreshFailed: unknown,
    refreshed: boolean,
  ): Step {
    const attemptNo = st.attempt;
    const decision: Decision =
      refreshFailed !== undefined
        ? { kind: 'stop', outcome: 'fatal', reason: `${verdict.code}: refreshCredential() failed` }
        : verdict.action !== 'retry' && verdict.refreshCredential !== true
          ? stopDecision(verdict) // what `decide` answers at once, without its context
          : decide(verdict, {
              attempt: attemptNo,
              now: this.now(),
              startedAt: st.startedAt,
              deadline: deadline === null ? this.deadlineOf(message, st) : deadline,
              collapsible: (this.options.collapsible ?? defaultCollapsible)(message),
              previousDelayMs: st.previousDelayMs,
              options: this.retry,
              random: this.random,
              refreshes: st.refreshes ?? 0,
            });
    if (refreshed) st.refreshes = (st.refreshes ?? 0) + 1;
    if (decision.kind === 'retry') st.previousDelayMs = decision.delayMs;
    else if (decision.outcome === 'fatal' && verdict.action !== 'fatal' && this.circuit !== undefined) {
      // Fatal by way of the credential refresh (it failed, or the credential still fails after it): the
      // credential is as unusable as after a fatal verdict, so its circuit opens too.
      const { refreshCredential: _refresh, tokens: _tokens, ...rest } = verdict;
      const key = target.credential ?? target.project;
      const at = this.now();
      if (this.circuit.trip(key, { ...rest, action: 'fatal' }, at)) this.emit({ type: 'circuit-open', key, code: verdict.code, at });
    }
    addVerdict(st, verdict);
    if (this.options.onEvent) this.emit({ type: 'attempt', attempt: attemptNo, target: redactTarget(target), verdict: redactVerdict(verdict), decision, at: this.now() });
    return { verdict, decision, target, sent: true, state: mode === 'defer' ? stateOf(st) : undefined };
  }

  /**
   * Waits (or, in `defer` mode, returns a retry decision) until the target is out of its cool-down and
   * under its device limit, is admitted by the project/topic limiters, and holds a concurrency slot.
   * Returns a Step when the message stops (or defers) before any request; `undefined` with the slot held.
   *
   * Order matters for the limits: no limit may count a message long before it is sent. So the concurrency
   * slot comes first, then project/topic admission (its leased permits expire after `Admission.staleMs`),
   * then the cool-down re-check, then the device reservation, and the request leaves. A device at its limit is only peeked at before the slot, so it waits outside the
   * slot without spending project permits. Trade-off: while a project waits for its rate window, the
   * messages waiting for admission hold their slots (a sender shared by many projects can see one hot
   * project delay the others by up to one sub-window; give such projects their own senders).
   */
  private async beforeSend(
    target: Target,
    st: RunState,
    deadline: number | undefined,
    signal: AbortSignal | undefined,
    mode: Mode,
  ): Promise<Step | undefined> {
    const l = this.limits;
    const token = l.deviceWindows.length > 0 ? target.token : undefined;
    for (;;) {
      let now = this.now();
      if (signal?.aborted) throw signal.reason;
      let waitMs = this.coolingUntil(target, now) - now;
      let why = COOLING;
      if (waitMs <= 0 && token !== undefined && l.deviceStore.wait) {
        const w = l.deviceStore.wait(token, l.deviceWindows, now);
        waitMs = typeof w === 'number' ? w : await w;
        why = AT_DEVICE_LIMIT;
      }
      if (waitMs <= 0) {
        const slot = l.concurrency.acquire(signal);
        if (slot) await slot;
        try {
          // Admission with the slot held, so a permit is spent right after it is granted (a permit taken
          // before a long wait for a slot would leave late, together with later permits).
          if (target.topic !== undefined) {
            const t = l.topic.admit(target.topic, signal);
            if (t) await t;
          }
          const p = l.project.admit(target.project, signal);
          if (p) await p;
          now = this.now();
          if (this.coolingUntil(target, now) > now) {
            // A cool-down began while this message queued: give the slot back, wait outside it.
            l.concurrency.release();
            continue;
          }
          if (token !== undefined) {
            const r = l.deviceStore.reserve(token, l.deviceWindows, now);
            waitMs = typeof r === 'number' ? r : await r;
            why = AT_DEVICE_LIMIT;
            if (typeof r !== 'number' && waitMs <= 0 && this.coolingUntil(target, this.now()) > this.now()) {
              // A cool-down arrived during the store's round trip (e.g. from another worker through Redis):
              // the reserved permit is forfeited (the device limit only gets stricter) and nothing leaves.
              l.concurrency.release();
              continue;
            }
          }
        } catch (err) {
          l.concurrency.release();
          throw err;
        }
        if (waitMs <= 0) return undefined;
        l.concurrency.release(); // another message took the device's last permit: wait outside the slot
      }
      const stop = this.waitStop(waitMs, now, st, deadline, why);
      if (stop) return this.local(st, target, stop.verdict, stop.decision);
      if (mode === 'defer') {
        const verdict = localVerdict(this.options.provider, 'PUSHBACK_WAIT', 'retry', why, waitMs);
        return { verdict, decision: { kind: 'retry', delayMs: waitMs, reason: why }, target, sent: false, state: stateOf(st) };
      }
      tellIdle(st);
      await this.timers.sleep(waitMs, signal);
    }
  }

  /**
   * The common case without a single await: no cool-down, a free slot, leased permits and a synchronous
   * device store under its limit. Takes all of them or none (a permit taken from a lease is given back,
   * synchronously, when a later check fails); with none taken `beforeSend` does the full job.
   */
  private admitNow(target: Target, signal: AbortSignal | undefined): boolean {
    const l = this.limits;
    if (this.cooldowns.size !== 0 || (signal !== undefined && signal.aborted) || !l.concurrency.available) return false;
    const project = target.project;
    const topic = target.topic;
    if (!l.project.takeNow(project)) return false;
    if (topic !== undefined && !l.topic.takeNow(topic)) {
      l.project.giveBack(project);
      return false;
    }
    if (target.token !== undefined && l.deviceWindows.length > 0) {
      // Reserved last: the permits above are certain, and a wait at the device counts nothing.
      if (!this.syncDeviceStore || (l.deviceStore as MemoryDeviceCounterStore).reserve(target.token, l.deviceWindows, this.now()) !== 0) {
        if (topic !== undefined) l.topic.giveBack(topic);
        l.project.giveBack(project);
        return false;
      }
    }
    l.concurrency.acquire();
    return true;
  }

  /** The message's deadline (ms since epoch), if it has one. */
  private deadlineOf(message: M, st: RunState): number | undefined {
    try {
      return (this.options.deadline ?? defaultDeadline)(message, st.startedAt);
    } catch (err) {
      // Read while a slot may be held: a throwing `deadline` option must not leak it. No deadline, said once per call.
      this.emit({ type: 'error', error: toError(err, 'options.deadline threw (read as no deadline)'), at: this.now() });
      return undefined;
    }
  }

  /** When the latest cool-down of the target's project, topic or device ends (0: none). */
  private coolingUntil(target: Target, now: number): number {
    return this.cooldowns.size === 0 ? 0 : this.cooldowns.latest(coolKeys(target), now);
  }

  /** Whether waiting `waitMs` before the next request ends the message instead (deadline, long wait). */
  private waitStop(waitMs: number, now: number, st: RunState, deadline: number | undefined, why: string): { verdict: Verdict; decision: Decision } | undefined {
    const p = this.options.provider;
    if (deadline !== undefined && now + waitMs > deadline) {
      return {
        verdict: localVerdict(p, 'PUSHBACK_EXPIRED', 'retry', `${why}; the message's deadline passes first`, waitMs),
        decision: { kind: 'stop', outcome: 'expired', reason: `${why}; the wait (${waitMs} ms) ends after the deadline` },
      };
    }
    if (waitMs > this.retry.maxRetryAfterMs) {
      return {
        verdict: localVerdict(p, 'PUSHBACK_WAIT', 'retry', why, waitMs),
        decision: { kind: 'stop', outcome: 'gave-up', retryAfterMs: waitMs, reason: `${why}; the wait (${waitMs} ms) exceeds maxRetryAfterMs` },
      };
    }
    if (now + waitMs - st.startedAt > this.retry.maxElapsedMs) {
      return {
        verdict: localVerdict(p, 'PUSHBACK_WAIT', 'retry', why, waitMs),
        decision: { kind: 'stop', outcome: 'gave-up', reason: `${why}; the wait exceeds maxElapsedMs` },
      };
    }
    return undefined;
  }

  /** The fatal circuit of the credential is open: the message stops without a request. */
  private circuitOpen(st: RunState, target: Target, open: Verdict): Step {
    const { tokens: _omit, messageId: _id, ...rest } = open;
    const verdict: Verdict = { ...rest, reason: `circuit open for this credential (no request sent): ${open.reason}` };
    const decision: Decision = { kind: 'stop', outcome: 'fatal', reason: `circuit open: ${open.code}` };
    return this.local(st, target, verdict, decision);
  }

  /** A verdict decided without a request (open circuit, a wait past the deadline): counted as an attempt. */
  private local(st: RunState, target: Target, verdict: Verdict, decision: Decision): Step {
    st.attempt += 1;
    addVerdict(st, verdict);
    if (this.options.onEvent) this.emit({ type: 'attempt', attempt: st.attempt, target: redactTarget(target), verdict: redactVerdict(verdict), decision, at: this.now() });
    return { verdict, decision, target, sent: false, state: stateOf(st) };
  }

  private verdictOf(value: unknown, error: unknown, failed: boolean): Verdict {
    const provider = this.options.provider;
    try {
      if (!failed && !this.options.toClassifyInput && !isClassifiable(value)) {
        const messageId = messageIdOf(value);
        const v: Verdict = { provider, code: 'OK', action: 'ok', retryAfterMs: null, known: true, reason: 'delivered' };
        if (messageId !== undefined) v.messageId = messageId;
        return v;
      }
      const custom = this.options.toClassifyInput;
      const input = custom ? custom(failed ? { error } : { value }) : failed ? defaultToClassifyInput(provider, { error }) : valueToClassifyInput(provider, value);
      return this.classifier(input);
    } catch (err) {
      this.emit({ type: 'error', error: toError(err, 'the classifier threw'), at: this.now() });
      return localVerdict(provider, 'PUSHBACK_CLASSIFY_ERROR', 'fix-request', `the classifier threw: ${redactText(String((err as Error)?.message ?? err))}`, null);
    }
  }

  /** A rate-limit verdict cools its target down: the project, the topic, or the device. */
  private coolDown(target: Target, verdict: Verdict, attemptNo: number, now: number): void {
    const scope = this.options.coolDownScope ? this.options.coolDownScope(verdict, target) : rateLimitScope(verdict);
    if (!scope) return;
    const floor = retryFloorMs(verdict, this.retry);
    const ms = floor > 0 ? floor : Math.round(backoffCeiling(attemptNo, this.retry));
    if (ms <= 0) return;
    let key = `p:${target.project}`;
    let shown = `project:${target.project}`;
    if (scope === 'device' && target.token !== undefined) {
      key = `d:${target.token}`;
      shown = `device:${redactToken(target.token)}`;
    } else if (scope === 'topic' && target.topic !== undefined) {
      key = `t:${target.topic}`;
      shown = `topic:${target.topic}`;
    }
    if (this.cooldowns.set(key, now + ms)) this.emit({ type: 'cool-down', key: shown, untilMs: now + ms, at: now });
  }

  /** The terminal outcome: events, hooks, pruning and the valve. */
  /** Synchronous unless the valve store is asynchronous. */
  private finish(message: M, step: Step, st: RunState, at: number): Outcome<M> | Promise<Outcome<M>> {
    const decision = step.decision as Extract<Decision, { kind: 'stop' }>;
    const v = step.verdict;
    const outcome: Outcome<M> = {
      outcome: decision.outcome,
      message,
      attempts: st.attempt,
      verdicts: st.verdicts,
      elapsedMs: at - st.startedAt,
    };
    if (v.messageId !== undefined) outcome.messageId = v.messageId;
    if (v.maybeDelivered) outcome.maybeDelivered = true;
    if (decision.retryAfterMs !== undefined) outcome.retryAfterMs = decision.retryAfterMs;
    if (this.options.onEvent) {
      this.emit({ type: 'outcome', outcome: outcome.outcome, attempts: outcome.attempts, target: redactTarget(step.target), code: v.code, at });
    }
    if (outcome.outcome === 'rejected' && this.options.onFixRequest) this.hook(this.options.onFixRequest, outcome, step.target.token);
    if (outcome.outcome === 'fatal' && this.options.onFatal) this.hook(this.options.onFatal, outcome, step.target.token);
    const pruning = step.sent ? this.prune(step.target, v, outcome, at) : undefined;
    return pruning ? pruning.then(() => outcome) : outcome;
  }

  /** Records the send with the valve and queues condemned tokens; a promise only with an asynchronous store. */
  private prune(target: Target, v: Verdict, outcome: Outcome<M>, at: number): Promise<void> | undefined {
    let reports: readonly PruneReport[];
    if (v.tokens) {
      const list: PruneReport[] = [];
      for (const token of Object.keys(v.tokens)) {
        const tv = v.tokens[token]!;
        const dropped = tv.action === 'drop-token';
        list.push(dropped ? { dropped, event: this.dropEvent(token, tv.code, v, at) } : NOT_DROPPED);
      }
      reports = list;
    } else if (outcome.outcome === 'dropped-token' && target.token !== undefined) {
      reports = [{ dropped: true, event: this.dropEvent(target.token, v.code, v, at) }];
    } else reports = outcome.outcome === 'dropped-token' ? DROPPED_ONE : NOT_DROPPED_ONE;
    try {
      const r = this.pruner.report(this.valveKeyOf(target), reports, at);
      return r ? r.catch(this.valveFailed) : undefined;
    } catch (err) {
      this.valveFailed(err);
      return undefined;
    }
  }

  private readonly valveFailed = (err: unknown): void => this.emit({ type: 'error', error: toError(err, 'the valve store failed'), at: this.now() });

  private valveKeyOf(target: Target): string {
    const cred = target.credential ?? target.project;
    if (cred !== this.valveCred) {
      this.valveKey = `${this.options.provider}:${cred}`;
      this.valveCred = cred;
    }
    return this.valveKey;
  }

  private dropEvent(token: string, code: string, v: Verdict, at: number): DropTokenEvent {
    const e: DropTokenEvent = { token, provider: this.options.provider, code, verdict: v, at };
    if (v.tokenInvalidSince !== undefined) e.invalidSince = v.tokenInvalidSince;
    return e;
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private emit(event: EngineEvent): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent(event);
    } catch {
      // A throwing event listener must not change any outcome.
    }
  }

  /**
   * Calls a notification hook (`onFixRequest`, `onFatal`, `onPruneSuspended`) on a later turn, without
   * awaiting it: what it throws is reported as an `error` event (redacted, with `token` as a known secret).
   * A hook that returns a promise not settled after `prune.hookTimeoutMs` is reported and no longer waited
   * for, so `close()` ends (a timer only for hooks that return a promise: most return nothing).
   */
  private hook<T>(fn: (arg: T) => unknown, arg: T, token?: string): void {
    const p = Promise.resolve()
      .then(() => {
        const r = fn(arg);
        return isThenable(r) ? this.bounded(Promise.resolve(r), this.pruner.hookTimeoutMs, 'a hook') : undefined;
      })
      .catch((err: unknown) => this.emit({ type: 'error', error: toError(err, 'a hook failed', token === undefined ? [] : [token]), at: this.now() }));
    this.track(this.hookTasks, p);
  }

  /** `p`, or a rejection once `ms` have passed (no timer for a limit of 2^31 ms or more: no limit). */
  private bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    if (!(ms < 2 ** 31)) return p;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (no longer waited for)`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private track(tracker: Tracker, p: Promise<unknown>): void {
    tracker.add(p);
  }
}

/** Counts running promises; `idle()` resolves when none is left. */
class Tracker {
  private count = 0;
  private waiters: Array<() => void> = [];
  private readonly done = () => {
    if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
  };

  add(p: Promise<unknown>): void {
    this.count++;
    p.then(this.done, this.done);
  }

  /** Counts a task that calls `leave()` exactly once when it ends (no promise reaction needed). */
  enter(): void {
    this.count++;
  }

  leave(): void {
    this.done();
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

const COOLING = 'the target is cooling down after a rate-limit response';
const AT_DEVICE_LIMIT = 'the device is at its rate limit';

/** Tells `sendMany`'s window, once, that the message no longer holds its place (it waits, or was answered). */
function tellIdle(st: RunState): void {
  const idle = st.idle;
  if (idle === undefined) return;
  st.idle = undefined;
  idle();
}

/** `f`, called the first time only. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** Once `run` settles: the message's place is freed (if it was not already), then its outcome recorded. */
function whenSettled<M>(run: Promise<Outcome<M>>, i: number, free: () => void, record: (i: number, o: Outcome<M>) => void, fail: (i: number, e: unknown) => void): void {
  run.then(
    (o) => {
      free();
      record(i, o);
    },
    (e: unknown) => {
      free();
      fail(i, e);
    },
  );
}

/** A run's verdicts before its first: shared, replaced (never pushed to) by `addVerdict`. */
const NO_VERDICTS: Verdict[] = Object.freeze([]) as unknown as Verdict[];

/** Most messages end with one verdict: a one-element array, not the 17-slot store of a first `push`. */
function addVerdict(st: RunState, verdict: Verdict): void {
  if (st.verdicts.length === 0) st.verdicts = [verdict];
  else st.verdicts.push(verdict);
}

function always(): boolean {
  return true;
}

function stateOf(st: RunState): AttemptState {
  const s: AttemptState = { attempt: st.attempt, startedAt: st.startedAt };
  if (st.previousDelayMs !== undefined) s.previousDelayMs = st.previousDelayMs;
  if (st.refreshes !== undefined) s.refreshes = st.refreshes;
  return s;
}

function coolKeys(t: Target): string[] {
  const keys = [`p:${t.project}`];
  if (t.topic !== undefined) keys.push(`t:${t.topic}`);
  if (t.token !== undefined) keys.push(`d:${t.token}`);
  return keys;
}

function localVerdict(provider: Verdict['provider'], code: string, action: Verdict['action'], reason: string, retryAfterMs: number | null): Verdict {
  return { provider, code, action, retryAfterMs, known: false, reason };
}

/** What `fn` returns as a promise, or its throw as a rejection. */
function settled<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** The error an `error` event carries: a redacted copy (user code may quote tokens in what it throws). */
function toError(err: unknown, context: string, knownSecrets?: readonly string[]): Error {
  return redactError(err, context, knownSecrets);
}
