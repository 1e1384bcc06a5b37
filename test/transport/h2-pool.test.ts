import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { FramesPool } from '../../src/transport/frames-pool.js';
import { H2SessionPool } from '../../src/transport/h2-pool.js';
import { TransportError } from '../../src/transport/transport-error.js';
import type { TransportOptions } from '../../src/transport/types.js';

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

function pool(extra: Partial<TransportOptions> = {}): H2SessionPool | FramesPool {
  const p = new Pool({ origin: fake.url, connections: 2, timeoutMs: 5000, warmUp: true, maxImmediateRetries: 2, tls: { ca: fake.ca }, ...extra });
  pools.push(p);
  return p;
}

const fcm = (token: string) => ({
  path: '/v1/projects/p/messages:send',
  headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
  body: JSON.stringify({ message: { token } }),
});

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s pool', (kind) => {
  beforeAll(() => {
    Pool = kinds[kind];
  });
  it('returns status, lower-case headers without pseudo-headers, and the body text', async () => {
    const res = await pool().request(fcm('a'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(Object.keys(res.headers).some((k) => k.startsWith(':'))).toBe(false);
    expect(JSON.parse(res.body).name).toMatch(/^projects\/p\/messages\//);
  });

  it('rejects a bad `connections`', () => {
    expect(() => new Pool({ origin: fake.url, connections: 0, timeoutMs: 1, warmUp: false, maxImmediateRetries: 0 })).toThrow(RangeError);
  });

  it('re-sends a refused stream at most maxImmediateRetries times, then fails as not sent', async () => {
    const p = pool({ maxImmediateRetries: 2 });
    await p.request(fcm('warm'));
    fake.script({ route: 'fcm', token: 'r', transport: 'refuse', times: Infinity });
    const err = (await p.request(fcm('r')).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: 'ERR_HTTP2_REFUSED_STREAM', requestSent: false });
    expect(fake.requests({ token: 'r' })).toHaveLength(3);
    // The classifier reads the code: retry, and not "maybe delivered".
    expect(classify({ provider: 'fcm', error: err })).toMatchObject({ action: 'retry', maybeDelivered: false });
  });

  it('a connection refused by the host fails as not sent', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const p = pool({ origin: `https://127.0.0.1:${port}`, maxImmediateRetries: 1 });
    const err = (await p.request(fcm('x')).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.requestSent).toBe(false);
  });

  it('times out requests on a connection that never finishes its handshake (not sent), and reconnects', async () => {
    // A TCP server that accepts and then says nothing: the TLS handshake never completes.
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const p = pool({ origin: `https://127.0.0.1:${port}`, connections: 1, timeoutMs: 100 });
      const errs = await Promise.all(Array.from({ length: 5 }, (_, i) => p.request(fcm(`s${i}`)).catch((e: unknown) => e as TransportError)));
      for (const e of errs) expect(e).toMatchObject({ code: 'ETIMEDOUT', requestSent: false });
      expect(p.openSessions).toBe(0);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('close() lets in-flight requests finish, then refuses new ones without sending', async () => {
    const p = pool({ connections: 1 });
    await p.request(fcm('warm'));
    fake.script({ route: 'fcm', token: 'slow', latencyMs: 50 });
    const inflight = p.request(fcm('slow'));
    await new Promise((r) => setTimeout(r, 10));
    await p.close();
    expect((await inflight).status).toBe(200);
    await expect(p.request(fcm('late'))).rejects.toMatchObject({ requestSent: false });
    expect(p.openSessions).toBe(0);
  });

  it('a GOAWAY that keeps an in-flight stream lets it finish; streams above it are re-sent on a new connection', async () => {
    const p = pool({ connections: 1 });
    await p.request(fcm('warm'));
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 20 }] });
    // The 3rd stream of the burst triggers GOAWAY(lastStreamId = itself) after the others arrived.
    fake.script({ route: 'fcm', transport: 'goaway', latencyMs: 5, where: (r) => r.streamId === 7, goaway: { lastStreamId: 7 } });
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => p.request(fcm(`g${i}`))));
    expect(res.every((r) => r.status === 200)).toBe(true);
    const sessions = new Set(fake.requests({ route: 'fcm', status: 200 }).map((e) => e.session));
    expect(sessions.size).toBe(2);
    expect(fake.requests({ route: 'fcm', status: 200 })).toHaveLength(11);
  });
});

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s pool close()', (kind) => {
  beforeAll(() => {
    Pool = kinds[kind];
  });
  it('still times out a hung request, so close() ends', async () => {
    const p = pool({ timeoutMs: 100, connections: 1 });
    await p.request(fcm('warm'));
    fake.script({ route: 'fcm', token: 'hung', transport: 'hang' });
    const hung = p.request(fcm('hung')).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 10));
    await p.close();
    expect(await hung).toMatchObject({ code: 'ETIMEDOUT', requestSent: true });
  });
});
