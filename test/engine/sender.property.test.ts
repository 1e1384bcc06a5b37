/**
 * Property-based test of the send engine's invariants (README "The send engine"), from a review of
 * 2026-12-04. Random verdict sequences made of real FCM and APNs responses, transport errors, synchronous
 * throws, non-Error rejections, garbage returns, hangs until abort, random aborts (also with non-Error
 * reasons), close() at a random time, onDropToken hooks that throw or hang, hanging refreshCredential and
 * notification hooks, throwing listeners. Every message must end in exactly one outcome (or reject only as
 * documented), within maxAttempts, never before Retry-After or past its deadline, never under an open
 * circuit, above the concurrency or device limit, or with a raw token in an event; no token is lost.
 * `PB_RUNS` (default 2,000, about 4 s) and `PB_SEED` change the runs; `PB_CFG` (the JSON of a reported
 * failure, or its file) runs that input first, as the ones in `sender.property.examples.json` always do.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createSender, seededRandom, SendError } from '../../src/engine/index.js';
import { apnsError, apnsOk, apnsToken, classify, fcmBadRequest, fcmError, fcmOk, fcmToken, type RawResponse } from './fixtures.js';
import type { BatchAnswer, EngineEvent, SenderOptions } from '../../src/engine/types.js';
import type { Outcome } from '../../src/types.js';
import { redactToken } from '../../src/redact.js';
import { fakeClockFrom, inputFromEnv, propertyRuns, Violations } from '../helpers/property.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const KNOWN = true; // the inputs of bugs fixed on 2026-12-04 (non-Error abort reasons, hanging refresh and hooks)
const RUNS = propertyRuns(2000);
/** Inputs that once broke an invariant (each with why), from `sender.property.examples.json`. */
const KNOWN_FAILURES = (JSON.parse(readFileSync(new URL('./sender.property.examples.json', import.meta.url), 'utf8')) as { why: string; cfg: Cfg }[]).map((x) => x.cfg);
/** Inputs that once broke an invariant run first, each time; with `PB_CFG`, one more. */
const ONE = inputFromEnv<Cfg>();
const EXAMPLES: [Cfg][] = [...KNOWN_FAILURES, ...(ONE ? [ONE] : [])].map((c) => [c]);

type Resp =
  | { k: 'ok' }
  | { k: 'id' } // a plain string message id
  | { k: 'http'; status: number; code: string; ra?: number }
  | { k: 'badreq' }
  | { k: 'throw'; code: string } // synchronous throw of a transport error
  | { k: 'reject'; code: string } // rejection with a transport error
  | { k: 'rejectNonError'; v: 0 | 1 | 2 | 3 } // 'boom', undefined, null, 42
  | { k: 'garbage'; v: 0 | 1 | 2 | 3 | 4 } // undefined, null, 42, {}, { status: 'x' }
  | { k: 'hang' }; // until abort (else a client timeout after 30 s)

interface MsgSpec {
  project: 'p1' | 'p2';
  cred: 'c1' | 'c2';
  startAt: number;
  deadlineIn?: number;
  abortAt?: number;
  abortNonError: boolean;
  tokIdx: number;
  script: { r: Resp; latency: number; sync: boolean }[];
}

const respArb: fc.Arbitrary<Resp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Resp>({ k: 'ok' }) },
  { weight: 1, arbitrary: fc.constant<Resp>({ k: 'id' }) },
  {
    weight: 8,
    arbitrary: fc.record({
      status: fc.constant(0),
      pick: fc.constantFrom(
        [503, 'UNAVAILABLE'],
        [500, 'INTERNAL'],
        [429, 'QUOTA_EXCEEDED'],
        [429, 'RESOURCE_EXHAUSTED'],
        [404, 'UNREGISTERED'],
        [403, 'SENDER_ID_MISMATCH'],
        [400, 'INVALID_ARGUMENT'],
        [401, 'THIRD_PARTY_AUTH_ERROR'],
        [403, 'PERMISSION_DENIED'],
        [401, 'UNAUTHENTICATED'],
      ),
      ra: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
    }).map(({ pick, ra }) => ({ k: 'http', status: pick[0] as number, code: pick[1] as string, ra }) as Resp),
  },
  { weight: 1, arbitrary: fc.constant<Resp>({ k: 'badreq' }) },
  { weight: 1, arbitrary: fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET').map((code) => ({ k: 'throw', code }) as Resp) },
  { weight: 1, arbitrary: fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'UND_ERR_HEADERS_TIMEOUT').map((code) => ({ k: 'reject', code }) as Resp) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3).map((v) => ({ k: 'rejectNonError', v }) as Resp) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3, 4).map((v) => ({ k: 'garbage', v }) as Resp) },
  { weight: 1, arbitrary: fc.constant<Resp>({ k: 'hang' }) },
);

const msgArb: fc.Arbitrary<MsgSpec> = fc.record({
  project: fc.constantFrom('p1' as const, 'p2' as const),
  cred: fc.constantFrom('c1' as const, 'c2' as const),
  startAt: fc.integer({ min: 0, max: 20_000 }),
  deadlineIn: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
  abortAt: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
  abortNonError: KNOWN ? fc.boolean() : fc.constant(false),
  tokIdx: fc.integer({ min: 0, max: 5 }),
  script: fc.array(fc.record({ r: respArb, latency: fc.integer({ min: 0, max: 3000 }), sync: fc.boolean() }), { minLength: 1, maxLength: 6 }),
});

const hookArb = fc.record({
  dropMode: fc.constantFrom('ok', 'throwFirst', 'alwaysThrow', 'hang', 'hangFirst', 'throwNonError'),
  batchSize: fc.integer({ min: 1, max: 5 }),
  flushMs: fc.integer({ min: 10, max: 3000 }),
  hookAttempts: fc.integer({ min: 1, max: 3 }),
  hookTimeoutMs: fc.integer({ min: 100, max: 3000 }),
  valve: fc.oneof(fc.constant(false as const), fc.constant(undefined), fc.record({ threshold: fc.constantFrom(0.2, 0.5, 0.8), minSends: fc.integer({ min: 1, max: 10 }), windowMs: fc.integer({ min: 1000, max: 60_000 }) })),
  fatalHook: fc.constantFrom('none', 'ok', 'throw', 'reject', ...(KNOWN ? ['hang'] : [])),
  refresh: fc.constantFrom('none', 'ok', 'reject', ...(KNOWN ? ['hang'] : [])),
  listenerThrows: fc.boolean(),
});

const cfgArb = fc.record({
  concurrency: fc.integer({ min: 1, max: 4 }),
  deviceLimit: fc.boolean(),
  maxAttempts: fc.integer({ min: 1, max: 5 }),
  minDelayMs: fc.integer({ min: 0, max: 3000 }),
  initialDelayMs: fc.integer({ min: 0, max: 3000 }),
  maxRetryAfterMs: fc.constantFrom(5_000, 60_000, 900_000),
  maxElapsedMs: fc.constantFrom(10_000, 3_600_000),
  jitter: fc.constantFrom('full' as const, 'decorrelated' as const, 'none' as const),
  maybe: fc.constantFrom('never' as const, 'collapsible' as const, 'always' as const),
  circuit: fc.option(fc.integer({ min: 500, max: 20_000 }), { nil: undefined }),
  rejectOn: fc.subarray(['fatal', 'rejected', 'gave-up', 'expired', 'dropped-token'] as const),
  closeAt: fc.option(fc.integer({ min: 0, max: 40_000 }), { nil: undefined }),
  seed: fc.integer(),
  hooks: hookArb,
  msgs: fc.array(msgArb, { minLength: 1, maxLength: 8 }),
  useSendMany: fc.boolean(),
  /** `sendMany` through a batch send (first attempts admitted at once): how it answers. */
  batch: fc.option(
    fc.record({ maxSize: fc.integer({ min: 1, max: 4 }), mode: fc.constantFrom('each' as const, 'each' as const, 'throw' as const, 'reject' as const, 'short' as const, 'garbage' as const) }),
    { nil: undefined },
  ),
  apns: fc.boolean(),
});

/** Across all runs: batch calls made, and messages in them (the batch path must actually be exercised). */
const batchStats = { calls: 0, messages: 0 };

type Cfg = typeof cfgArb extends fc.Arbitrary<infer T> ? T : never;

let APNS = false;
const APNS_MAP: Record<string, [number, string, Record<string, unknown>?]> = {
  UNAVAILABLE: [503, 'ServiceUnavailable'], INTERNAL: [500, 'InternalServerError'], QUOTA_EXCEEDED: [429, 'TooManyRequests'],
  RESOURCE_EXHAUSTED: [429, 'TooManyRequests'], UNREGISTERED: [410, 'Unregistered', { timestamp: 1767225600000 }], SENDER_ID_MISMATCH: [400, 'BadDeviceToken'],
  INVALID_ARGUMENT: [400, 'BadTopic'], THIRD_PARTY_AUTH_ERROR: [403, 'InvalidProviderToken'], PERMISSION_DENIED: [403, 'BadCertificate'], UNAUTHENTICATED: [403, 'ExpiredProviderToken'],
};
function response(r: Resp): RawResponse | unknown {
  if (APNS && (r.k === 'ok' || r.k === 'http' || r.k === 'badreq')) {
    if (r.k === 'ok') return apnsOk();
    if (r.k === 'badreq') return apnsError(400, 'PayloadEmpty');
    const [st, reason, extra] = APNS_MAP[r.code]!;
    return apnsError(st, reason, extra ?? {}, r.ra !== undefined ? { 'retry-after': String(r.ra) } : {});
  }
  switch (r.k) {
    case 'ok':
      return fcmOk();
    case 'id':
      return 'projects/x/messages/1';
    case 'http':
      return fcmError(r.status, r.code, r.ra !== undefined ? { 'retry-after': String(r.ra) } : {});
    case 'badreq':
      return fcmBadRequest('message.android.ttl');
    case 'garbage':
      return [undefined, null, 42, {}, { status: 'x' }][r.v];
    default:
      throw new Error('not a value');
  }
}

interface Call { i: number; attempt: number; at: number; seq: number; project: string; cred: string }

async function runCase(cfg: Cfg): Promise<string[]> {
  const violations: string[] = [];
  const fail = (s: string) => violations.push(s);
  let seq = 0;
  const calls: Call[] = [];
  const events: { seq: number; e: EngineEvent }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const tokens = cfg.msgs.map((m) => (cfg.apns ? apnsToken(0xabc000 + m.tokIdx) : fcmToken(1000 + m.tokIdx)));
  APNS = cfg.apns;
  const hookDelivered = new Set<string>();
  const hookSeen: string[] = [];
  let hookCalls = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);

  type M = { i: number; token: string; project: string; cred: string; deadline?: number };
  const messages: M[] = cfg.msgs.map((m, i) => {
    const msg: M = { i, token: tokens[i]!, project: m.project, cred: m.tokIdx % 2 ? 'c1' : 'c2' }; // one credential per token: events map back to it
    if (m.deadlineIn !== undefined) msg.deadline = T0 + m.startAt + m.deadlineIn;
    return msg;
  });
  const perMsgCalls = cfg.msgs.map(() => 0);

  const mine = new Set<ReturnType<typeof setTimeout>>();
  const myTimeout = (f: () => void, ms: number) => { const h = setTimeout(() => { mine.delete(h); f(); }, ms); mine.add(h); return h; };
  const send = (m: M, ctx: { attempt: number; signal: AbortSignal }) => {
    const spec = cfg.msgs[m.i]!;
    const n = perMsgCalls[m.i]!++;
    calls.push({ i: m.i, attempt: ctx.attempt, at: Date.now(), seq: ++seq, project: m.project, cred: m.cred });
    if (ctx.signal.aborted) fail(`msg ${m.i}: send called with an already-aborted signal`);
    const step = spec.script[n] ?? { r: { k: 'ok' } as Resp, latency: 0, sync: true };
    const r = step.r;
    if (r.k === 'throw') {
      throw Object.assign(new Error(`connect ${r.code}`), { code: r.code });
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const done = () => inFlight--;
    if (step.sync && r.k !== 'hang' && r.k !== 'reject' && r.k !== 'rejectNonError') {
      done();
      return response(r);
    }
    return new Promise((resolve, reject) => {
      let finished = false;
      const end = (f: () => void) => {
        if (finished) return;
        finished = true;
        done();
        f();
      };
      ctx.signal.addEventListener('abort', () => end(() => reject(ctx.signal.reason)), { once: true });
      const latency = r.k === 'hang' ? 30_000 : step.latency;
      myTimeout(() => {
        end(() => {
          if (r.k === 'hang') reject(Object.assign(new Error('client timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
          else if (r.k === 'reject') reject(Object.assign(new Error(`socket ${r.code}`), { code: r.code }));
          else if (r.k === 'rejectNonError') reject(['boom', undefined, null, 42][r.v]);
          else resolve(response(r));
        });
      }, latency);
    });
  };

  const h = cfg.hooks;
  let dropCallNo = 0;
  const onDropToken = (batch: { token: string }[]) => {
    hookCalls++;
    const no = ++dropCallNo;
    for (const e of batch) hookSeen.push(e.token);
    const ok = () => { for (const e of batch) hookDelivered.add(e.token); };
    switch (h.dropMode) {
      case 'ok': ok(); return;
      case 'throwFirst': if (no === 1) throw new Error('db down'); ok(); return;
      case 'alwaysThrow': throw new Error('db down for ' + batch[0]!.token);
      case 'throwNonError': throw 'nope';
      case 'hang': return new Promise(() => {});
      case 'hangFirst': if (no === 1) return new Promise(() => {}); ok(); return;
    }
  };
  const hookFn = (kind: string) => {
    switch (kind) {
      case 'ok': return () => {};
      case 'throw': return () => { throw new Error('hook'); };
      case 'reject': return () => Promise.reject('hook');
      case 'hang': return () => new Promise(() => {});
      default: return undefined;
    }
  };
  const opts: SenderOptions<M> = {
    provider: cfg.apns ? 'apns' : 'fcm',
    classify,
    target: (m) => ({ project: m.project, token: m.token, credential: m.cred }),
    limits: { concurrency: cfg.concurrency, project: [], topic: [], device: cfg.deviceLimit ? [{ count: 2, perMs: 1000 }] : [] },
    retry: {
      maxAttempts: cfg.maxAttempts,
      minDelayMs: cfg.minDelayMs,
      initialDelayMs: cfg.initialDelayMs,
      maxRetryAfterMs: cfg.maxRetryAfterMs,
      maxElapsedMs: cfg.maxElapsedMs,
      jitter: cfg.jitter,
      retryMaybeDelivered: cfg.maybe,
    },
    random: seededRandom(cfg.seed),
    circuit: cfg.circuit === undefined ? false : { coolDownMs: cfg.circuit },
    rejectOn: [...cfg.rejectOn],
    prune: { batchSize: h.batchSize, flushMs: h.flushMs, hookAttempts: h.hookAttempts, hookTimeoutMs: h.hookTimeoutMs, valve: h.valve },
    onDropToken,
    onEvent: (e) => {
      events.push({ seq: ++seq, e });
      if (h.listenerThrows) throw new Error('listener');
    },
  };
  const fh = hookFn(h.fatalHook);
  if (fh) { opts.onFatal = fh; opts.onFixRequest = fh; opts.onPruneSuspended = fh; }
  if (h.refresh !== 'none') opts.refreshCredential = h.refresh === 'ok' ? async () => {} : h.refresh === 'reject' ? async () => { throw new Error('refresh'); } : () => new Promise(() => {});

  let batchTooBig = 0;
  if (cfg.batch) {
    const b = cfg.batch;
    opts.batch = {
      maxSize: () => b.maxSize,
      send: (ms) => {
        batchStats.calls++;
        batchStats.messages += ms.length;
        if (ms.length > b.maxSize) batchTooBig++;
        if (b.mode === 'throw') throw new Error('batch call threw');
        if (b.mode === 'reject') return new Promise((_r, reject) => myTimeout(() => reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 50));
        // Each message as the per-message send would answer it (its script, latency and all).
        const parts = ms.map((m): Promise<BatchAnswer> | BatchAnswer => {
          try {
            return Promise.resolve(send(m, { attempt: 1, signal: new AbortController().signal })).then(
              (value): BatchAnswer => ({ ok: true, value }),
              (error: unknown): BatchAnswer => ({ ok: false, error }),
            );
          } catch (error) {
            return { ok: false, error };
          }
        });
        return Promise.all(parts).then((answers) => {
          if (b.mode === 'short') return answers.slice(1);
          if (b.mode === 'garbage') return answers.map((a, k) => (k % 2 === 0 ? a : ([undefined, null, {}, { ok: 'yes' }][k % 4] as BatchAnswer)));
          return answers;
        });
      },
    };
  }
  const s = createSender<M>(send, opts);
  type Res = { state: 'pending' } | { state: 'ok'; o: Outcome<M> } | { state: 'err'; e: unknown };
  const results: Res[] = messages.map(() => ({ state: 'pending' }));
  const acs = messages.map(() => new AbortController());
  const abortReasons = messages.map(() => undefined as unknown);
  let manyRejected = false;
  let closeRes = 'pending' as 'pending' | 'done' | 'err';
  let closeStartedAt = Infinity;
  const startedAfterClose = new Set<number>();

  // schedule aborts
  cfg.msgs.forEach((m, i) => {
    if (m.abortAt === undefined) return;
    myTimeout(() => {
      const reason = m.abortNonError ? `abort-${i}` : new Error(`abort-${i}`);
      abortReasons[i] = reason;
      acs[i]!.abort(reason);
    }, m.abortAt);
  });
  const record = (i: number, p: Promise<Outcome<M>>) =>
    p.then((o) => { results[i] = { state: 'ok', o }; }, (e) => { results[i] = { state: 'err', e }; });

  if (cfg.useSendMany) {
    // one sendMany for all messages (one shared signal: the first message's abort time), at startAt of msg 0
    myTimeout(() => {
      if (closeStartedAt !== Infinity) messages.forEach((_, i) => startedAfterClose.add(i));
      const signal = cfg.msgs[0]!.abortAt !== undefined ? acs[0]!.signal : undefined;
      s.sendMany(messages, signal ? { signal } : {}).then(
        (outs) => outs.forEach((o, i) => { results[i] = o === undefined ? { state: 'err', e: new Error('hole in sendMany result') } : { state: 'ok', o }; }),
        (e) => { manyRejected = true; messages.forEach((_, i) => { results[i] = { state: 'err', e }; }); },
      );
    }, cfg.msgs[0]!.startAt);
  } else {
    messages.forEach((m, i) => {
      myTimeout(() => {
        if (closeStartedAt !== Infinity) startedAfterClose.add(i);
        const spec = cfg.msgs[i]!;
        void record(i, s.send(m, spec.abortAt !== undefined ? { signal: acs[i]!.signal } : undefined));
      }, cfg.msgs[i]!.startAt);
    });
  }
  const doClose = () => {
    closeStartedAt = Date.now();
    s.close().then(() => (closeRes = 'done'), () => (closeRes = 'err'));
  };
  myTimeout(doClose, cfg.closeAt ?? 100_000);

  // run the clock
  const LIMIT = 6 * 3600_000;
  let t = 0;
  while (t < LIMIT) {
    await vi.advanceTimersByTimeAsync(1000);
    t += 1000;
    if (closeRes !== 'pending' && results.every((r) => r.state !== 'pending')) break;
  }
  // let microtasks of a last settle run
  for (let k = 0; k < 5; k++) await Promise.resolve();
  process.off('unhandledRejection', onUnhandled);

  // ---- checks ----
  if (cfg.useSendMany) for (let i = 0; i < messages.length; i++) abortReasons[i] = abortReasons[0];
  if (closeRes !== 'done') fail(`close() ${closeRes} after ${LIMIT / 3600_000} h`);
  results.forEach((r, i) => { if (r.state === 'pending') fail(`msg ${i}: promise pending after ${LIMIT / 3600_000} h`); });
  if (closeRes === 'done') {
    for (const h of mine) clearTimeout(h);
    const timers = vi.getTimerCount();
    // our own hanging/latency timers are all shorter than the run; any left are the engine's
    if (timers !== 0) fail(`close() resolved with ${timers} timer(s) still pending`);
  }
  if (maxInFlight > cfg.concurrency) fail(`in-flight ${maxInFlight} > concurrency ${cfg.concurrency}`);
  if (batchTooBig > 0) fail(`${batchTooBig} batch call(s) larger than maxSize`);
  if (unhandled.length) fail(`unhandled rejections: ${unhandled.map(String).join(', ')}`);

  const KINDS = new Set(['delivered', 'dropped-token', 'rejected', 'fatal', 'expired', 'gave-up']);
  let outcomes = 0;
  results.forEach((r, i) => {
    const nCalls = calls.filter((c) => c.i === i).length;
    let o: Outcome<M> | undefined;
    if (r.state === 'ok') o = r.o;
    else if (r.state === 'err') {
      if (r.e instanceof SendError) {
        o = r.e.outcome as Outcome<M>;
        if (!cfg.rejectOn.includes(o.outcome as never)) fail(`msg ${i}: rejected with SendError for ${o.outcome}, not in rejectOn`);
        if (r.e.message.includes(tokens[i]!)) fail(`msg ${i}: SendError message holds the raw token`);
      } else if (startedAfterClose.has(i) && /closed/.test(String((r.e as Error)?.message))) {
        // send() after close(): rejected, fine
      } else if (abortReasons[i] !== undefined) {
        if (r.e !== abortReasons[i]) fail(`msg ${i}: aborted with ${String(abortReasons[i])} but rejected with ${String(r.e)}`);
      } else if (startedAfterClose.has(i) && /closed/.test(String((r.e as Error)?.message))) {
        // send() after close(): rejected, fine
      } else fail(`msg ${i}: unexpected rejection ${String(r.e)} (${(r.e as Error)?.stack?.split('\n')[1] ?? ''})`);
    }
    if (o) {
      outcomes++;
      if (cfg.useSendMany && cfg.rejectOn.includes(o.outcome as never) && r.state === 'err') fail(`msg ${i}: sendMany rejected for rejectOn`);
      if (!KINDS.has(o.outcome)) fail(`msg ${i}: unknown outcome ${o.outcome}`);
      if (o.attempts !== o.verdicts.length) fail(`msg ${i}: attempts ${o.attempts} != verdicts ${o.verdicts.length}`);
      if (o.attempts < 1) fail(`msg ${i}: attempts ${o.attempts}`);
      if (o.attempts > cfg.maxAttempts) fail(`msg ${i}: attempts ${o.attempts} > maxAttempts ${cfg.maxAttempts}`);
      if (nCalls > o.attempts) fail(`msg ${i}: ${nCalls} requests but ${o.attempts} attempts`);
      if (o.message !== messages[i]) fail(`msg ${i}: outcome carries another message`);
    }
    if (nCalls > cfg.maxAttempts) fail(`msg ${i}: ${nCalls} requests > maxAttempts ${cfg.maxAttempts}`);
    // deadline: no retry after it
    const dl = messages[i]!.deadline;
    if (dl !== undefined) for (const c of calls) if (c.i === i && c.attempt > 1 && c.at > dl) fail(`msg ${i}: retry (attempt ${c.attempt}) at +${c.at - T0} after the deadline +${dl - T0}`);
    // maxElapsedMs: no request later than startedAt + maxElapsedMs (start = first call or the start time)
    const mine = calls.filter((c) => c.i === i);
    if (mine.length > 1) {
      const start = mine[0]!.at; // startedAt <= the first request: a stricter bound never gives a false positive
      for (const c of mine.slice(1)) if (c.at - start > cfg.maxElapsedMs) fail(`msg ${i}: request ${c.at - start} ms after start > maxElapsedMs ${cfg.maxElapsedMs}`);
    }
  });
  if (cfg.deviceLimit) {
    // device window: 2 per 1000 ms (+100 ms arrival jitter); each message has its own token
    for (const tok of new Set(tokens)) {
      const at = calls.filter((c) => tokens[c.i] === tok).map((c) => c.at).sort((a, b) => a - b);
      for (let k = 2; k < at.length; k++) if (at[k]! - at[k - 2]! < 1100) fail(`device limit: 3 requests to one token within ${at[k]! - at[k - 2]!} ms`);
    }
  }
  const outcomeEvents = events.filter((x) => x.e.type === 'outcome').length;
  if (!manyRejected && outcomeEvents !== outcomes) fail(`${outcomeEvents} outcome events for ${outcomes} outcomes`);

  // Retry-After never undercut, and rate-limit cool-downs: for each attempt event with a retry verdict
  // carrying retryAfterMs, nothing of the same project (429/quota codes: project scope) leaves before.
  for (const { seq: s0, e } of events) {
    if (e.type !== 'attempt') continue;
    const v = e.verdict;
    if (e.decision.kind === 'retry' && v.retryAfterMs != null && e.decision.delayMs < v.retryAfterMs) fail(`retry delay ${e.decision.delayMs} < Retry-After ${v.retryAfterMs}`);
    if (e.decision.kind === 'retry' && e.decision.delayMs < cfg.minDelayMs && v.refreshCredential !== true) fail(`retry delay ${e.decision.delayMs} < minDelayMs ${cfg.minDelayMs}`);
    const rate = v.action === 'retry' && (v.status === 429 || v.code === 'QUOTA_EXCEEDED' || v.code === 'RESOURCE_EXHAUSTED' || v.code === 'TooManyRequests');
    if (rate && v.retryAfterMs != null) {
      const until = e.at + Math.max(v.retryAfterMs, cfg.minDelayMs);
      const device = v.code === 'TooManyRequests';
      for (const c of calls) if (c.seq > s0 && (device ? redactToken(tokens[c.i]!) === e.target.token : c.project === e.target.project) && c.at < until) fail(`request to ${device ? 'device' : c.project} at +${c.at - T0} during its cool-down until +${until - T0} (${v.code})`);
    }
    // fatal circuit: a fatal answer leaves its credential's circuit open. It opened (or restarted) at or
    // after the request left: either this answer opened it, or another fatal answer did while this request
    // was out (that answer then changes nothing: see FatalCircuit.record).
    if (cfg.circuit !== undefined && v.action === 'fatal' && !/no request sent/.test(v.reason)) {
      const mi = e.target.token !== undefined ? tokens.findIndex((t) => redactToken(t) === e.target.token) : -1;
      const cred = mi >= 0 ? messages[mi]!.cred : undefined;
      // The request this answers: the earliest candidate (tokens can repeat) is the most lenient bound.
      const sentAt = Math.min(...calls.filter((c) => c.seq < s0 && tokens[c.i] === tokens[mi] && c.attempt === e.attempt).map((c) => c.at));
      if (cred && !events.some((x) => x.seq < s0 && x.e.type === 'circuit-open' && x.e.key === cred && x.e.at >= sentAt)) {
        fail(`fatal answer (${v.code}) with credential ${cred} at +${e.at - T0} opened no circuit`);
      }
    }
  }
  // ... and while it is open for its cool-down, no request with that credential leaves.
  if (cfg.circuit !== undefined) {
    for (const { seq: s0, e } of events) {
      if (e.type !== 'circuit-open') continue;
      for (const c of calls) if (c.seq > s0 && c.cred === e.key && c.at < e.at + cfg.circuit) {
        fail(`request with credential ${c.cred} at +${c.at - T0} while its circuit is open (opened at +${e.at - T0}, coolDown ${cfg.circuit})`);
      }
    }
  }

  // pruning: every dropped-token outcome's token reached the hook or is quarantined; nothing else was pruned
  const quarantined = new Set(s.quarantined!().map((e) => e.token));
  const dropped = new Set<string>();
  results.forEach((r, i) => {
    const o = r.state === 'ok' ? r.o : r.state === 'err' && r.e instanceof SendError ? (r.e.outcome as Outcome<M>) : undefined;
    if (o?.outcome === 'dropped-token') dropped.add(tokens[i]!);
  });
  for (const tok of dropped) if (!hookDelivered.has(tok) && !quarantined.has(tok)) fail(`${closeRes === 'done' ? '' : '(close() not done) '}token of a dropped-token outcome lost (hook ${h.dropMode}, hook calls ${hookCalls})`);
  for (const tok of hookSeen) if (!manyRejected && !dropped.has(tok)) fail(`a token reached onDropToken without a dropped-token outcome`);
  const errEvents = events.filter((x) => x.e.type === 'error' && (x.e.error as Error).name === 'PruneHookError');
  if ((h.dropMode === 'alwaysThrow' || h.dropMode === 'hang' || h.dropMode === 'throwNonError') && quarantined.size > 0 && errEvents.length === 0 && h.valve === false) fail('hook failed, tokens quarantined, no PruneHookError event');

  // redaction
  const dump = JSON.stringify(events.map((x) => x.e), (_k, v) => (v instanceof Error ? { name: v.name, message: v.message, cause: String((v as { cause?: unknown }).cause ?? '') } : v));
  for (const tok of tokens) if (dump.includes(tok)) {
    const bad = events.map((x) => x.e).find((e) => JSON.stringify(e, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message, cause: String((v as { cause?: unknown }).cause ?? '') } : v)).includes(tok));
    fail(`a raw token appears in an event: ${bad?.type} ${bad?.type === 'error' ? (bad.error as Error).name + ' / ' + (bad.error as Error).message + ' / cause ' + String((bad.error as { cause?: unknown }).cause) : ''}`.replace(tok, '<TOKEN>'));
    break;
  }
  return violations;
}

fakeClockFrom(T0);

describe('engine invariants (property-based)', () => {
  it('hold for random verdict sequences, aborts, close() and hook failures', async () => {
    const seen = new Violations<Cfg>((k) => k.replace(/tok:[0-9a-f]+/g, 'tok'));
    await fc.assert(
      fc.asyncProperty(cfgArb, async (cfg) => {
        vi.clearAllTimers();
        vi.setSystemTime(T0);
        seen.add(await runCase(cfg), cfg);
        return true; // every violation is collected, then reported at once below
      }),
      { ...RUNS, examples: EXAMPLES },
    );
    expect(seen.report()).toEqual([]);
    // The batch path ran, with more than one message per call at times.
    expect(batchStats.calls).toBeGreaterThan(RUNS.numRuns / 20);
    expect(batchStats.messages).toBeGreaterThan(batchStats.calls);
  }, Math.max(60_000, RUNS.numRuns * 20));
});
