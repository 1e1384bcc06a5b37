/**
 * The send engine's public contract. Implemented in `src/engine/`; used by every adapter
 * (firebase-admin, APNs, FCM, BullMQ) and the demo. Change it only together with its users.
 */
import type { Action, ClassifyInput, Outcome, OutcomeKind, ProviderId, SendContext, Target, Verdict } from '../types.js';

/** A send function: resolves with a raw provider response (`{ status, headers, body }`, classified)
 * or with any other value (delivered; a string or `{ messageId | name | id }` is taken as the message id).
 * It may throw synchronously or reject: the error is classified. */
export type SendFunction<M> = (message: M, ctx: SendContext) => unknown;

/** One message's answer in a batch send: what the send function would have returned, or thrown. */
export type BatchAnswer = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * A provider call that takes many messages at once (firebase-admin's `sendEach`): `sendMany` gives it the
 * first attempts it admits at once, up to `maxSize` per call, instead of one `send` call per message. Every
 * retry, and every message that waits first, goes through the per-message send function.
 */
export interface BatchSend<M> {
  /** Messages per call; read from the first message of the call (messages of one `sendMany` call share it). */
  maxSize: (first: M) => number;
  /** Resolves with one answer per message, in order. A throw, a rejection or a wrong-length answer fails
   * every message of the call with that error. */
  send: (messages: M[]) => PromiseLike<readonly BatchAnswer[]> | readonly BatchAnswer[];
}

export type JitterKind = 'full' | 'decorrelated' | 'none';

export interface RetryOptions {
  /** Attempts including the first. Default: provider default, else 5. */
  maxAttempts: number;
  /** Base delay of the exponential backoff, ms. */
  initialDelayMs: number;
  /** Cap of the exponential backoff, ms (a longer Retry-After is governed by `maxRetryAfterMs`). */
  maxDelayMs: number;
  factor: number;
  jitter: JitterKind;
  /** Never retry sooner than this, ms (FCM: 10000). Default: provider default, else 0. */
  minDelayMs: number;
  /** A server-requested delay above this ends the message as `gave-up` with `retryAfterMs` set, so a
   * queue can reschedule it. Default 15 minutes. */
  maxRetryAfterMs: number;
  /** Give up when the next attempt would start later than this after the first. Default 1 hour. */
  maxElapsedMs: number;
  /** Retry failures that may already have been delivered: `never`, `collapsible` (only messages with a
   * collapse key / apns-collapse-id; default), `always`. */
  retryMaybeDelivered: 'never' | 'collapsible' | 'always';
  /** A retryable HTTP 429 with no Retry-After and no catalog floor waits at least this, ms (FCM: 60000).
   * Default: provider default (`defaults.retry.defaultRetryAfterMs`), else none. */
  defaultRetryAfterMs?: number;
}

/** The pure decision after one attempt. */
export type Decision =
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'stop'; outcome: OutcomeKind; reason: string; retryAfterMs?: number };

export interface DecideContext {
  /** 1-based number of the attempt that produced the verdict. */
  attempt: number;
  /** ms since epoch, now. */
  now: number;
  /** ms since epoch of the first attempt. */
  startedAt: number;
  /** ms since epoch after which the message is useless, if any. */
  deadline?: number;
  /** Whether the message carries a collapse key. */
  collapsible: boolean;
  /** Previous backoff delay (for decorrelated jitter). */
  previousDelayMs?: number;
  options: RetryOptions;
  /** Uniform [0, 1). */
  random: () => number;
  /** Credential refreshes already made for this message (a `refreshCredential` verdict retries once). */
  refreshes?: number;
}

export interface LimitOptions {
  /** Per-project windows; default from `policies/<provider>.json` `defaults.limits.project`. */
  project?: { count: number; perMs: number }[];
  /** Per-device windows (tracked without a limiter per device). */
  device?: { count: number; perMs: number }[];
  topic?: { count: number; perMs: number }[];
  /** Max concurrent in-flight sends. Default 100. */
  concurrency?: number;
  /**
   * How much the delay between a request leaving the engine and reaching the provider may vary (event
   * loop, TLS, network), ms. Every window is enforced over `perMs + arrivalJitterMs`, so the provider's
   * own count over any `perMs` holds while arrival delays differ by up to this much. Default 100.
   */
  arrivalJitterMs?: number;
  /** Extra bottleneck options merged into every limiter (e.g. `{ datastore: 'ioredis', clientOptions }`). */
  bottleneck?: Record<string, unknown>;
  /** Store for per-device counters; in memory by default, Redis in `pushback/bullmq`. */
  deviceStore?: DeviceCounterStore;
  /** Forget an idle device after this long, ms. */
  idleMs?: number;
}

/** Per-device rate accounting with bounded memory. */
export interface DeviceCounterStore {
  /** Reserve one send to `key` now; returns 0 if allowed, else ms until it would be. */
  reserve(key: string, windows: readonly { count: number; perMs: number }[], now: number): number | Promise<number>;
  /**
   * Optional: ms until `reserve` would admit one send to `key` (0: now), reserving nothing. Lets the
   * engine wait for a hot device before it spends project permits; without it the engine learns the
   * wait from `reserve` (called right before the request leaves).
   */
  wait?(key: string, windows: readonly { count: number; perMs: number }[], now: number): number | Promise<number>;
  /** Number of tracked keys. */
  size(): number | Promise<number>;
  close?(): void | Promise<void>;
}

export interface DropTokenEvent {
  /** The raw device token: hooks are the one place tokens appear unredacted. */
  token: string;
  provider: ProviderId;
  code: string;
  /** The verdict that condemned it (reason is redacted). */
  verdict: Verdict;
  /** APNs 410 timestamp: keep the token if it re-registered after this. */
  invalidSince?: number;
  at: number;
}

export interface PruneOptions {
  /** Flush a batch at this many tokens. Default 100. */
  batchSize?: number;
  /** Flush at least this often, ms. Default 1000. */
  flushMs?: number;
  /** Per-call timeout of the hook, ms. Default 30000. */
  hookTimeoutMs?: number;
  /** Attempts per batch before the tokens are reported through `onError`. Default 5. */
  hookAttempts?: number;
  /** Safety valve: suspend pruning when more than `threshold` of at least `minSends` sends in the
   * last `windowMs` for one provider+credential ended in drop-token. Defaults 0.5, 100, 60000. */
  valve?: { threshold?: number; minSends?: number; windowMs?: number } | false;
  /** Where valve state lives; in memory by default, Redis in `pushback/bullmq`. */
  valveStore?: ValveStore;
}

/** A valve window's counts of finished sends and of those that ended in drop-token. */
export interface ValveCounts {
  sends: number;
  drops: number;
  /**
   * The same for the window's recent part (its last two buckets), when the store keeps buckets: the valve
   * judges it too, so a misconfiguration that starts after healthy traffic trips the valve once it
   * dominates the recent sends, not only once it outnumbers the healthy sends of the whole window.
   */
  recent?: { sends: number; drops: number };
}

export interface ValveStore {
  /** Record one send outcome for `key` (provider+credential); returns the window's counts. */
  record(key: string, dropped: boolean, now: number, windowMs: number): ValveCounts | Promise<ValveCounts>;
  isSuspended(key: string): boolean | Promise<boolean>;
  setSuspended(key: string, suspended: boolean): void | Promise<void>;
}

export interface CircuitOptions {
  /** After a fatal verdict, fail fast for this long before one half-open probe, ms. Default 60000. */
  coolDownMs?: number;
}

/** Every event carries redacted tokens only. */
export type EngineEvent =
  | { type: 'attempt'; attempt: number; target: RedactedTarget; verdict: Verdict; decision: Decision; at: number }
  | { type: 'outcome'; outcome: OutcomeKind; attempts: number; target: RedactedTarget; code: string; at: number }
  | { type: 'cool-down'; key: string; untilMs: number; at: number }
  | { type: 'prune-suspended'; key: string; sends: number; drops: number; quarantined: number; at: number }
  | { type: 'circuit-open'; key: string; code: string; at: number }
  | { type: 'error'; error: Error; at: number };

export interface RedactedTarget {
  project: string;
  token?: string;
  topic?: string;
}

export interface SenderOptions<M> {
  provider: ProviderId;
  /** First attempts of `sendMany` in batch calls (see `BatchSend`). */
  batch?: BatchSend<M>;
  /** Who the message goes to. */
  target: (message: M) => Target;
  /** Deadline (ms since epoch) of a message; default reads `deadline`, FCM `android.ttl`, `apns-expiration`. */
  deadline?: (message: M, firstAttemptAt: number) => number | undefined;
  /** Whether a message carries a collapse key; default reads FCM `android.collapseKey`, `apns-collapse-id`. */
  collapsible?: (message: M) => boolean;
  /** The classifier; default `classify` from `pushback` (override to post-process verdicts). */
  classify?: (input: ClassifyInput) => Verdict;
  /** Turn what the send function produced into a classifier input (default: response-like or error). */
  toClassifyInput?: (result: { value?: unknown; error?: unknown; requestSent?: boolean }) => ClassifyInput;
  retry?: Partial<RetryOptions>;
  /** Which target a rate-limit verdict cools down (`null`: none). Default: per-device codes (APNs
   * TooManyRequests...) the device, topic-quota codes the topic, other 429 / quota codes the project
   * (FCM QUOTA_EXCEEDED does not say which quota; the per-device limiter keeps device quotas from being hit).
   * Called for failure verdicts only: an `ok` verdict never cools anything down. */
  coolDownScope?: (verdict: Verdict, target: Target) => 'project' | 'device' | 'topic' | null;
  limits?: LimitOptions | false;
  prune?: PruneOptions;
  circuit?: CircuitOptions | false;
  /** Reject the promise (with a `SendError` carrying the outcome) for these outcomes. Default none. */
  rejectOn?: OutcomeKind[];
  onDropToken?: (batch: DropTokenEvent[]) => unknown;
  onFixRequest?: (outcome: Outcome<M>) => unknown;
  onFatal?: (outcome: Outcome<M>) => unknown;
  onPruneSuspended?: (info: { key: string; sends: number; drops: number; quarantined: number }) => unknown;
  /** Every attempt, outcome and alert (tokens redacted). */
  onEvent?: (event: EngineEvent) => void;
  /** Refresh the credential (called once per generation on a `refreshCredential` verdict). */
  refreshCredential?: () => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** State carried between attempts by a queue that reschedules itself. */
export interface AttemptState {
  attempt: number;
  startedAt: number;
  previousDelayMs?: number;
  /** Credential refreshes already made for this message. */
  refreshes?: number;
}

export interface StepResult {
  verdict: Verdict;
  decision: Decision;
  /** The state to pass to the next `attempt()` of this message (attempt count, delay, refreshes). */
  state?: AttemptState;
}

export interface Sender<M> {
  /** Sends until a terminal outcome. */
  send(message: M, opts?: { signal?: AbortSignal }): Promise<Outcome<M>>;
  /** Sends many, batching admission through the limiters; outcomes in input order. */
  sendMany(messages: readonly M[], opts?: { signal?: AbortSignal }): Promise<Outcome<M>[]>;
  /** One attempt and its decision, no waiting: for queue workers that reschedule by themselves.
   * Hooks, cool-downs, circuits and the valve are applied as in `send`. */
  attempt(message: M, state: AttemptState, opts?: { signal?: AbortSignal }): Promise<StepResult>;
  /** Close the fatal circuit for a credential (all when omitted). */
  reset(credential?: string): void;
  /** Release quarantined tokens of a suspended valve key to `onDropToken` (or discard them). */
  releaseQuarantine(key?: string, opts?: { discard?: boolean }): Promise<number>;
  /** Flush pending prune batches. */
  flush(): Promise<void>;
  /** Tokens held in quarantine by the safety valve or after a failing hook (raw: persist or inspect them). */
  quarantined?(key?: string): DropTokenEvent[];
  /** Cools a target down from outside (a rate limit another worker saw, shared through Redis by
   * `pushback/bullmq`): nothing is sent to it before `untilMs`; queued messages wait (or defer) as after
   * their own 429. The device when `token` is given, else the topic when given, else the project. */
  coolDownUntil?(target: { project: string; topic?: string; token?: string }, untilMs: number): void;
  /** Drains: in-flight sends finish, hook batches flush, timers are cleared. */
  close(): Promise<void>;
}

/** Action → outcome when the engine stops. */
export const OUTCOME_OF: Readonly<Record<Exclude<Action, 'retry'>, OutcomeKind>> = {
  ok: 'delivered',
  'drop-token': 'dropped-token',
  'fix-request': 'rejected',
  fatal: 'fatal',
};
