/**
 * A 50 MB error body is not read: the transports keep the first 64 KiB, cancel the rest, and the
 * senders hand the status and that start to the classifier, which classifies by status.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { fcmSender } from '../../src/fcm/index.js';
import { testCertificate } from '../../src/testing/cert.js';
import { FramesPool } from '../../src/transport/frames-pool.js';
import { H2SessionPool } from '../../src/transport/h2-pool.js';
import { DEFAULT_MAX_BODY_BYTES, type Transport, type TransportOptions } from '../../src/transport/types.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';

const HUGE = 50 * 1024 * 1024;
let server: http2.Http2SecureServer;
let origin: string;
let ca: string;
/** Per response: bytes the server managed to hand to its response stream. */
const sent: { bytes: number }[] = [];

beforeAll(async () => {
  const { key, cert } = await testCertificate();
  ca = cert;
  const body = Buffer.alloc(HUGE, 0x78);
  server = http2.createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const record = { bytes: 0 };
      sent.push(record);
      res.writeHead(502, { 'content-type': 'text/html' });
      // Write in 256 KiB pieces, counting what the transport lets through before it cancels.
      let off = 0;
      const pump = () => {
        while (off < HUGE && !res.destroyed) {
          const piece = body.subarray(off, off + 256 * 1024);
          off += piece.length;
          record.bytes += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const opts = (): TransportOptions => ({ origin, connections: 1, timeoutMs: 30_000, warmUp: false, maxImmediateRetries: 0, tls: { ca } });
const request = { path: '/v1/projects/p/messages:send', headers: { 'content-type': 'application/json' }, body: '{}' };

describe.each([
  ['frames', (o: TransportOptions): Transport => new FramesPool(o)],
  ['http2', (o: TransportOptions): Transport => new H2SessionPool(o)],
  ['undici', (o: TransportOptions): Transport => new UndiciTransport(o)],
])('%s transport: body cap', (_kind, make) => {
  it('reads 64 KiB of a 50 MB body, marks it truncated, and stops the server sending the rest', async () => {
    const t = make(opts());
    try {
      sent.length = 0;
      const res = await t.request(request);
      expect(res.status).toBe(502);
      expect(res.truncated).toBe(true);
      expect(Buffer.byteLength(res.body)).toBe(DEFAULT_MAX_BODY_BYTES);
      expect(res.body).toMatch(/^x+$/);
      // The server could not push the 50 MB through (HTTP/2 flow control, TCP backpressure): the client
      // took its 64 KiB and cancelled the rest.
      expect(sent[0]!.bytes).toBeLessThan(HUGE / 4);
    } finally {
      await t.close();
    }
  });

  it('a body within the cap is read whole and not marked', async () => {
    const small = make({ ...opts(), maxBodyBytes: HUGE + 1 });
    try {
      const res = await small.request(request);
      expect(res.truncated).toBeUndefined();
      expect(res.body.length).toBe(HUGE);
    } finally {
      await small.close();
    }
  });
});

describe('fcmSender with a 50 MB answer', () => {
  it('returns the start as text, flagged, and the classifier goes by the status', async () => {
    const s = fcmSender({ projectId: 'p', credential: { getAccessToken: () => 't' }, url: origin, tls: { ca } });
    try {
      const res = await s.send({ token: 'x' });
      expect(res).toMatchObject({ status: 502, bodyTruncated: true });
      expect(typeof res.body).toBe('string');
      expect(classify({ provider: 'fcm', status: res.status, headers: res.headers, body: res.body })).toMatchObject({ action: 'retry', status: 502 });
    } finally {
      await s.close();
    }
  });
});
