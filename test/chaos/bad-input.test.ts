/**
 * Bad input: 100,000 fuzzed provider responses and thrown values (fast-check) through the classifier and
 * the engine — no throw, no crash, one outcome per message — plus the named hostile cases: Retry-After
 * of -1, 1e309, a date in 1970 and in 2999, 40 KB of digits; 50 MB bodies; invalid UTF-8; HTML;
 * prototype-pollution keys; hooks that throw, hang or return garbage.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { createSender } from '../../src/engine/index.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { fcmSender } from '../../src/fcm/index.js';
import { startFakeProvider } from '../../src/testing/index.js';
import { ACTIONS, OUTCOMES, PROVIDERS, type ClassifyInput, type Verdict } from '../../src/types.js';
import { classifyInputArb, NAMED_RETRY_AFTERS, POLLUTION_BODIES, thrownArb, responseArb } from './arbitraries.js';

const unhandled: unknown[] = [];
const onUnhandled = (r: unknown) => unhandled.push(r);
process.on('unhandledRejection', onUnhandled);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
});

const WEEK = 7 * 24 * 3600 * 1000;
const actions = new Set<string>(ACTIONS);
const providers = new Set<string>(PROVIDERS);
/** The same checks as expectValidVerdict, as a predicate (vitest's expect costs ~0.3 ms a call). */
function isValidVerdict(v: Verdict): boolean {
  if (!actions.has(v.action) || typeof v.code !== 'string' || typeof v.reason !== 'string' || !providers.has(v.provider)) return false;
  return v.retryAfterMs === null || (Number.isFinite(v.retryAfterMs) && v.retryAfterMs >= 0 && v.retryAfterMs <= WEEK);
}
function expectValidVerdict(v: Verdict): void {
  expect(ACTIONS).toContain(v.action);
  expect(typeof v.code).toBe('string');
  expect(typeof v.reason).toBe('string');
  expect(PROVIDERS).toContain(v.provider);
  if (v.retryAfterMs !== null) {
    expect(Number.isFinite(v.retryAfterMs)).toBe(true);
    expect(v.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(v.retryAfterMs).toBeLessThanOrEqual(WEEK);
  }
}

describe('classify under fuzzing', () => {
  it('70,000 fuzzed responses and errors: never throws, always a valid verdict', () => {
    fc.assert(
      fc.property(classifyInputArb, (input) => isValidVerdict(classify(input))),
      { numRuns: 70_000, seed: 20261122 },
    );
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('the named Retry-After values give no delay, or a sane one', () => {
    const now = Date.UTC(2026, 10, 22);
    for (const provider of ['fcm', 'apns', 'hms'] as const) {
      for (const status of [429, 503]) {
        for (const ra of NAMED_RETRY_AFTERS) {
          const v = classify({ provider, status, headers: { 'retry-after': ra, date: new Date(now).toUTCString() }, body: '' }, { now });
          expectValidVerdict(v);
          expect(v.action).toBe('retry');
        }
        // A date in 1970 is in the past: retry now (or at the catalog floor), never a negative wait.
        const past = classify({ provider, status, headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' } }, { now });
        expect(past.retryAfterMs ?? 0).toBeLessThan(WEEK);
        // 2999 and 1e309 are absurd: ignored, not obeyed.
        for (const absurd of ['Fri, 01 Jan 2999 00:00:00 GMT', '1e309', '9'.repeat(40 * 1024)]) {
          const v = classify({ provider, status, headers: { 'retry-after': absurd } }, { now });
          expect(v.retryAfterMs ?? 0).toBeLessThanOrEqual(WEEK);
        }
      }
    }
  });

  it('50 MB bodies are not parsed: classified by status', () => {
    const huge = '{"error":{"status":"UNREGISTERED","message":"' + 'x'.repeat(50 * 2 ** 20) + '"}}';
    for (const body of [huge, Buffer.from(huge)]) {
      const v = classify({ provider: 'fcm', status: 503, body });
      expect(v.action).toBe('retry');
      const w = classify({ provider: 'fcm', status: 404, body });
      expectValidVerdict(w);
      expect(w.action).not.toBe('ok');
    }
  });

  it('invalid UTF-8, HTML and prototype-pollution bodies', () => {
    for (const body of [Buffer.from([0x7b, 0x22, 0x72, 0xff, 0xfe, 0x7d]), '<html><body>502 Bad Gateway</body></html>', ...POLLUTION_BODIES]) {
      for (const provider of PROVIDERS) {
        for (const status of [200, 400, 404, 410, 429, 502, 503]) expectValidVerdict(classify({ provider, status, body }));
      }
    }
    for (const text of POLLUTION_BODIES) expectValidVerdict(classify({ provider: 'fcm', status: 400, body: JSON.parse(text) }));
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

/** What a fuzzed send does: resolve with a response, throw synchronously, or reject. */
type Behaviour = { kind: 'resolve'; value: ClassifyInput } | { kind: 'throw'; error: unknown } | { kind: 'reject'; error: unknown };
const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  responseArb.map((value) => ({ kind: 'resolve' as const, value })),
  thrownArb.map((error) => ({ kind: 'throw' as const, error })),
  thrownArb.map((error) => ({ kind: 'reject' as const, error })),
);

describe('the engine under fuzzing', () => {
  it('30,000 fuzzed answers with hooks that throw, hang or return garbage: one outcome each, nothing thrown', async () => {
    const behaviours = fc.sample(behaviourArb, { numRuns: 30_000, seed: 42 });
    const events: EngineEvent[] = [];
    let hookCalls = 0;
    const hostile = (i: number): unknown => {
      hookCalls++;
      switch (i % 4) {
        case 0:
          throw new Error('hook threw');
        case 1:
          return new Promise(() => {}); // hangs forever
        case 2:
          return Promise.reject(Object.assign(new Error('hook rejected'), { token: 'not-a-secret' }));
        default:
          return { garbage: Symbol('x'), then: 42 };
      }
    };
    interface Msg {
      i: number;
      token: string;
    }
    const engine = createSender<Msg>(
      (m) => {
        const b = behaviours[m.i]!;
        if (b.kind === 'throw') throw b.error;
        if (b.kind === 'reject') return Promise.reject(b.error);
        return { ...b.value, provider: 'fcm' };
      },
      {
        provider: 'fcm',
        target: (m) => ({ project: 'fuzz', token: m.token }),
        retry: { maxAttempts: 2, initialDelayMs: 0, maxDelayMs: 1, minDelayMs: 0, maxRetryAfterMs: 5, defaultRetryAfterMs: 0 },
        limits: false,
        prune: { batchSize: 50, flushMs: 5, hookTimeoutMs: 20, hookAttempts: 2, valve: false },
        onDropToken: () => hostile(hookCalls),
        onFixRequest: () => hostile(hookCalls),
        onFatal: () => hostile(hookCalls),
        onEvent: (e) => {
          events.push(e);
          if (events.length % 7 === 0) throw new Error('onEvent threw');
        },
      },
    );
    const messages = behaviours.map((_, i) => ({ i, token: `fuzz-token-${i}-${'x'.repeat(20)}` }));
    const outcomes = [];
    for (let k = 0; k < messages.length; k += 2000) outcomes.push(...(await engine.sendMany(messages.slice(k, k + 2000))));
    await Promise.race([engine.close(), new Promise((r) => setTimeout(r, 5000))]);
    expect(outcomes).toHaveLength(30_000);
    const outcomeKinds = new Set<string>(OUTCOMES);
    const wrong = outcomes.filter((o, i) => o.message.i !== i || !outcomeKinds.has(o.outcome) || o.attempts < 1 || o.attempts > 2);
    expect(wrong).toEqual([]);
    const counted = events.filter((e) => e.type === 'outcome').length;
    expect(counted).toBe(30_000);
    expect(hookCalls).toBeGreaterThan(0);
    // Tokens whose hook failed are reported, never dropped silently.
    const drops = outcomes.filter((o) => o.outcome === 'dropped-token').length;
    if (drops > 0) expect(events.some((e) => e.type === 'error' && e.error.name === 'PruneHookError')).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  }, 120_000);

  it('a 50 MB answer through the FCM sender and the engine is classified by its status', async () => {
    const fake = await startFakeProvider({ fcmAccessTokens: ['t'] });
    try {
      const huge = '<html>' + 'x'.repeat(50 * 2 ** 20) + '</html>';
      fake.script({ route: 'fcm', status: 502, body: huge, headers: { 'content-type': 'text/html' } });
      const s = fcmSender({ projectId: 'p', credential: { getAccessToken: () => 't' }, url: fake.url, tls: { ca: fake.ca }, timeoutMs: 30_000 });
      const engine = createSender((m: { token: string }, ctx) => s.send({ token: m.token }, ctx), {
        provider: 'fcm',
        target: (m) => s.target({ token: m.token }),
        retry: { maxAttempts: 2, minDelayMs: 0, initialDelayMs: 1, maxDelayMs: 1 },
      });
      const o = await engine.send({ token: 'tok-50mb' });
      expect(o.verdicts[0]!.status).toBe(502);
      expect(o.verdicts[0]!.action).toBe('retry');
      expect(o.outcome).toBe('delivered'); // the retry got the normal answer
      await engine.close();
      await s.close();
    } finally {
      await fake.close();
    }
  }, 60_000);
});
