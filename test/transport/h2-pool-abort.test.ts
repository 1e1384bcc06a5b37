/**
 * AbortSignals shared by many requests: the engine hands every request one never-aborting signal when
 * the caller gave none, and `sendMany(messages, { signal })` shares the caller's. A listener per request
 * on it trips Node's MaxListenersExceededWarning past 10 requests in flight.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFcmSender } from '../../src/fcm/index.js';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { FramesPool } from '../../src/transport/frames-pool.js';
import { H2SessionPool } from '../../src/transport/h2-pool.js';
import { TransportError } from '../../src/transport/transport-error.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import type { Transport, TransportOptions } from '../../src/transport/types.js';

let fake: FakeProvider;
const open: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['t'] });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  fake.reset();
});

const fcm = (token: string) => ({
  path: '/v1/projects/p/messages:send',
  headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
  body: JSON.stringify({ message: { token } }),
});

/** Runs `fn` and returns the process warnings emitted meanwhile (Node emits them on a later tick). */
async function warningsDuring(fn: () => Promise<unknown>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (w: Error) => seen.push(w);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

const transports: Record<string, (o: TransportOptions) => Transport> = {
  frames: (o) => new FramesPool(o),
  http2: (o) => new H2SessionPool(o),
  undici: (o) => new UndiciTransport(o),
};

describe.each(Object.keys(transports))('%s transport: one signal shared by many requests', (kind) => {
  function transport(): Transport {
    const t = transports[kind]!({ origin: fake.url, connections: 2, timeoutMs: 30_000, warmUp: true, maxImmediateRetries: 2, tls: { ca: fake.ca } });
    open.push(t);
    return t;
  }

  it('a burst of 300 requests on one signal emits no MaxListenersExceededWarning', async () => {
    const t = transport();
    const signal = new AbortController().signal;
    const warnings = await warningsDuring(() => Promise.all(Array.from({ length: 300 }, (_, i) => t.request(fcm(`w${i}`), signal))));
    expect(warnings.map((w) => w.name)).toEqual([]);
  });

  it('aborting the shared signal fails every request in flight', async () => {
    const t = transport();
    await t.request(fcm('warm'));
    fake.script({ route: 'fcm', transport: 'hang', times: Infinity });
    const ac = new AbortController();
    const inflight = Array.from({ length: 50 }, (_, i) => t.request(fcm(`a${i}`), ac.signal).catch((e: unknown) => e));
    while (fake.stats().inFlight < 50) await new Promise((r) => setImmediate(r));
    ac.abort();
    for (const e of await Promise.all(inflight)) expect(e).toMatchObject({ code: 'ABORT_ERR' });
    expect((await Promise.all(inflight)).every((e) => e instanceof TransportError)).toBe(true);
  });
});

describe('engine + sender without a caller signal', () => {
  it('sendMany of 500 messages emits no MaxListenersExceededWarning', async () => {
    const s = createFcmSender({ projectId: 'p', credential: { getAccessToken: () => 't' }, url: fake.url, tls: { ca: fake.ca } }, { limits: { concurrency: 200 } });
    open.push(s);
    let outcomes: { outcome: string }[] = [];
    const warnings = await warningsDuring(async () => {
      outcomes = await s.sendMany(Array.from({ length: 500 }, (_, i) => ({ token: `m${i}` })));
    });
    expect(warnings.map((w) => w.name)).toEqual([]);
    expect(outcomes.every((o) => o.outcome === 'delivered')).toBe(true);
  });
});
