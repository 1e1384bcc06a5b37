/**
 * Property-based test of the firebase-admin wrapper (`wrapMessaging`) around a stub `Messaging` (no
 * network): 1 to 4 concurrent callers of `sendEach` / `sendEachForMulticast` (1 to 700 messages, dryRun
 * mixed), a few topic calls, random `maxConcurrentBatches`, `batchSize`, retry options, limits, SDK retry
 * modes, circuits, valves and a `close()` at a random time. The stub answers each message per a script
 * (success, or an error shaped like firebase-admin 13's), may reject a whole call (one shared error, or a
 * 13.3+ session error with `pendingBatchResponse`), throws synchronously for an uncopyable message, and
 * answers after a random latency. Checked: every call settles as documented, `close()` resolves and leaves
 * no timer; responses in input order with the caller's messages; the retry budget; no success or final
 * error retried; no retry before Retry-After; dryRun never mixed; `maxConcurrentBatches` and `batchSize`
 * hold; dead tokens reach `onDropToken` once (or the valve's quarantine); hooks get the caller's message.
 * `PB_RUNS` (default 40, about 4 s) and `PB_SEED` change the runs, `PB_CFG` runs one more input first
 * (`test/helpers/property.ts`); `PB_SHRINK=1` makes a violation fail
 * the property, so fast-check shrinks it to a small input.
 */
import fc from 'fast-check';
import type { Message, Messaging } from 'firebase-admin/messaging';
import { describe, expect, it, vi } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { seededRandom } from '../../src/engine/index.js';
import { wrapMessaging, type WrapMessagingOptions, type WrappedBatchResponse, type WrappedTopicResponse } from '../../src/firebase-admin/index.js';
import type { Outcome, Verdict } from '../../src/types.js';
import { fakeClockFrom, inputFromEnv, propertyRuns, Violations } from '../helpers/property.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const RUNS = propertyRuns(40);
const SHRINK = process.env.PB_SHRINK === '1';
const PROJECT = 'prop-project';

// ---- firebase-admin-shaped errors -----------------------------------------------------------------

/** As firebase-admin's `FirebaseError`: `errorInfo` own, `code` a getter on the prototype, `toJSON()`. */
class FakeFirebaseError extends Error {
  readonly errorInfo: { code: string; message: string };
  constructor(code: string, message: string) {
    super(message);
    this.errorInfo = { code, message };
  }
  get code(): string {
    return this.errorInfo.code;
  }
  toJSON(): object {
    return { code: this.code, message: this.message };
  }
}

type Kind =
  | 'ok'
  | 'dead'
  | 'badToken'
  | 'senderMismatch'
  | 'badPayload'
  | 'invalidPayload'
  | 'unavailable'
  | 'unavailableRA'
  | 'internal'
  | 'internalRA'
  | 'quota'
  | 'quotaCode'
  | 'network'
  | 'unknown'
  | 'permission'
  | 'credential'
  | 'thirdParty';

const FATAL_KINDS: Kind[] = ['permission', 'credential', 'thirdParty'];
/** Error kinds of a message's script, with weights. */
const ERROR_KINDS: [Kind, number][] = [
  ['dead', 3],
  ['badToken', 1],
  ['senderMismatch', 1],
  ['badPayload', 2],
  ['invalidPayload', 1],
  ['unavailable', 3],
  ['unavailableRA', 2],
  ['internal', 2],
  ['internalRA', 1],
  ['quota', 1],
  ['quotaCode', 1],
  ['network', 1],
  ['unknown', 1],
];

function withHttp(e: FakeFirebaseError, status: number, headers: Record<string, string> = {}): FakeFirebaseError {
  (e as unknown as { httpResponse: unknown }).httpResponse = { status, headers, data: undefined };
  return e;
}

function makeError(kind: Kind, withStatus: boolean): FakeFirebaseError {
  const e = (code: string, message: string) => new FakeFirebaseError(code, message);
  switch (kind) {
    case 'dead':
      return withStatus ? withHttp(e('messaging/registration-token-not-registered', 'Requested entity was not found.'), 404) : e('messaging/registration-token-not-registered', 'Requested entity was not found.');
    case 'badToken':
      return e('messaging/invalid-argument', 'The registration token is not a valid FCM registration token');
    case 'senderMismatch':
      return e('messaging/mismatched-credential', 'SenderId mismatch');
    case 'badPayload':
      return e('messaging/invalid-argument', "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format");
    case 'invalidPayload':
      return e('messaging/invalid-payload', 'data must only contain string values');
    case 'unavailable':
      return withStatus ? withHttp(e('messaging/server-unavailable', 'The service is currently unavailable.'), 503) : e('messaging/server-unavailable', 'The service is currently unavailable.');
    case 'unavailableRA':
      return withHttp(e('messaging/server-unavailable', 'The service is currently unavailable.'), 503, { 'retry-after': '1' });
    case 'internal':
      return e('messaging/internal-error', 'Internal error encountered.');
    case 'internalRA':
      return withHttp(e('messaging/internal-error', 'Internal error encountered.'), 500, { 'retry-after': '1' });
    case 'quota':
      return withStatus ? withHttp(e('messaging/message-rate-exceeded', 'Quota exceeded for quota metric'), 429) : e('messaging/message-rate-exceeded', 'Quota exceeded for quota metric');
    case 'quotaCode':
      return e('messaging/quota-exceeded', 'Sending limit exceeded for the message target.');
    case 'network':
      return e('app/network-error', 'Error while making request: socket hang up. Error code: ECONNRESET');
    case 'unknown':
      return e('messaging/unknown-error', 'An unknown server error was returned.');
    case 'permission':
      return e('messaging/mismatched-credential', "Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/prop-project'");
    case 'credential':
      return e('app/invalid-credential', 'Credential implementation provided to initializeApp() via the "credential" property failed to fetch a valid Google OAuth2 access token');
    case 'thirdParty':
      return e('messaging/third-party-auth-error', 'Auth error from APNS or Web Push Service');
    case 'ok':
      throw new Error('not an error');
  }
}

// ---- deterministic scripts --------------------------------------------------------------------------

/** Uniform [0, 1) from (seed, key, n): each message's script without storing it. */
function u01(seed: number, key: string, n: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (n + 0x51ed27), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

function pick<T>(items: [T, number][], u: number): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = u * total;
  for (const [v, w] of items) {
    if (x < w) return v;
    x -= w;
  }
  return items[items.length - 1]![0];
}

// ---- the input -------------------------------------------------------------------------------------

const sizeArb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 2, arbitrary: fc.integer({ min: 21, max: 300 }) }, { weight: 2, arbitrary: fc.integer({ min: 301, max: 700 }) });

const callerArb = fc.record({
  method: fc.constantFrom('each' as const, 'multicast' as const),
  n: sizeArb,
  dryRun: fc.constantFrom(true, false, undefined),
  startAt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
  collapse: fc.boolean(),
  /** Uncopyable messages (`sendEach` only): firebase-admin throws synchronously for the whole call. */
  poison: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
});

const topicArb = fc.record({
  route: fc.constantFrom('subscribe' as const, 'unsubscribe' as const),
  n: fc.integer({ min: 1, max: 30 }),
  topic: fc.constantFrom('news', 'sport'),
  startAt: fc.integer({ min: 0, max: 3000 }),
});

const cfgArb = fc.record({
  callers: fc.array(callerArb, { minLength: 1, maxLength: 4 }),
  topics: fc.array(topicArb, { maxLength: 2 }),
  maxBatches: fc.integer({ min: 1, max: 3 }),
  batchSize: fc.oneof(fc.constant(undefined), fc.integer({ min: 3, max: 10 }), fc.integer({ min: 11, max: 500 })),
  retryWindow: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
  maxAttempts: fc.constantFrom(undefined, 1, 2, 3, 5, 10, 15, 25),
  minDelayMs: fc.integer({ min: 0, max: 50 }),
  initialDelayMs: fc.integer({ min: 1, max: 300 }),
  maxDelayMs: fc.constantFrom(500, 5000),
  jitter: fc.constantFrom('full' as const, 'decorrelated' as const, 'none' as const),
  maybe: fc.constantFrom('never' as const, 'collapsible' as const, 'always' as const),
  defaultRetryAfterMs: fc.option(fc.integer({ min: 100, max: 5000 }), { nil: undefined }),
  maxRetryAfterMs: fc.constantFrom(undefined, 30_000),
  limits: fc.constantFrom('default' as const, 'noProject' as const, 'noProjectSmall' as const, 'off' as const),
  concurrency: fc.integer({ min: 1, max: 12 }),
  sdkRetries: fc.constantFrom('keep' as const, 'auto' as const),
  /** A private layout like the tested one, with the SDK's `maxRetries`; undefined: none. */
  layout: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  valve: fc.boolean(),
  circuit: fc.constantFrom('default' as const, 'off' as const, 'short' as const),
  closeAt: fc.option(fc.integer({ min: 0, max: 8000 }), { nil: undefined }),
  seed: fc.integer(),
  pFail: fc.constantFrom(0, 0.05, 0.3, 0.7),
  fatal: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pCallReject: fc.constantFrom(0, 0, 0.05, 0.2),
  pSession: fc.constantFrom(0, 0.1),
  latencyMax: fc.constantFrom(0, 3, 200, 2500),
  withStatus: fc.boolean(),
});

type Cfg = typeof cfgArb extends fc.Arbitrary<infer T> ? T : never;

// ---- one run ---------------------------------------------------------------------------------------

type Route = 'each' | 'subscribe' | 'unsubscribe';

interface TokenInfo {
  route: Route;
  dryRun: boolean;
  topic?: string;
  poison: boolean;
  collapse: boolean;
}

interface Answer {
  /** When the request left (the stub was called). */
  at: number;
  /** When it was answered (undefined while in flight). */
  answerAt?: number;
  ok: boolean;
  id?: string;
  error?: unknown;
  verdict: Verdict;
  how: string;
}

/** Whether a verdict, under the run's options, may be retried at all. */
function retryable(v: Verdict): boolean {
  return v.action === 'retry' || v.refreshCredential === true;
}

async function runCase(cfg: Cfg): Promise<string[]> {
  const violations: string[] = [];
  const fail = (s: string) => violations.push(s);
  const rnd = seededRandom(cfg.seed); // the stub's per-call choices

  const effBatch = Math.min(500, cfg.batchSize ?? 500);
  const budget = cfg.maxAttempts ?? 5;
  const tested = cfg.layout !== undefined;
  const expectedAttempts = cfg.sdkRetries === 'auto' && tested ? budget : Math.max(1, Math.floor(budget / (1 + (tested ? cfg.layout! : 4))));
  const minDelayMs = cfg.minDelayMs;

  // Timers the test itself sets (start times, stub latencies): not the wrapper's.
  const mine = new Set<ReturnType<typeof setTimeout>>();
  const myTimeout = (f: () => void, ms: number) => {
    const h = setTimeout(() => {
      mine.delete(h);
      f();
    }, ms);
    mine.add(h);
    return h;
  };

  const info = new Map<string, TokenInfo>();
  const log = new Map<string, Answer[]>();
  const inFlightTok = new Set<string>();
  let closeBegan = false;
  let eachInFlight = 0;
  let maxEachInFlight = 0;
  let stubCalls = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);

  const tokenOf = (m: unknown): string | undefined => (m && typeof m === 'object' && typeof (m as { token?: unknown }).token === 'string' ? (m as { token: string }).token : undefined);

  /** The scripted answer to the n-th request of `token` (0-based). */
  const scripted = (token: string, n: number): Kind => {
    const pf = n === 0 ? cfg.pFail : cfg.pFail * 0.6;
    if (u01(cfg.seed, token, n * 2) >= pf) return 'ok';
    const kinds = cfg.fatal ? [...ERROR_KINDS, ...FATAL_KINDS.map((k): [Kind, number] => [k, 0.3])] : ERROR_KINDS;
    return pick(kinds, u01(cfg.seed, token, n * 2 + 1));
  };
  const verdictOf = (error: unknown): Verdict => classify({ provider: 'firebase-admin', error });
  const OK_VERDICT = { action: 'ok', code: 'ok' } as Verdict;

  const record = (token: string, a: Answer) => {
    let l = log.get(token);
    if (!l) log.set(token, (l = []));
    l.push(a);
  };
  const seen = (token: string) => log.get(token)?.length ?? 0;

  /** The answer to one message of a call: recorded now, answered (answerAt) when the call settles. */
  const answerFor = (token: string): { a: Answer; response: { success: true; messageId: string } | { success: false; error: unknown } } => {
    const n = seen(token);
    const kind = scripted(token, n);
    const at = Date.now();
    if (kind === 'ok') {
      const id = `projects/${PROJECT}/messages/${token}/${n}`;
      const a: Answer = { at, ok: true, id, verdict: OK_VERDICT, how: 'ok' };
      record(token, a);
      return { a, response: { success: true, messageId: id } };
    }
    const error = makeError(kind, cfg.withStatus);
    const a: Answer = { at, ok: false, error, verdict: verdictOf(error), how: kind };
    record(token, a);
    return { a, response: { success: false, error } };
  };

  /** The wrapper's Messaging: per-message answers from the scripts, whole-call failures, latency. */
  const settleLater = (answers: Answer[], tokens: string[], settle: () => void, onSettle?: () => void) => {
    const latency = Math.floor(rnd() * (cfg.latencyMax + 1));
    const fire = () => {
      const now = Date.now();
      for (const a of answers) a.answerAt = now;
      for (const t of tokens) inFlightTok.delete(t);
      onSettle?.();
      settle();
    };
    if (latency === 0 && rnd() < 0.5) queueMicrotask(fire);
    else myTimeout(fire, latency);
  };

  const beginRequest = (tokens: string[]) => {
    const dup = new Set<string>();
    for (const t of tokens) {
      if (dup.has(t)) fail('one call carried the same message twice');
      dup.add(t);
      if (inFlightTok.has(t)) fail('a message sent again while its previous request was in flight');
      inFlightTok.add(t);
    }
  };

  const sharedCallError = (): FakeFirebaseError => {
    const kinds: [Kind, number][] = [
      ['network', 2],
      ['unavailableRA', 1],
      ['unavailable', 1],
      ['internal', 1],
    ];
    if (cfg.fatal) kinds.push(['credential', 1]);
    return makeError(pick(kinds, rnd()), cfg.withStatus);
  };

  const sendEach = (messages: Message[], dryRun?: boolean) => {
    stubCalls++;
    const dry = dryRun === true;
    if (!Array.isArray(messages) || messages.length === 0) {
      fail('sendEach called without messages');
      return Promise.resolve({ responses: [], successCount: 0, failureCount: 0 });
    }
    if (messages.length > effBatch) fail(`a sendEach call of ${messages.length} messages > batchSize ${effBatch}`);
    const tokens = messages.map((m) => tokenOf(m) ?? '?');
    for (const t of tokens) {
      const i = info.get(t);
      if (!i || i.route !== 'each') fail('sendEach got a message no sendEach caller sent');
      else if (i.dryRun !== dry) fail(`a message of a dryRun:${i.dryRun} call went out in a sendEach with dryRun ${String(dryRun)}`);
    }
    if (tokens.some((t) => info.get(t)?.poison)) {
      // firebase-admin deep-copies the messages first: an uncopyable one throws for the whole call.
      if (messages.length === 1) {
        const error = new TypeError('Converting circular structure to JSON');
        const now = Date.now();
        record(tokens[0]!, { at: now, answerAt: now, ok: false, error, verdict: verdictOf(error), how: 'sync-throw' });
      }
      throw new TypeError('Converting circular structure to JSON');
    }
    eachInFlight++;
    if (!closeBegan && eachInFlight > cfg.maxBatches) fail(`${eachInFlight} sendEach calls in flight > maxConcurrentBatches ${cfg.maxBatches}`);
    maxEachInFlight = Math.max(maxEachInFlight, eachInFlight);
    beginRequest(tokens);
    const r = rnd();
    const mode = r < cfg.pCallReject ? 'reject' : r < cfg.pCallReject + cfg.pSession ? 'session' : 'normal';
    const done = () => eachInFlight--;
    if (mode === 'reject') {
      // One error for the whole call (an access-token failure, a network error): every message gets it.
      const error = sharedCallError();
      const verdict = verdictOf(error);
      const now = Date.now();
      const answers = tokens.map((t) => {
        const a: Answer = { at: now, ok: false, error, verdict, how: 'call-reject' };
        record(t, a);
        return a;
      });
      return new Promise<never>((_resolve, reject) => settleLater(answers, tokens, () => reject(error), done));
    }
    const parts = tokens.map((t) => answerFor(t));
    if (mode === 'session') {
      // 13.3+: an HTTP/2 session failure rejects, with what was answered in `pendingBatchResponse`.
      const error = Object.assign(new FakeFirebaseError('messaging/app/network-error', 'Session error while making requests: Error: GOAWAY'), {
        pendingBatchResponse: undefined as unknown,
      });
      const half = tokens.length >> 1;
      const verdict = verdictOf(error);
      const responses = parts.map((p, k) => {
        if (k < half) return p.response;
        // The rest never got an answer: no error of their own (the session error stands for it).
        p.a.ok = false;
        p.a.id = undefined;
        p.a.error = error;
        p.a.verdict = verdict;
        p.a.how = 'session';
        return { success: false };
      });
      error.pendingBatchResponse = Promise.resolve({ responses, successCount: responses.filter((x) => x.success).length, failureCount: responses.filter((x) => !x.success).length });
      return new Promise<never>((_resolve, reject) =>
        settleLater(
          parts.map((p) => p.a),
          tokens,
          () => reject(error),
          done,
        ),
      );
    }
    const responses = parts.map((p) => p.response);
    const body = { responses, successCount: responses.filter((x) => x.success).length, failureCount: responses.filter((x) => !x.success).length };
    return new Promise((resolve) =>
      settleLater(
        parts.map((p) => p.a),
        tokens,
        () => resolve(body),
        done,
      ),
    );
  };

  const topicCall = (route: 'subscribe' | 'unsubscribe') => (tokens: string | string[], topic: string) => {
    stubCalls++;
    const list = typeof tokens === 'string' ? [tokens] : tokens;
    if (!Array.isArray(list) || list.length === 0 || list.length > 1000) fail(`a ${route} call of ${Array.isArray(list) ? list.length : typeof list} tokens`);
    for (const t of list) {
      const i = info.get(t);
      if (!i || i.route !== route || i.topic !== topic) fail(`a ${route} call to ${topic} carried a token of another route or topic`);
    }
    beginRequest(list);
    if (rnd() < cfg.pCallReject) {
      const error = sharedCallError();
      const verdict = verdictOf(error);
      const now = Date.now();
      const answers = list.map((t) => {
        const a: Answer = { at: now, ok: false, error, verdict, how: 'call-reject' };
        record(t, a);
        return a;
      });
      return new Promise<never>((_resolve, reject) => settleLater(answers, list, () => reject(error)));
    }
    const parts = list.map((t) => answerFor(t));
    const errors = parts.flatMap((p, index) => (p.response.success ? [] : [{ index, error: p.response.error }]));
    const res = { successCount: list.length - errors.length, failureCount: errors.length, errors };
    return new Promise((resolve) =>
      settleLater(
        parts.map((p) => p.a),
        list,
        () => resolve(res),
      ),
    );
  };

  const retryConfig = (maxRetries: number) => ({ maxRetries, statusCodes: [503], ioErrorCodes: ['ECONNRESET', 'ETIMEDOUT'], backOffFactor: 0.5, maxDelayInMillis: 60_000 });
  const httpRetry = tested ? retryConfig(cfg.layout!) : undefined;
  const http2Retry = tested ? retryConfig(cfg.layout!) : undefined;
  const handler = tested
    ? {
        httpClient: { retry: httpRetry, send: () => Promise.reject(new Error('stub: no HTTP')) },
        http2Client: { retry: http2Retry, send: () => Promise.reject(new Error('stub: no HTTP')) },
        invokeRequestHandler: () => Promise.reject(new Error('stub: no HTTP')),
      }
    : undefined;
  const stub = {
    app: { name: 'prop', options: { projectId: PROJECT } },
    ...(handler ? { messagingRequestHandler: handler } : {}),
    sendEach,
    sendEachForMulticast: () => {
      fail('the stub sendEachForMulticast was called (the wrapper expands multicasts itself)');
      return Promise.reject(new Error('unexpected'));
    },
    send: () => {
      fail('the stub send was called');
      return Promise.reject(new Error('unexpected'));
    },
    subscribeToTopic: topicCall('subscribe'),
    unsubscribeFromTopic: topicCall('unsubscribe'),
    enableLegacyHttpTransport: () => fail('the legacy transport was enabled with transport http2'),
  } as unknown as Messaging;

  // Hooks
  const dropHook = new Map<string, number>();
  const fixes: Outcome<Message>[] = [];
  const fatals: Outcome<Message>[] = [];
  const options: WrapMessagingOptions = {
    sdkVersion: '13.6.0',
    sdkRetries: cfg.sdkRetries,
    polyfillHttpResponse: false,
    transport: 'http2',
    maxConcurrentBatches: cfg.maxBatches,
    retry: {
      minDelayMs: cfg.minDelayMs,
      initialDelayMs: cfg.initialDelayMs,
      maxDelayMs: cfg.maxDelayMs,
      jitter: cfg.jitter,
      retryMaybeDelivered: cfg.maybe,
      ...(cfg.maxAttempts !== undefined ? { maxAttempts: cfg.maxAttempts } : {}),
      ...(cfg.defaultRetryAfterMs !== undefined ? { defaultRetryAfterMs: cfg.defaultRetryAfterMs } : {}),
      ...(cfg.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: cfg.maxRetryAfterMs } : {}),
    },
    prune: { flushMs: 50, ...(cfg.valve ? {} : { valve: false }) },
    onDropToken: (batch) => {
      for (const e of batch) dropHook.set(e.token, (dropHook.get(e.token) ?? 0) + 1);
    },
    onFixRequest: (o) => void fixes.push(o),
    onFatal: (o) => void fatals.push(o),
    random: seededRandom(cfg.seed ^ 0x5bd1e995),
  };
  if (cfg.batchSize !== undefined) options.batchSize = cfg.batchSize;
  if (cfg.retryWindow !== undefined) options.retryBatchWindowMs = cfg.retryWindow;
  if (cfg.limits === 'noProject') options.limits = { project: [] };
  else if (cfg.limits === 'noProjectSmall') options.limits = { project: [], concurrency: cfg.concurrency };
  else if (cfg.limits === 'off') options.limits = false;
  if (cfg.circuit === 'off') options.circuit = false;
  else if (cfg.circuit === 'short') options.circuit = { coolDownMs: 2000 };

  const w = wrapMessaging(stub, options);
  if (w.sdk.retries.attempts !== expectedAttempts) fail(`sdk.retries.attempts ${w.sdk.retries.attempts}, expected ${expectedAttempts}`);
  if (w.sdk.transport !== 'http2') fail(`transport ${w.sdk.transport}`);

  // Callers
  type CallerState = { state: 'pending' } | { state: 'ok'; res: WrappedBatchResponse | WrappedTopicResponse } | { state: 'err'; e: unknown };
  interface Caller {
    kind: 'each' | 'multicast' | 'topic';
    tokens: string[];
    messages?: Message[];
    startedAfterClose: boolean;
    started: boolean;
    result: CallerState;
  }
  const callers: Caller[] = [];
  cfg.callers.forEach((c, ci) => {
    const poisonAt = new Set<number>();
    if (c.method === 'each') for (let k = 0; k < c.poison; k++) poisonAt.add(Math.floor(u01(cfg.seed, `poison${ci}`, k) * c.n));
    const tokens = Array.from({ length: c.n }, (_, j) => `tok-c${ci}-${String(j).padStart(3, '0')}-${c.dryRun === true ? 'd' : 'l'}`);
    tokens.forEach((t, j) => info.set(t, { route: 'each', dryRun: c.dryRun === true, poison: poisonAt.has(j), collapse: c.collapse }));
    const caller: Caller = { kind: c.method, tokens, startedAfterClose: false, started: false, result: { state: 'pending' } };
    if (c.method === 'each') {
      caller.messages = tokens.map((token, j) => {
        const m: Message & { self?: unknown } = { token, data: { c: String(ci), j: String(j) } };
        if (c.collapse) m.android = { collapseKey: 'k' };
        if (poisonAt.has(j)) m.self = m; // circular: firebase-admin's deepCopy throws
        return m;
      });
    }
    callers.push(caller);
    myTimeout(() => {
      caller.started = true;
      caller.startedAfterClose = closeBegan;
      const p =
        c.method === 'each'
          ? w.sendEach(caller.messages!, c.dryRun)
          : w.sendEachForMulticast({ tokens, data: { c: String(ci) }, ...(c.collapse ? { android: { collapseKey: 'k' } } : {}) }, c.dryRun);
      p.then(
        (res) => (caller.result = { state: 'ok', res }),
        (e: unknown) => (caller.result = { state: 'err', e }),
      );
    }, c.startAt);
  });
  cfg.topics.forEach((tc, ti) => {
    const tokens = Array.from({ length: tc.n }, (_, j) => `tok-t${ti}-${String(j).padStart(3, '0')}`);
    tokens.forEach((t) => info.set(t, { route: tc.route, dryRun: false, topic: tc.topic, poison: false, collapse: false }));
    const caller: Caller = { kind: 'topic', tokens, startedAfterClose: false, started: false, result: { state: 'pending' } };
    callers.push(caller);
    myTimeout(() => {
      caller.started = true;
      caller.startedAfterClose = closeBegan;
      const p = tc.route === 'subscribe' ? w.subscribeToTopic(tokens, tc.topic) : w.unsubscribeFromTopic(tokens, tc.topic);
      p.then(
        (res) => (caller.result = { state: 'ok', res }),
        (e: unknown) => (caller.result = { state: 'err', e }),
      );
    }, tc.startAt);
  });

  let closeRes = 'idle' as 'idle' | 'pending' | 'done' | 'err'; // set in callbacks: no narrowing
  const doClose = () => {
    closeBegan = true;
    closeRes = 'pending';
    w.close().then(
      () => (closeRes = 'done'),
      () => (closeRes = 'err'),
    );
  };
  const closeTimer = cfg.closeAt !== undefined ? myTimeout(doClose, cfg.closeAt) : undefined;

  // Run the clock until every call settled and close() resolved.
  const LIMIT = 6 * 3600_000;
  let t = 0;
  while (t < LIMIT) {
    await vi.advanceTimersByTimeAsync(t < 10_000 ? 100 : 1000);
    t += t < 10_000 ? 100 : 1000;
    const settled = callers.every((c) => c.started && c.result.state !== 'pending');
    if (settled && closeRes === 'idle') {
      // Everything settled before the close time: close now.
      if (closeTimer !== undefined) {
        clearTimeout(closeTimer);
        mine.delete(closeTimer);
      }
      doClose();
    }
    if (settled && closeRes !== 'pending' && closeRes !== 'idle') break;
  }
  for (let k = 0; k < 5; k++) await Promise.resolve();
  process.off('unhandledRejection', onUnhandled);

  // ---- checks ----
  if (closeRes !== 'done') fail(`close() ${closeRes} after ${LIMIT / 3600_000} h`);
  callers.forEach((c, ci) => {
    if (c.result.state === 'pending') fail(`caller ${ci} (${c.kind}, ${c.tokens.length}) pending after ${LIMIT / 3600_000} h`);
  });
  if (closeRes === 'done') {
    if (mine.size > 0) fail(`close() resolved with ${mine.size} stub answer(s) or caller start(s) still to come`);
    for (const h of mine) clearTimeout(h);
    const timers = vi.getTimerCount();
    if (timers !== 0) fail(`close() resolved with ${timers} timer(s) of the wrapper still pending`);
    if (tested && cfg.sdkRetries === 'auto' && (handler!.httpClient.retry !== httpRetry || handler!.http2Client.retry !== http2Retry)) fail("close() did not put firebase-admin's retry configs back");
  }
  if (inFlightTok.size > 0 && closeRes === 'done') fail(`${inFlightTok.size} request(s) still in flight after close()`);
  if (unhandled.length) fail(`unhandled rejections: ${unhandled.map(String).join(', ')}`);

  const quarantined = new Set((w.sender.quarantined?.() ?? []).map((e) => e.token));
  const outcomeOf = new Map<string, Outcome<unknown>>();

  callers.forEach((c, ci) => {
    const r = c.result;
    if (r.state === 'pending') return;
    if (r.state === 'err') {
      const code = (r.e as { code?: unknown })?.code;
      if (c.startedAfterClose && code === 'pushback/closed') return;
      fail(`caller ${ci} (${c.kind}) rejected${c.startedAfterClose ? ' after close' : ''}: ${String(code)} ${String((r.e as Error)?.message ?? r.e)}`);
      return;
    }
    if (c.startedAfterClose) fail(`caller ${ci} (${c.kind}) started after close() began but resolved`);
    const n = c.tokens.length;
    const res = r.res;
    if (res.successCount + res.failureCount !== n) fail(`successCount + failureCount ${res.successCount + res.failureCount} != ${n}`);
    if (!Array.isArray(res.outcomes) || res.outcomes.length !== n) {
      fail(`outcomes.length ${res.outcomes?.length} != ${n}`);
      return;
    }
    let delivered = 0;
    if (c.kind === 'topic') {
      const tr = res as WrappedTopicResponse;
      const failedIdx = new Set(tr.errors.map((e) => e.index));
      if (tr.errors.length !== tr.failureCount) fail('topic: errors.length != failureCount');
      tr.outcomes.forEach((o, i) => {
        if (o.message !== c.tokens[i]) fail('topic: outcome i does not carry token i');
        if (o.outcome === 'delivered') delivered++;
        if ((o.outcome === 'delivered') === failedIdx.has(i)) fail(`topic: outcome ${o.outcome} but ${failedIdx.has(i) ? 'listed' : 'not listed'} in errors`);
        const err = tr.errors.find((e) => e.index === i)?.error;
        if (err && (err as { outcome?: unknown }).outcome !== o) fail("topic: an error's outcome is not its token's outcome");
        outcomeOf.set(c.tokens[i]!, o);
        checkToken(c.tokens[i]!, o, err ? { success: false, error: err } : { success: true }, true);
      });
    } else {
      const br = res as WrappedBatchResponse;
      if (!Array.isArray(br.responses) || br.responses.length !== n) {
        fail(`responses.length ${br.responses?.length} != ${n}`);
        return;
      }
      br.outcomes.forEach((o, i) => {
        const resp = br.responses[i]!;
        if (c.kind === 'each' ? o.message !== c.messages![i] : tokenOf(o.message) !== c.tokens[i]) fail(`${c.kind}: outcomes[i].message is not the caller's i-th message`);
        if (resp.success !== (o.outcome === 'delivered')) fail(`response success ${resp.success} for outcome ${o.outcome}`);
        if (resp.success) delivered++;
        else if ((resp.error as { outcome?: unknown } | undefined)?.outcome !== o) fail("a failure's error.outcome is not its message's outcome");
        outcomeOf.set(c.tokens[i]!, o as Outcome<unknown>);
        checkToken(c.tokens[i]!, o as Outcome<unknown>, resp);
      });
      if (br.successCount !== br.responses.filter((x) => x.success).length) fail('successCount does not match the responses');
    }
    if (delivered !== res.successCount) fail(`successCount ${res.successCount} != delivered outcomes ${delivered}`);
  });

  /** One message (or topic token): its requests at the stub against its outcome and response. */
  function checkToken(token: string, o: Outcome<unknown>, resp: { success: boolean; messageId?: string; error?: unknown }, topic = false): void {
    const l = log.get(token) ?? [];
    if (l.length > expectedAttempts) fail(`a message was sent ${l.length} times > the budget of ${expectedAttempts} (maxAttempts ${budget}, sdkRetries ${cfg.sdkRetries})`);
    if (o.attempts > expectedAttempts) fail(`outcome.attempts ${o.attempts} > ${expectedAttempts}`);
    if (l.length > o.attempts) fail(`${l.length} requests but outcome.attempts ${o.attempts}`);
    for (let k = 0; k + 1 < l.length; k++) {
      const a = l[k]!;
      if (a.ok) fail('a delivered message was sent again');
      else if (!retryable(a.verdict)) fail(`a message was sent again after a ${a.verdict.action} answer (${a.verdict.code}, ${a.how})`);
      const next = l[k + 1]!;
      const floor = Math.max(minDelayMs, a.verdict.retryAfterMs ?? 0);
      if (a.answerAt !== undefined && next.at < a.answerAt + floor) fail(`retried ${next.at - a.answerAt} ms after the answer < floor ${floor} ms (${a.verdict.code})`);
    }
    const last = l[l.length - 1];
    const kinds = (...k: string[]) => k.includes(o.outcome);
    const lastVerdict = o.verdicts[o.verdicts.length - 1];
    const why = `${lastVerdict?.code}: ${lastVerdict?.reason}`.replace(/tok-\S+/g, 'TOKEN');
    if (!last) {
      if (!kinds('fatal', 'gave-up', 'expired')) fail(`outcome ${o.outcome} without any request`);
    } else if (last.ok) {
      if (o.outcome !== 'delivered') fail(`last answer a success, outcome ${o.outcome} (${why})`);
      else if (!topic && (o.messageId !== last.id || resp.messageId !== last.id)) fail(`messageId ${resp.messageId} is not the one answered for this message (${last.id})`);
    } else {
      const expected: Record<string, string[]> = { 'drop-token': ['dropped-token'], 'fix-request': ['rejected'], fatal: ['fatal'], retry: ['gave-up', 'expired', 'fatal'] };
      const want = expected[last.verdict.action] ?? [];
      if (!want.includes(o.outcome)) fail(`last answer ${last.verdict.action} (${last.verdict.code}, ${last.how}) but outcome ${o.outcome} (${why})`);
      // The SDK's own error is passed on when the last attempt was this request.
      const e = last.error as { code?: unknown; message?: unknown } | undefined;
      if (!resp.success && o.attempts === l.length && e instanceof FakeFirebaseError) {
        const got = resp.error as { code?: unknown; message?: unknown } | undefined;
        if (got?.code !== e.code || got?.message !== e.message) fail(`error ${String(got?.code)} reported, firebase-admin answered ${String(e.code)}`);
      }
    }
  }

  // Hooks: condemned tokens once each (or quarantined by the valve); fix and fatal hooks with the caller's message.
  for (const [token, o] of outcomeOf) {
    const hooked = dropHook.get(token) ?? 0;
    if (o.outcome === 'dropped-token') {
      if (hooked > 1) fail(`a dropped token reached onDropToken ${hooked} times`);
      if (hooked === 0 && !quarantined.has(token) && closeRes === 'done') fail('a dropped token neither reached onDropToken nor the quarantine');
    } else if (hooked > 0) fail(`a token of a ${o.outcome} outcome reached onDropToken`);
  }
  for (const token of dropHook.keys()) if (!outcomeOf.has(token)) fail('onDropToken got a token of no outcome');
  const hookCount = (list: Outcome<Message>[], kind: string) => {
    const by = new Map<string, Outcome<Message>[]>();
    for (const o of list) {
      const t = typeof o.message === 'string' ? o.message : tokenOf(o.message) ?? '?';
      if (o.outcome !== kind) fail(`on${kind} hook got a ${o.outcome} outcome`);
      let a = by.get(t);
      if (!a) by.set(t, (a = []));
      a.push(o);
    }
    return by;
  };
  const fixBy = hookCount(fixes, 'rejected');
  const fatalBy = hookCount(fatals, 'fatal');
  for (const [token, o] of outcomeOf) {
    for (const [by, kind] of [
      [fixBy, 'rejected'],
      [fatalBy, 'fatal'],
    ] as const) {
      const got = by.get(token) ?? [];
      if (o.outcome === kind && got.length !== 1) fail(`a ${kind} outcome reached its hook ${got.length} times`);
      if (o.outcome !== kind && got.length > 0) fail(`a ${o.outcome} outcome reached the ${kind} hook`);
      if (o.outcome === kind && got.length === 1 && info.get(token)?.route === 'each') {
        const ci = callers.findIndex((c) => c.kind === 'each' && c.tokens.includes(token));
        if (ci >= 0 && got[0]!.message !== callers[ci]!.messages![callers[ci]!.tokens.indexOf(token)]) fail(`the ${kind} hook did not get the caller's message`);
      }
    }
  }
  stats.runs++;
  stats.stubCalls += stubCalls;
  if (maxEachInFlight > 1) stats.concurrent++;
  if ([...log.values()].some((l) => l.length > 1)) stats.retried++;
  stats.maxInFlight = Math.max(stats.maxInFlight, maxEachInFlight);
  if (callers.some((c) => c.startedAfterClose || (c.result.state === 'ok' && c.result.res.outcomes.some((o) => o.outcome !== 'delivered')))) stats.closedEarly++;
  for (const o of outcomeOf.values()) stats.outcomes[o.outcome] = (stats.outcomes[o.outcome] ?? 0) + 1;
  return violations;
}

const stats = { runs: 0, stubCalls: 0, concurrent: 0, retried: 0, outcomes: {} as Record<string, number>, maxInFlight: 0, closedEarly: 0 };

fakeClockFrom(T0);

describe('wrapMessaging invariants (property-based)', () => {
  it(
    'hold for random callers, scripts, whole-call failures, options and close()',
    async () => {
      const seen = new Violations<Cfg>();
      const one = inputFromEnv<Cfg>();
      await fc.assert(
        fc.asyncProperty(cfgArb, async (cfg) => {
          vi.clearAllTimers();
          vi.setSystemTime(T0);
          const v = await runCase(cfg);
          seen.add(v, cfg);
          return SHRINK ? v.length === 0 : true; // every violation is collected, then reported at once below
        }),
        { ...RUNS, ...(one ? { examples: [[one]] } : {}), ...(SHRINK ? { endOnFailure: true } : {}) },
      );
      if (process.env.PB_STATS) console.log(JSON.stringify(stats));
      // The runs did exercise concurrency and retries.
      expect(stats.stubCalls).toBeGreaterThan(RUNS.numRuns);
      if (RUNS.numRuns >= 40) {
        expect(stats.concurrent).toBeGreaterThan(0);
        expect(stats.retried).toBeGreaterThan(0);
      }
      // Each kind of violation once, with how often it happened and one input that shows it.
      expect(seen.report()).toEqual([]);
    },
    Math.max(60_000, RUNS.numRuns * 500),
  );
});
