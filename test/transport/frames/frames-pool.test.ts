/**
 * The frames transport against real node:http2 (nghttp2) servers: what a server's HPACK encoder sends is
 * decoded exactly, flow control and stream limits are honoured both ways, large header blocks use
 * CONTINUATION, and a server that speaks something else fails the requests cleanly (never a throw).
 */
import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../../../src/testing/cert.js';
import { FramesPool } from '../../../src/transport/frames-pool.js';
import { TransportError } from '../../../src/transport/transport-error.js';
import type { TransportOptions } from '../../../src/transport/types.js';

let key: string;
let cert: string;
const cleanup: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  ({ key, cert } = await testCertificate());
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function listen(server: http2.Http2SecureServer | http2.Http2Server | ReturnType<typeof createTlsServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

function h2Server(settings: http2.Settings, onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const server = http2.createSecureServer({ key, cert, settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', onStream);
  cleanup.push(() => {
    for (const s of sessions) s.destroy();
  });
  return server;
}

function pool(port: number, extra: Partial<TransportOptions> = {}): FramesPool {
  const p = new FramesPool({ origin: `https://localhost:${port}`, connections: 1, timeoutMs: 10_000, warmUp: true, maxImmediateRetries: 2, tls: { ca: cert }, ...extra });
  cleanup.push(() => p.close());
  return p;
}

const req = (body: string | Buffer = '{}', headers: Record<string, string> = {}) => ({ path: '/x', headers: { 'content-type': 'application/json', ...headers }, body });

describe('FramesPool against node:http2 servers', () => {
  it("decodes every response header exactly as the server's HPACK encoder sent it, over 300 responses on one connection", async () => {
    // Values that repeat (dynamic table hits), change (new entries, evictions), Huffman-friendly or not.
    const headersFor = (i: number): Record<string, string | string[]> => ({
      'x-seq': String(i),
      'x-repeat': 'the same value every time',
      'x-bytes': Buffer.from(Array.from({ length: 40 }, (_, k) => (i * 7 + k * 13) % 256)).toString('base64'),
      'x-long': 'v'.repeat(100 + (i % 50)) + i,
      'set-cookie': [`a=${i}`, `b=${i * 2}`],
      'x-upper-ish': `%~^|${'&'.repeat(i % 5)}`,
    });
    const server = h2Server({}, (stream, h) => {
      const i = Number(h['x-i']);
      stream.respond({ ':status': 200 + (i % 3), ...headersFor(i) });
      stream.end(`body ${i}`);
    });
    const p = pool(await listen(server));
    await p.request(req('{}', { 'x-i': '0' }));
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => p.request(req('{}', { 'x-i': String(i) }))));
    results.forEach((res, i) => {
      expect(res.status).toBe(200 + (i % 3));
      expect(res.body).toBe(`body ${i}`);
      const want = headersFor(i);
      for (const [name, value] of Object.entries(want)) expect(res.headers[name], name).toBe(Array.isArray(value) ? value.join(', ') : value);
      expect(Object.keys(res.headers).some((k) => k.startsWith(':'))).toBe(false);
    });
  });

  it('sends a 1 MB body through the flow-control windows intact, while small requests share the connection', async () => {
    const server = h2Server({ initialWindowSize: 16_384 }, (stream) => {
      const hash = createHash('sha256');
      let n = 0;
      stream.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`${n} ${hash.digest('hex')}`);
      });
    });
    const p = pool(await listen(server));
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const [res, ...small] = await Promise.all([p.request(req(big)), ...Array.from({ length: 50 }, () => p.request(req('{"a":1}')))]);
    expect(res!.body).toBe(`${big.length} ${createHash('sha256').update(big).digest('hex')}`);
    for (const s of small) expect(s.body).toMatch(/^7 /);
  });

  it("never opens more streams than the server's MAX_CONCURRENT_STREAMS; the excess waits and is sent", async () => {
    let open = 0;
    let peak = 0;
    const server = h2Server({ maxConcurrentStreams: 3 }, (stream) => {
      open++;
      peak = Math.max(peak, open);
      stream.resume();
      stream.on('close', () => open--);
      setTimeout(() => {
        stream.respond({ ':status': 200 });
        stream.end('ok');
      }, 5);
    });
    const p = pool(await listen(server));
    const results = await Promise.all(Array.from({ length: 60 }, () => p.request(req())));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(peak).toBe(3);
  });

  it('reads a response header block split over CONTINUATION frames, and sends one', async () => {
    const big = 'h'.repeat(40_000);
    let received = '';
    const server = h2Server({ maxHeaderListSize: 200_000 }, (stream, h) => {
      received = String(h['x-big-request']);
      stream.respond({ ':status': 200, 'x-big': big });
      stream.end();
    });
    const p = pool(await listen(server));
    const res = await p.request(req('{}', { 'x-big-request': 'r'.repeat(40_000) }));
    expect(res.headers['x-big']).toBe(big);
    expect(received).toBe('r'.repeat(40_000));
  });

  it('skips informational responses and ignores trailers', async () => {
    const server = h2Server({}, (stream) => {
      stream.resume();
      stream.additionalHeaders({ ':status': 103, link: '</x>; rel=preload' });
      stream.respond({ ':status': 201, 'x-a': '1' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-trailer': 't' }));
      stream.end('done');
    });
    const res = await pool(await listen(server)).request(req());
    expect(res).toMatchObject({ status: 201, body: 'done' });
    expect(res.headers['x-a']).toBe('1');
    expect(res.headers['link']).toBeUndefined();
    expect(res.headers['x-trailer']).toBeUndefined();
  });

  it('speaks h2c to an http: origin', async () => {
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.resume();
      stream.respond({ ':status': 200 });
      stream.end('plain');
    });
    const port = await listen(server);
    const p = new FramesPool({ origin: `http://127.0.0.1:${port}`, connections: 1, timeoutMs: 5000, warmUp: false, maxImmediateRetries: 0 });
    cleanup.push(() => p.close());
    expect((await p.request(req())).body).toBe('plain');
  });

  it('rejects a header value with CR/LF or a bad name before anything is sent', async () => {
    let streams = 0;
    const server = h2Server({}, (stream) => {
      streams++;
      stream.respond({ ':status': 200 });
      stream.end();
    });
    const p = pool(await listen(server));
    await expect(p.request(req('{}', { 'apns-topic': 'a\r\nx-injected: 1' }))).rejects.toMatchObject({ code: 'ERR_INVALID_CHAR', requestSent: false });
    await expect(p.request(req('{}', { 'Bad Name': 'x' }))).rejects.toMatchObject({ code: 'ERR_INVALID_HTTP_TOKEN', requestSent: false });
    expect((await p.request(req())).status).toBe(200);
    expect(streams).toBe(1);
  });

  it('a server that does not negotiate h2 (no ALPN) fails the request as not sent, with the reason', async () => {
    const server = createTlsServer({ key, cert }, (s: TLSSocket) => s.on('data', () => {}));
    const p = pool(await listen(server), { maxImmediateRetries: 1 });
    const err = (await p.request(req()).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.requestSent).toBe(false);
    expect(err.message).toMatch(/did not negotiate HTTP\/2/);
  });

  it('a server that answers with garbage fails the requests in flight as maybe delivered, without throwing', async () => {
    const server = createTlsServer({ key, cert, ALPNProtocols: ['h2'] }, (s: TLSSocket) => {
      s.once('data', () => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n<html>proxy</html>'.repeat(20))));
    });
    const p = pool(await listen(server), { warmUp: false });
    const errs = await Promise.all(Array.from({ length: 5 }, () => p.request(req()).catch((e: unknown) => e as TransportError)));
    for (const e of errs) {
      expect(e).toBeInstanceOf(TransportError);
      expect(e).toMatchObject({ code: 'ECONNRESET', requestSent: true });
      expect((e as TransportError).message).toMatch(/protocol error|frame of/i);
    }
  });

  it('random frames from a server never throw: every request settles with a response or a TransportError', async () => {
    // A seeded stream of well-formed frame headers (random type, flags, stream id, length) with random
    // payloads, after a valid SETTINGS: exercises every frame handler with nonsense.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const junk = (): Buffer => {
      const frames: Buffer[] = [Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])];
      for (let i = 0; i < 1 + rand(6); i++) {
        const len = [0, 4, 5, 8, rand(64)][rand(5)]!;
        const head = Buffer.from([0, 0, len, rand(11), rand(256), 0, 0, 0, [0, 1, 3, 5][rand(4)]!]);
        frames.push(head, Buffer.from(Array.from({ length: len }, () => rand(256))));
      }
      return Buffer.concat(frames);
    };
    const server = createTlsServer({ key, cert, ALPNProtocols: ['h2'] }, (sock: TLSSocket) => {
      sock.on('error', () => {});
      sock.once('data', () => sock.write(junk()));
    });
    const port = await listen(server);
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const p = new FramesPool({ origin: `https://localhost:${port}`, connections: 1, timeoutMs: 300, warmUp: false, maxImmediateRetries: 0, tls: { ca: cert } });
          try {
            const r = await p.request(req()).then(
              (res) => `status ${res.status}`,
              (e: unknown) => (e instanceof TransportError ? e.code : `not a TransportError: ${String(e)}`),
            );
            outcomes.push(r);
          } finally {
            await p.close();
          }
        }),
      );
    }
    expect(outcomes).toHaveLength(100);
    expect(outcomes.filter((o) => o.startsWith('not a'))).toEqual([]);
  });
});
