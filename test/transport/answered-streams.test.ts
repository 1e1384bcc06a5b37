/**
 * A stream whose status arrived was processed, whatever the connection says afterwards. A server that
 * answers a stream and then sends GOAWAY with a lower last stream id (nghttp2 then drops the body it had
 * queued for that stream) must not make the client re-send the request as "never processed": that would
 * deliver a message the server already answered, e.g. a 503 whose Retry-After outlives the message.
 * Both HTTP/2 pools, against a real node:http2 server.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../../src/testing/cert.js';
import { FramesPool } from '../../src/transport/frames-pool.js';
import { H2SessionPool } from '../../src/transport/h2-pool.js';
import { TransportError } from '../../src/transport/transport-error.js';

let key: string;
let cert: string;
const cleanup: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  ({ key, cert } = await testCertificate());
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Answers each stream per `answer`; counts the requests that reached it. */
async function server(answer: (stream: http2.ServerHttp2Stream, n: number) => void): Promise<{ port: number; arrived: () => number }> {
  const s = http2.createSecureServer({ key, cert });
  const sessions = new Set<http2.ServerHttp2Session>();
  s.on('session', (x) => {
    sessions.add(x);
    x.on('close', () => sessions.delete(x));
  });
  let n = 0;
  s.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => answer(stream, ++n));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const x of sessions) x.destroy();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return { port: (s.address() as AddressInfo).port, arrived: () => n };
}

/** GOAWAY whose last stream id is the one before `stream` (nghttp2 replaces a last stream id of 0). */
const goawayBelow = (stream: http2.ServerHttp2Stream) => stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id! - 2);
const ok = (stream: http2.ServerHttp2Stream) => stream.respond({ ':status': 200 }, { endStream: true });

const kinds = { http2: H2SessionPool, frames: FramesPool } as const;
const req = { path: '/x', headers: { 'content-type': 'application/json' }, body: '{"m":1}' };

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s pool: answered streams', (kind) => {
  function pool(port: number) {
    const p = new kinds[kind]({ origin: `https://localhost:${port}`, connections: 1, timeoutMs: 10_000, warmUp: false, maxImmediateRetries: 2, tls: { ca: cert } });
    cleanup.push(() => p.close());
    return p;
  }

  it('an answer followed by GOAWAY below its stream keeps the status (body marked truncated) and is not re-sent', async () => {
    const srv = await server((stream, n) => {
      if (n !== 2) return ok(stream);
      // The headers go out before the GOAWAY; the body, queued behind it, is dropped by nghttp2, which
      // then closes the stream with REFUSED_STREAM.
      stream.respond({ ':status': 503, 'retry-after': '2', 'content-type': 'application/json' });
      stream.write('{"error":{"code":503,"status":"UNAVAILABLE"}}');
      goawayBelow(stream);
    });
    const p = pool(srv.port);
    expect((await p.request(req)).status).toBe(200);
    const res = await p.request(req);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toBe('');
    expect(res.truncated).toBe(true);
    expect(srv.arrived()).toBe(2);
  });

  it('a stream reset after its status keeps the status, body marked truncated', async () => {
    const srv = await server((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.write('{"name":"projects/p/mess');
      setTimeout(() => stream.destroy(new Error('gone')), 20); // RST_STREAM(INTERNAL_ERROR), no END_STREAM
    });
    const res = await pool(srv.port).request(req);
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"name":"projects/p/mess');
    expect(res.truncated).toBe(true);
    expect(srv.arrived()).toBe(1);
  });

  it('a GOAWAY below a stream that got no status yet still fails it as not processed (re-sent once on a new connection)', async () => {
    const srv = await server((stream, n) => {
      if (n !== 2) return ok(stream);
      goawayBelow(stream);
    });
    const p = pool(srv.port);
    expect((await p.request(req)).status).toBe(200);
    const res = await p.request(req).catch((e: TransportError) => e);
    expect(res).not.toBeInstanceOf(TransportError);
    expect((res as { status: number }).status).toBe(200);
    expect(srv.arrived()).toBe(3); // warm-up, the refused one, its re-send
  });
});
