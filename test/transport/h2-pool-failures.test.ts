/**
 * Connection failures fail fast: requests on a dead connection settle at once (or within a few liveness
 * sweeps), never by their timeout, and new requests go to a fresh connection. Every test runs with a
 * request timeout far above the time it takes, and asserts on what the requests settled with: a request
 * that waited for its timeout settles with ETIMEDOUT.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { FramesPool } from '../../src/transport/frames-pool.js';
import { H2SessionPool } from '../../src/transport/h2-pool.js';
import { TransportError } from '../../src/transport/transport-error.js';
import type { TransportOptions } from '../../src/transport/types.js';
import { startFreezeProxy } from '../helpers/freeze-proxy.js';

let fake: FakeProvider;
const pools: (H2SessionPool | FramesPool)[] = [];
/** Both HTTP/2 pools pass the same tests: node:http2 sessions and pushback's own framing. */
const kinds = { http2: H2SessionPool, frames: FramesPool } as const;
let Pool: (typeof kinds)[keyof typeof kinds] = H2SessionPool;
beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['t'] });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  fake.reset();
});

/** Far longer than any of these tests may take: a request that waits for it settles with ETIMEDOUT. */
const LONG_TIMEOUT = 45_000;

function pool(extra: Partial<TransportOptions> = {}): H2SessionPool | FramesPool {
  const p = new Pool({ origin: fake.url, connections: 2, timeoutMs: LONG_TIMEOUT, warmUp: true, maxImmediateRetries: 2, tls: { ca: fake.ca, servername: 'localhost' }, ...extra });
  pools.push(p);
  return p;
}

const fcm = (token: string) => ({
  path: '/v1/projects/p/messages:send',
  headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
  body: JSON.stringify({ message: { token, data: { pad: 'x'.repeat(200) } } }),
});

/** What a request settled with: the status, or the error's code and whether it may have been delivered. */
const outcome = (p: Promise<{ status: number }>) =>
  p.then(
    (r) => String(r.status),
    (e: TransportError) => `${e.code}${e.requestSent ? ' (maybe delivered)' : ''}`,
  );

function tally(results: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s pool: connection failures fail fast', (kind) => {
  beforeAll(() => {
    Pool = kinds[kind];
  });
  it('a reset in the middle of a burst fails every request in flight at once, as maybe delivered; the next goes to a new connection', async () => {
    const p = pool({ connections: 1 });
    await p.request(fcm('warm'));
    // Every request waits 30 ms at the server, so the whole burst is in flight when the 20th arrives.
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 30 }] });
    fake.script({ route: 'fcm', skip: 19, transport: 'reset' });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => outcome(p.request(fcm(`b${i}`)))));
    const t = tally(results);
    expect(t['ETIMEDOUT (maybe delivered)']).toBeUndefined();
    expect(t['ECONNRESET (maybe delivered)']).toBeGreaterThan(0);
    expect(Object.keys(t).every((k) => k === '200' || k === 'ECONNRESET (maybe delivered)')).toBe(true);
    fake.setFaults(null);
    expect((await p.request(fcm('after'))).status).toBe(200);
    const sessions = new Set(fake.requests({ route: 'fcm' }).map((e) => e.session));
    expect(sessions.size).toBe(2);
  });

  it('a connection that goes silent (black hole) fails its requests after an unanswered PING, before their timeout; new requests reconnect', async () => {
    const proxy = await startFreezeProxy(fake.port);
    try {
      // The PING gets half the request timeout.
      const p = pool({ origin: proxy.url, connections: 1, timeoutMs: 4000 });
      await p.request(fcm('warm'));
      fake.script({ route: 'fcm', transport: 'hang', times: Infinity });
      const inflight = Array.from({ length: 20 }, (_, i) => p.request(fcm(`h${i}`)).catch((e: unknown) => e as TransportError));
      // Wait until the server holds all 20, then cut the path.
      while (fake.stats().inFlight < 20) await new Promise((r) => setImmediate(r));
      proxy.freeze();
      const errors = await Promise.all(inflight);
      for (const e of errors) {
        expect(e).toBeInstanceOf(TransportError);
        expect(e).toMatchObject({ code: 'ECONNRESET', requestSent: true });
        expect((e as TransportError).message).toMatch(/no answer to PING/);
      }
      fake.reset();
      expect((await p.request(fcm('after'))).status).toBe(200);
      expect(proxy.connections).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('a slow but healthy connection answers the liveness PING and keeps its requests', async () => {
    // Sweeps every 250 ms (a quarter of the timeout, at most 250 ms); each answer takes four sweeps.
    const p = pool({ connections: 1, timeoutMs: 5000 });
    await p.request(fcm('warm'));
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 1000 }] });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(p.request(fcm(`s${i}`)))));
    expect(tally(results)).toEqual({ '200': 20 });
    expect(new Set(fake.requests({ route: 'fcm' }).map((e) => e.session)).size).toBe(1);
  });

  it('under steady traffic with connection resets, no request waits for its timeout', async () => {
    // 200 callers, each sending its next request as soon as the previous one settles (as the engine
    // does), while 1 request in 100 resets its connection. Node 20 then leaves some sessions open on a
    // socket the kernel already closed (nodejs/node#61304, see socket-gone.ts): their requests settle
    // only through the liveness check.
    const p = pool();
    fake.setFaults({ seed: 3, faults: [{ rate: 0.01, transport: 'reset' }] });
    const results: string[] = [];
    let n = 0;
    const caller = async () => {
      while (n < 3000) {
        n++;
        results.push(await outcome(p.request(fcm(`c${n}`))));
      }
    };
    await Promise.all(Array.from({ length: 200 }, caller));
    const t = tally(results);
    expect(results).toHaveLength(3000);
    expect(t['ETIMEDOUT (maybe delivered)']).toBeUndefined();
    expect(t['ECONNRESET (maybe delivered)']).toBeGreaterThan(0);
    expect(t['200']).toBeGreaterThan(0);
    expect(fake.stats().byFault['reset']).toBeGreaterThan(5);
  });
});
