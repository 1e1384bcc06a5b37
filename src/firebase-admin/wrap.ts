import type { App, FirebaseError } from 'firebase-admin/app';
import type { BatchResponse, Message, Messaging, MessagingTopicManagementResponse, MulticastMessage, SendResponse } from 'firebase-admin/messaging';
import { classify } from '../classify/index.js';
import { createSender } from '../engine/sender.js';
import { defaultCollapsible, defaultDeadline } from '../engine/message-fields.js';
import type { BatchAnswer, EngineEvent, Sender, SenderOptions } from '../engine/types.js';
import type { Outcome, SendContext, Target } from '../types.js';
import { expandMulticast, FCM_MAX_BATCH_SIZE, toBatchResponse, TOPIC_MAX_BATCH_SIZE } from './batch.js';
import { createCoalescer } from './coalesce.js';
import { errorForOutcome, PushbackMessagingError } from './errors.js';
import { polyfillHttpResponse } from './http-response.js';
import { applyInnerRetry, type InnerRetryPlan, type SdkRetryMode } from './inner-retry.js';
import { refineRefusedStreams } from './refused.js';
import { inspectSdk, type SdkInfo } from './sdk.js';
import { sendEachSafe } from './send-each.js';

/** The methods of firebase-admin's `Messaging` that the wrapper provides, with the same signatures. */
export type MessagingLike = Pick<Messaging, 'send' | 'sendEach' | 'sendEachForMulticast' | 'subscribeToTopic' | 'unsubscribeFromTopic'>;

/** A `BatchResponse` plus the pushback outcome of every message, in input order. */
export interface WrappedBatchResponse extends BatchResponse {
  outcomes: Outcome<Message>[];
}

/** A `MessagingTopicManagementResponse` plus the outcome of every token, in input order. */
export interface WrappedTopicResponse extends MessagingTopicManagementResponse {
  outcomes: Outcome<string>[];
}

export interface WrapMessagingOptions
  extends Pick<SenderOptions<Message>, 'limits' | 'prune' | 'circuit' | 'onDropToken' | 'onPruneSuspended' | 'onEvent' | 'classify' | 'now' | 'random'> {
  /** Retry options of the engine. `maxAttempts` is the budget of requests per message, firebase-admin's
   * own retries included (see `sdkRetries`). */
  retry?: SenderOptions<Message>['retry'];
  /** firebase-admin's own retries (503/ECONNRESET/ETIMEDOUT): `auto` (default) switches them off when
   * the private layout is the tested one, else keeps them and divides the budget; `off` insists (throws
   * on an unknown layout); `keep` never touches them. */
  sdkRetries?: SdkRetryMode;
  /** Give firebase-admin 12/13 errors the `httpResponse` (status, headers, body) that 14 has, so that
   * Retry-After and the error details reach the classifier. Default true (only on the tested layout). */
  polyfillHttpResponse?: boolean;
  /** Project id for limits, cool-downs and the valve; default the app's `projectId`. */
  projectId?: string;
  /** Identity of the credential (not the secret) for the fatal circuit and the valve; default `firebase-admin:<project>`. */
  credentialId?: string;
  /** `sendEach` calls in flight at once (each up to 500 messages). Default 2. */
  maxConcurrentBatches?: number;
  /** Messages per `sendEach` call (at most 500). Default 500. */
  batchSize?: number;
  /** Retries due within this window share one `sendEach` call (one HTTP/2 session), ms. Only ever adds
   * to a delay. Default 25. */
  retryBatchWindowMs?: number;
  /** Called with every message that ended `rejected` (bad payload, bad argument). */
  onFixRequest?: (outcome: Outcome<Message>) => unknown;
  /** Called with every message that ended `fatal` (credential, project, API disabled). */
  onFatal?: (outcome: Outcome<Message>) => unknown;
  /** Override the version detected from the instance (e.g. when firebase-admin is bundled). */
  sdkVersion?: string;
  /** Transport of `sendEach*`: `auto` (default) switches to firebase-admin's legacy HTTP/1.1 transport on
   * 12.3 to 13.2, where an HTTP/2 session failure crashes the process, and leaves HTTP/2 elsewhere;
   * `http1` always switches; `http2` never does. */
  transport?: 'auto' | 'http1' | 'http2';
}

export interface WrappedMessaging extends MessagingLike {
  send(message: Message, dryRun?: boolean): Promise<string>;
  sendEach(messages: Message[], dryRun?: boolean): Promise<WrappedBatchResponse>;
  sendEachForMulticast(message: MulticastMessage, dryRun?: boolean): Promise<WrappedBatchResponse>;
  subscribeToTopic(registrationTokenOrTokens: string | string[], topic: string): Promise<WrappedTopicResponse>;
  unsubscribeFromTopic(registrationTokenOrTokens: string | string[], topic: string): Promise<WrappedTopicResponse>;
  /** The wrapped instance's app. */
  readonly app: App;
  /** The wrapped firebase-admin instance. */
  readonly messaging: Messaging;
  /** What was detected, what was done about the SDK's own retries, and the transport of `sendEach*`. */
  readonly sdk: SdkInfo & { retries: Omit<InnerRetryPlan, 'restore'>; transport: 'http1' | 'http2' };
  /** The engine behind the wrapper (reset the circuit, release the quarantine, flush). */
  readonly sender: Sender<Envelope>;
  /** Same as firebase-admin's (deprecated there): HTTP/1.1 for `sendEach*`. */
  enableLegacyHttpTransport(): void;
  /** Drains in-flight sends, flushes prune batches, puts firebase-admin's own retries back. */
  close(): Promise<void>;
}

type Route = 'send' | 'each' | 'subscribe' | 'unsubscribe';

/** What the engine carries for one message (or one token of a topic call). */
export interface Envelope {
  route: Route;
  message: Message;
  dryRun: boolean;
  /** For topic calls. */
  token?: string;
  topic?: string;
  /** The last error firebase-admin gave for this message. */
  lastError?: unknown;
}

/** A message's answer (on success, firebase-admin's response, whose `messageId` the engine reads) as the
 * per-message send function gives it: the value, or its error thrown. */
function valueOf(a: BatchAnswer): unknown {
  if (!a.ok) throw a.error;
  return a.value;
}

const NO_ERROR = 'firebase-admin reported a failure without an error';

/** The context of a first attempt (what `sendOne` reads of it). */
const FIRST: SendContext = Object.freeze({ attempt: 1, signal: new AbortController().signal });

const answerOk = (value: unknown): BatchAnswer => ({ ok: true, value });
const answerFailed = (error: unknown): BatchAnswer => ({ ok: false, error });

/**
 * Wraps a firebase-admin `Messaging` instance: same methods, same result types, and every message goes
 * through the pushback engine (classification as provider `firebase-admin`, backoff with jitter,
 * Retry-After, per-project limits, cool-downs, token pruning with the safety valve, the fatal circuit).
 */
export function wrapMessaging(messaging: Messaging, options: WrapMessagingOptions = {}): WrappedMessaging {
  // Options first: a bad option must throw before the shared `Messaging` instance is changed.
  const batchSize = Math.min(FCM_MAX_BATCH_SIZE, wholeOption('batchSize', options.batchSize, FCM_MAX_BATCH_SIZE, 1));
  const maxBatches = wholeOption('maxConcurrentBatches', options.maxConcurrentBatches, 2, 1);
  const retryWindowMs = wholeOption('retryBatchWindowMs', options.retryBatchWindowMs, 25, 0);
  const info = inspectSdk(messaging, options.sdkVersion);
  const project = options.projectId ?? messaging.app?.options?.projectId ?? 'firebase';
  const credential = options.credentialId ?? `firebase-admin:${project}`;

  const target = (e: Envelope): Target => {
    // A null or non-object message is firebase-admin's to refuse (per message), not a crash here.
    const m = (e.message !== null && typeof e.message === 'object' ? e.message : {}) as { token?: unknown; topic?: unknown; condition?: unknown };
    const t: Target = { project, credential };
    const token = e.token ?? (typeof m.token === 'string' ? m.token : undefined);
    if (token !== undefined) t.token = token;
    const topic = e.route === 'each' || e.route === 'send' ? (typeof m.topic === 'string' ? m.topic : typeof m.condition === 'string' ? m.condition : undefined) : undefined;
    if (topic !== undefined) t.topic = topic;
    return t;
  };

  const unwrap = <T>(o: Outcome<Envelope>, message: T): Outcome<T> => ({ ...o, message });
  function engineOptionsFor(attempts: number): SenderOptions<Envelope> {
    const engineOptions: SenderOptions<Envelope> = {
      provider: 'firebase-admin',
      target,
      // First attempts of a call go to firebase-admin in calls of up to 500 (1,000 for topic calls), one
      // engine batch per call: no promise per message.
      batch: { maxSize: (e) => sizeOf(e), send: (items) => sendBatch(items) },
      deadline: (e, first) => defaultDeadline(e.message, first),
      collapsible: (e) => defaultCollapsible(e.message),
      retry: { ...options.retry, maxAttempts: attempts },
      limits: options.limits === false ? false : { concurrency: batchSize * maxBatches, ...options.limits },
    };
    if (options.prune) engineOptions.prune = options.prune;
    if (options.circuit !== undefined) engineOptions.circuit = options.circuit;
    if (options.onDropToken) engineOptions.onDropToken = options.onDropToken;
    if (options.onPruneSuspended) engineOptions.onPruneSuspended = options.onPruneSuspended;
    engineOptions.classify = refineRefusedStreams(options.classify ?? classify);
    if (options.now) engineOptions.now = options.now;
    if (options.random) engineOptions.random = options.random;
    const onFix = options.onFixRequest;
    if (onFix) engineOptions.onFixRequest = (o) => onFix(unwrap(o, o.message.message));
    const onFatal = options.onFatal;
    if (onFatal) engineOptions.onFatal = (o) => onFatal(unwrap(o, o.message.message));
    const onEvent = options.onEvent;
    if (onEvent || plan.reason) {
      if (plan.reason) {
        // Told once, through the same channel as everything else.
        queueMicrotask(() =>
          onEvent?.({ type: 'error', error: new Error(`pushback: kept firebase-admin's own retries: ${plan.reason}`), at: Date.now() } as EngineEvent),
        );
      }
      if (onEvent) engineOptions.onEvent = onEvent;
    }
    return engineOptions;
  }

  const budget = options.retry?.maxAttempts ?? 5;
  const plan = applyInnerRetry(info, options.sdkRetries ?? 'auto', budget);
  let removePolyfill = () => {};
  let sender: Sender<Envelope>;
  try {
    if (options.polyfillHttpResponse !== false) removePolyfill = polyfillHttpResponse(info);
    sender = createSender<Envelope>((e, ctx) => sendOne(e, ctx), engineOptionsFor(plan.attempts));
  } catch (err) {
    // Nothing of a wrapper that failed to build stays on the instance.
    removePolyfill();
    plan.restore();
    throw err;
  }
  const transport = options.transport ?? 'auto';
  const legacy = transport === 'http1' || (transport === 'auto' && info.sessionFailureCrashes);
  if (legacy) messaging.enableLegacyHttpTransport();
  let transportNow: 'http1' | 'http2' = legacy || (messaging as unknown as { useLegacyTransport?: boolean }).useLegacyTransport === true ? 'http1' : 'http2';
  let closed = false;

  const coalescer = createCoalescer<Envelope, BatchAnswer>({
    maxSize: (key) => (key.startsWith('each:') ? batchSize : TOPIC_MAX_BATCH_SIZE),
    // `sendEach` calls in flight (each one HTTP/2 session); topic calls are not limited here.
    maxInFlight: { limit: maxBatches, applies: (key) => key.startsWith('each:') },
    run: async (key, items) => {
      const first = items[0]!;
      if (first.route === 'each') {
        const results = await sendEachSafe(messaging, items.map((e) => e.message), first.dryRun);
        const answers = new Array<BatchAnswer>(results.length);
        for (let i = 0; i < results.length; i++) {
          const r = results[i]!;
          if (r.success) answers[i] = { ok: true, value: r };
          else {
            const error = r.error ?? new PushbackMessagingError('messaging/unknown-error', NO_ERROR);
            items[i]!.lastError = error;
            answers[i] = { ok: false, error };
          }
        }
        return answers;
      }
      // A token firebase-admin would refuse fails on its own: the SDK checks every token of a call and
      // throws for the whole call, which would fail the other callers' tokens merged into it.
      const out: BatchAnswer[] = items.map((e) => (isValidToken(e.token) ? { ok: true, value: true } : { ok: false, error: invalidTokenError(first.route) }));
      const sent = items.flatMap((e, i) => (out[i]!.ok ? [i] : []));
      if (sent.length > 0) {
        const call = first.route === 'subscribe' ? messaging.subscribeToTopic : messaging.unsubscribeFromTopic;
        try {
          const res = await call.call(messaging, sent.map((i) => items[i]!.token!), first.topic!);
          for (const { index, error } of res.errors ?? []) if (index >= 0 && index < sent.length) out[sent[index]!] = { ok: false, error: error ?? new PushbackMessagingError('messaging/unknown-error', NO_ERROR) };
        } catch (error) {
          for (const i of sent) out[i] = { ok: false, error };
        }
      }
      items.forEach((e, i) => {
        const a = out[i]!;
        if (!a.ok) e.lastError = a.error;
      });
      return out;
    },
  });

  /** The coalescer's key: one `sendEach` per `dryRun`, one topic call per route and topic. */
  const keyOf = (e: Envelope): string => (e.route === 'each' ? (e.dryRun ? 'each:true' : 'each:false') : e.route === 'send' ? 'send' : `${e.route}:${e.topic}`);

  /** Messages per call for this envelope's route. */
  const sizeOf = (e: Envelope): number => (e.route === 'each' ? batchSize : TOPIC_MAX_BATCH_SIZE);

  /**
   * First attempts, as the engine admitted them: a group of at least half a call goes out as one call (no
   * promise per message); a smaller one joins the open group of its key, so that concurrent callers'
   * small calls (and messages admitted one by one) still share a `sendEach`.
   */
  const sendBatch = (items: Envelope[]): Promise<readonly BatchAnswer[]> => {
    const first = items[0]!;
    const key = keyOf(first);
    if (first.route === 'send' || !items.every((e) => keyOf(e) === key)) {
      // Not one kind (only `sender.sendMany` called directly can mix them): each on its own way.
      return Promise.all(items.map((e) => sendOne(e, FIRST).then(answerOk, answerFailed)));
    }
    return items.length * 2 >= sizeOf(first) ? coalescer.runGroup(key, items) : Promise.all(items.map((e) => coalescer.enqueue(key, e)));
  };

  /** Retries (and messages that waited first): the batch path above takes first attempts. */
  const sendOne = (e: Envelope, ctx: SendContext): Promise<unknown> => {
    if (e.route === 'send') {
      const recorded = (err: unknown) => {
        e.lastError = err;
        throw err;
      };
      try {
        return Promise.resolve(messaging.send(e.message, e.dryRun)).then(undefined, recorded);
      } catch (err) {
        return recorded(err); // a synchronous throw (invalid argument) is recorded too
      }
    }
    return coalescer.enqueue(keyOf(e), e, ctx.attempt > 1 ? retryWindowMs : 0).then(valueOf);
  };

  const invalid = (message: string) => Promise.reject(new PushbackMessagingError('messaging/invalid-argument', message));
  /** Why a call cannot start (closed wrapper, non-boolean `dryRun`), or undefined. */
  const refused = (dryRun: unknown): Promise<never> | undefined =>
    closed
      ? Promise.reject(new PushbackMessagingError('pushback/closed', 'pushback: the wrapped Messaging is closed'))
      : dryRun !== undefined && typeof dryRun !== 'boolean'
        ? invalid('dryRun must be a boolean')
        : undefined;

  async function sendEach(messages: Message[], dryRun?: boolean): Promise<WrappedBatchResponse> {
    const no = refused(dryRun);
    if (no) return no;
    if (!Array.isArray(messages)) return invalid('messages must be an array');
    const envs: Envelope[] = Array.from(messages, (message) => ({ route: 'each' as const, message, dryRun: dryRun === true }));
    const outcomes = envs.length ? ((await sender.sendMany(envs)) as unknown as Outcome<Message>[]) : [];
    const responses = new Array<SendResponse>(outcomes.length);
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      if (o.outcome === 'delivered') {
        // The engine's own object, given the caller's message in place of the envelope: nothing else
        // holds a delivered outcome (hooks only see the others, and they get copies).
        o.message = envs[i]!.message;
        responses[i] = { success: true, messageId: o.messageId ?? '' };
      } else {
        // Each failure's error carries its own message's outcome (with the caller's message, not the envelope).
        const u = unwrap(o as unknown as Outcome<Envelope>, envs[i]!.message);
        outcomes[i] = u;
        responses[i] = { success: false, error: errorForOutcome(envs[i]!.lastError, u) as FirebaseError };
      }
    }
    return { ...toBatchResponse(responses), outcomes };
  }

  async function topicCall(route: 'subscribe' | 'unsubscribe', tokenOrTokens: string | string[], topic: string): Promise<WrappedTopicResponse> {
    const no = refused(undefined);
    if (no) return no;
    const tokens = typeof tokenOrTokens === 'string' ? [tokenOrTokens] : tokenOrTokens;
    if (!Array.isArray(tokens) || tokens.length === 0) {
      return invalid(`Registration token(s) provided to ${route}ToTopic() must be a non-empty string or a non-empty array.`);
    }
    if (typeof topic !== 'string' || topic.length === 0) return invalid(`Topic provided to ${route}ToTopic() must be a non-empty string.`);
    const envs: Envelope[] = tokens.map((token) => ({ route, token, topic, message: { token } as Message, dryRun: false }));
    const outcomes = (await sender.sendMany(envs)).map((o, i) => unwrap(o, tokens[i]!));
    const errors: WrappedTopicResponse['errors'] = [];
    outcomes.forEach((o, index) => {
      if (o.outcome !== 'delivered') errors.push({ index, error: errorForOutcome(envs[index]!.lastError, o) as FirebaseError });
    });
    return { successCount: tokens.length - errors.length, failureCount: errors.length, errors, outcomes };
  }

  const { restore: _restore, ...retries } = plan;
  return {
    app: messaging.app,
    messaging,
    get sdk() {
      return { ...info, retries, transport: transportNow };
    },
    sender,
    async send(message: Message, dryRun?: boolean): Promise<string> {
      const no = refused(dryRun);
      if (no) return no;
      const env: Envelope = { route: 'send', message, dryRun: dryRun === true };
      const outcome = await sender.send(env);
      if (outcome.outcome === 'delivered') return outcome.messageId ?? '';
      throw errorForOutcome(env.lastError, unwrap(outcome, message));
    },
    sendEach,
    sendEachForMulticast(multicast: MulticastMessage, dryRun?: boolean) {
      const no = refused(dryRun);
      if (no) return no;
      if (!multicast || typeof multicast !== 'object' || !Array.isArray(multicast.tokens)) {
        return invalid('MulticastMessage must be a non-null object with a tokens array');
      }
      return sendEach(expandMulticast(multicast), dryRun);
    },
    subscribeToTopic: (tokens, topic) => topicCall('subscribe', tokens, topic),
    unsubscribeFromTopic: (tokens, topic) => topicCall('unsubscribe', tokens, topic),
    enableLegacyHttpTransport() {
      messaging.enableLegacyHttpTransport();
      transportNow = 'http1';
    },
    async close() {
      closed = true;
      coalescer.flushAll();
      await sender.close();
      plan.restore();
      removePolyfill();
    },
  };
}

/** A whole-number option (`min` or more; `fallback` when absent), checked before anything is changed. */
function wholeOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new RangeError(`wrapMessaging: ${name} must be a finite number >= ${min}, got ${String(value)}`);
  return Math.floor(value);
}

/** What firebase-admin accepts as a registration token in a topic call (it refuses the whole call otherwise). */
function isValidToken(token: unknown): boolean {
  return typeof token === 'string' && token.length > 0;
}

function invalidTokenError(route: Route): PushbackMessagingError {
  return new PushbackMessagingError('messaging/invalid-argument', `Registration token provided to ${route}ToTopic() must be a non-empty string.`);
}
