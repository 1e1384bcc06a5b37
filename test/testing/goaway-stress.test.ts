import { once } from 'node:events';
import http2 from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signApnsJwt, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { fcmBody, h2Request, h2Session } from './clients.js';

// Regression: with a GOAWAY queued, an RST_STREAM sent from inside a stream's 'end' listener (that is, inside
// nghttp2's receive loop) freed a stream nghttp2 was still processing, and glibc aborted the whole Node 20
// process ("corrupted size vs. prev_size") once ~200 streams were in flight. See outsideReceive in
// src/testing/exchange.ts.
describe('fake server under GOAWAY and reset storms', () => {
  let fake: FakeProvider;
  let jwt: string;
  beforeAll(async () => {
    fake = await startFakeProvider();
    jwt = signApnsJwt({ ...fake.apnsKey! });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const FCM = '/v1/projects/demo/messages:send';
  const fcmHeaders = { authorization: 'Bearer t', 'content-type': 'application/json' };

  interface Burst {
    /** Streams that got a complete response, by status. */
    statuses: number[];
    /** Streams that ended with an error or without a response. */
    failed: number;
    /** 'close' events seen: each stream must settle exactly once. */
    closed: number;
  }

  /**
   * A node:http2 session that has the server's SETTINGS: before them, the client assumes a limit of 100
   * concurrent streams and queues the rest, so a burst would not really be concurrent.
   */
  async function readySession(): Promise<http2.ClientHttp2Session> {
    const session = h2Session(fake);
    await once(session, 'remoteSettings');
    return session;
  }

  /** `n` concurrent POSTs on one fresh node:http2 session; resolves once every stream has closed. */
  async function burst(n: number): Promise<Burst> {
    const session = await readySession();
    return new Promise((resolve) => {
      const out: Burst = { statuses: [], failed: 0, closed: 0 };
      for (let i = 0; i < n; i++) {
        const req = session.request({ ':method': 'POST', ':path': FCM, ...fcmHeaders });
        let status = 0;
        let failed = false;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('error', () => (failed = true));
        req.on('close', () => {
          out.closed++;
          if (status > 0 && !failed && req.rstCode === http2.constants.NGHTTP2_NO_ERROR) out.statuses.push(status);
          else out.failed++;
          if (out.closed === n) {
            session.destroy();
            resolve(out);
          }
        });
        req.resume();
        req.end(fcmBody(`t${i}`));
      }
    });
  }

  it('answers or refuses every stream of 5 x 200 concurrent POSTs under random GOAWAY and reset faults, and stays up', async () => {
    fake.setFaults({ seed: 7, faults: [{ rate: 0.1, route: 'fcm', transport: 'goaway' }, { rate: 0.05, route: 'fcm', transport: 'reset' }] });
    let closed = 0;
    let failed = 0;
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const r = await burst(200);
      closed += r.closed;
      failed += r.failed;
      statuses.push(...r.statuses);
    }
    expect(closed).toBe(1000);
    expect(statuses.length + failed).toBe(1000);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const stats = fake.stats();
    // The storm really happened: GOAWAYs were sent and in-flight streams above lastStreamId were refused.
    expect(stats.byFault.goaway).toBeGreaterThan(0);
    expect(stats.byFault['refused-by-goaway']).toBeGreaterThan(0);
    // Every request the server saw is accounted for once the connections are gone.
    await vi.waitFor(() => expect(fake.stats().inFlight).toBe(0));

    fake.setFaults(null);
    const after = await burst(200);
    expect(after.statuses).toEqual(Array(200).fill(200));
  });

  it('GOAWAY in the middle of 200 concurrent streams: streams up to lastStreamId are answered, later ones are never processed', async () => {
    const aps = '{"aps":{"alert":"hi"}}';
    const headers = { authorization: `bearer ${jwt}`, 'apns-topic': 'com.example.app' };
    let cutInFlight = 0;
    for (const skip of [20, 99, 180]) {
      fake.reset();
      const s = await readySession();
      const goaways: Array<[number, number, string]> = [];
      s.on('goaway', (code, last, data) => goaways.push([code, last, data?.toString() ?? '']));
      try {
        fake.script({ route: 'apns', skip, transport: 'goaway' });
        const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => h2Request(s, `/3/device/d${i}`, headers, aps)));
        expect(goaways).toHaveLength(1);
        const [code, last, debug] = goaways[0]!;
        expect([code, debug]).toEqual([http2.constants.NGHTTP2_NO_ERROR, '{"reason":"Shutdown"}']);

        // Client side: every stream settled; the answered ones are exactly the streams up to lastStreamId.
        const answered = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(answered.every((r) => r.status === 200 && r.streamId! <= last)).toBe(true);
        expect(answered).toHaveLength((last + 1) / 2);
        // Server side: nothing above lastStreamId was processed, and every stream up to it was answered.
        const log = fake.log.filter((e) => e.route === 'apns');
        const above = log.filter((e) => e.streamId! > last);
        expect(above.every((e) => e.status === 0 && e.fault !== undefined)).toBe(true);
        cutInFlight += above.length;
        expect(log.filter((e) => e.status === 200).map((e) => e.streamId).sort((a, b) => a! - b!)).toEqual(answered.map((r) => r.streamId).sort((a, b) => a! - b!));
        // The server closes the session after the GOAWAY.
        if (!s.closed && !s.destroyed) await new Promise((r) => s.once('close', r));
      } finally {
        s.destroy();
      }
    }
    // Streams above lastStreamId had reached the server when the GOAWAY went out (they were refused there).
    expect(cutInFlight).toBeGreaterThan(0);
  });
});
