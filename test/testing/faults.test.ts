import http2 from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultBook, type RequestInfo } from '../../src/testing/faults.js';
import { signApnsJwt, startFakeProvider, type FakeProvider, type LogEntry } from '../../src/testing/index.js';
import { fcmBody, h1Post, h2Request, h2Session, undiciClient, undiciPost } from './clients.js';

let fake: FakeProvider;
let jwt: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  jwt = signApnsJwt({ ...fake.apnsKey! });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const FCM = '/v1/projects/demo/messages:send';
const fcmHeaders = { authorization: 'Bearer any', 'content-type': 'application/json' };
const apnsHeaders = () => ({ authorization: `bearer ${jwt}`, 'apns-topic': 'com.example.app' });
const aps = '{"aps":{"alert":"hi"}}';

function info(partial: Partial<RequestInfo>): RequestInfo {
  return { route: 'apns', provider: 'apns', n: 1, proto: 'h2', headers: {}, body: undefined, ...partial };
}

describe('FaultBook', () => {
  it('matches rules in order by route, provider, token, project and predicate, honouring skip and times', () => {
    const book = new FaultBook();
    expect(book.empty).toBe(true);
    book.script([
      { route: 'fcm', token: 'a', status: 500, times: 2 },
      { route: 'xiaomi', status: 501 },
      { project: 'p', skip: 1, status: 502 },
      { where: (r) => r.n === 99, status: 503, times: Infinity },
    ]);
    expect(book.pick(info({ route: 'apns', token: 'a' }))).toBeUndefined();
    expect(book.pick(info({ route: 'fcm', provider: 'fcm', token: 'a' }))?.status).toBe(500);
    expect(book.pick(info({ route: 'fcm', provider: 'fcm', token: 'a' }))?.status).toBe(500);
    expect(book.pick(info({ route: 'fcm', provider: 'fcm', token: 'a' }))).toBeUndefined();
    expect(book.pick(info({ route: 'vendor', provider: 'xiaomi' }))?.status).toBe(501);
    expect(book.pick(info({ project: 'p' }))).toBeUndefined();
    expect(book.pick(info({ project: 'p' }))?.status).toBe(502);
    expect(book.pick(info({ n: 99 }))?.status).toBe(503);
    expect(book.pick(info({ n: 99 }))?.status).toBe(503);
    expect(book.pending()).toHaveLength(1);
  });

  it('matches a token among several (HMS)', () => {
    const book = new FaultBook();
    book.script({ token: ['x', 'y'], status: 500 });
    expect(book.pick(info({ route: 'hms', tokens: ['a', 'y'], token: 'a' }))?.status).toBe(500);
  });

  it('consults token rules and other rules together in scripting order, among 50,000 token rules', () => {
    const book = new FaultBook();
    book.script([{ route: 'apns', status: 500, skip: 1 }, { token: 't', status: 501 }, { route: 'apns', status: 502 }, { token: 't', status: 503 }]);
    for (let i = 0; i < 50_000; i++) book.script({ token: `other${i}`, status: 504 });
    const t = () => book.pick(info({ token: 't' }))?.status;
    // The first rule lets one matching request through (to the token rule after it), then applies.
    expect([t(), t(), t(), t(), t()]).toEqual([501, 500, 502, 503, undefined]);
    expect(book.pending()).toHaveLength(50_000);
    expect(book.pick(info({ token: 'other49999' }))?.status).toBe(504);
    expect(book.pending()).toHaveLength(49_999);
  });

  it('draws random faults reproducibly from a seed, at about the given rate', () => {
    const draw = (seed: number) => {
      const book = new FaultBook();
      book.setRandom({ seed, faults: [{ rate: 0.2, status: 503 }, { rate: 0.1, transport: 'reset', route: 'apns' }] });
      return Array.from({ length: 2000 }, (_, n) => book.pick(info({ n, route: n % 2 ? 'apns' : 'fcm', provider: n % 2 ? 'apns' : 'fcm' })));
    };
    const a = draw(7);
    const b = draw(7);
    expect(a.map((f) => f?.status ?? f?.transport)).toEqual(b.map((f) => f?.status ?? f?.transport));
    expect(draw(8).map((f) => f?.status)).not.toEqual(a.map((f) => f?.status));
    const s503 = a.filter((f) => f?.status === 503).length;
    const resets = a.filter((f) => f?.transport === 'reset').length;
    expect(s503).toBeGreaterThan(320);
    expect(s503).toBeLessThan(480);
    expect(resets).toBeGreaterThan(60); // 1000 apns requests at 10%
    expect(resets).toBeLessThan(140);
  });
});

describe('scripted responses', () => {
  it('answers a provider code in the provider shape: APNs TooManyRequests, 410 with timestamp', async () => {
    fake.script([
      { route: 'apns', token: 't1', code: 'TooManyRequests' },
      { route: 'apns', token: 't2', code: 'Unregistered', timestamp: 1234 },
    ]);
    const client = undiciClient(fake);
    try {
      const r1 = await undiciPost(client, '/3/device/t1', { ...apnsHeaders(), 'apns-id': '123e4567-e89b-12d3-a456-426614174000' }, aps);
      expect([r1.status, r1.json, r1.headers['apns-id']]).toEqual([429, { reason: 'TooManyRequests' }, '123e4567-e89b-12d3-a456-426614174000']);
      const r2 = await undiciPost(client, '/3/device/t2', apnsHeaders(), aps);
      expect([r2.status, r2.json]).toEqual([410, { reason: 'Unregistered', timestamp: 1234 }]);
      expect((await undiciPost(client, '/3/device/t1', apnsHeaders(), aps)).status).toBe(200);
      expect(fake.stats().byCode).toEqual({ TooManyRequests: 1, Unregistered: 1 });
    } finally {
      await client.close();
    }
  });

  it('answers FCM QUOTA_EXCEEDED with Retry-After seconds and a QuotaFailure, or an HTTP-date', async () => {
    const when = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
    fake.script([
      { route: 'fcm', code: 'QUOTA_EXCEEDED', retryAfter: 30, quota: 'device' },
      { route: 'fcm', code: 'UNAVAILABLE', retryAfter: when },
      { route: 'fcm', code: 'INTERNAL', retryAfter: 'soon-ish' },
    ]);
    const q = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'));
    expect(q.status).toBe(429);
    expect(q.headers['retry-after']).toBe('30');
    expect(q.json.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(q.json.error.details.map((d: { '@type': string }) => d['@type'])).toEqual([
      'type.googleapis.com/google.firebase.fcm.v1.FcmError',
      'type.googleapis.com/google.rpc.QuotaFailure',
    ]);
    const u = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'));
    expect([u.status, u.headers['retry-after']]).toEqual([503, 'Wed, 02 Jan 2030 03:04:05 GMT']);
    const g = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'));
    expect([g.status, g.headers['retry-after']]).toEqual([500, 'soon-ish']);
  });

  it('answers any status and raw body, e.g. an HTML 502 from a proxy, and matches message content', async () => {
    fake.script({ route: 'fcm', status: 502, body: '<html><body>Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } });
    fake.script({ where: (r) => (r.body as { message?: { data?: { kind?: string } } })?.message?.data?.kind === 'promo', code: 'INTERNAL', times: Infinity });
    const html = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'));
    expect([html.status, html.text, html.headers['content-type']]).toEqual([502, '<html><body>Bad Gateway</body></html>', 'text/html']);
    expect((await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x', { data: { kind: 'news' } }))).status).toBe(200);
    expect((await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x', { data: { kind: 'promo' } }))).status).toBe(500);
  });

  it('maps firebase-admin, HMS and vendor codes to their wire shapes', async () => {
    fake.script([
      { route: 'fcm', provider: 'firebase-admin', code: 'messaging/registration-token-not-registered' },
      { route: 'hms', code: '80200003' },
      { route: 'vivo', code: '10072' },
      { route: 'cometchat', code: 'ERR_TOO_MANY_REQUESTS', status: 429, retryAfter: 60 },
    ]);
    const f = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'));
    expect([f.status, f.json.error.details[0].errorCode]).toEqual([404, 'UNREGISTERED']);
    const h = await h1Post(fake.http1Url, '/v1/app/messages:send', fcmHeaders, '{"message":{"token":["a"]}}');
    expect([h.status, h.json.code, h.json.msg]).toEqual([401, '80200003', 'Oauth Token expired']);
    const v = await h1Post(fake.http1Url, '/vendor/vivo/send', {}, '{}');
    expect([v.status, v.json.result]).toEqual([200, 10072]);
    const c = await h1Post(fake.http1Url, '/vendor/cometchat/send', {}, '{}');
    expect([c.status, c.json.error.code, c.headers['retry-after']]).toEqual([429, 'ERR_TOO_MANY_REQUESTS', '60']);
  });

  it('delays by latencyMs, then answers normally or with the fault', async () => {
    fake.script([{ route: 'fcm', token: 'a', latencyMs: 300 }, { route: 'fcm', token: 'b', latencyMs: 100, code: 'UNAVAILABLE' }]);
    const replies = await Promise.all(['a', 'b', 'c'].map((t) => h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody(t))));
    expect(replies.map((r) => r.status)).toEqual([200, 503, 200]);
    const [a, b, c] = ['a', 'b', 'c'].map((token) => fake.requests({ token })[0]!) as [LogEntry, LogEntry, LogEntry];
    expect(a.doneAt! - a.t).toBeGreaterThanOrEqual(295);
    expect(b.doneAt! - b.t).toBeGreaterThanOrEqual(95);
    expect(c.doneAt!).toBeLessThan(a.doneAt!);
    expect(fake.stats().maxInFlight).toBeGreaterThanOrEqual(2);
  });
});

describe('transport faults', () => {
  it('reset: destroys the connection with a TCP RST (HTTP/2 and HTTP/1.1)', async () => {
    fake.script({ transport: 'reset', times: 3 });
    const s = h2Session(fake);
    await expect(h2Request(s, FCM, fcmHeaders, fcmBody('x'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    const c = h2Session(fake, fake.h2cUrl);
    await expect(h2Request(c, FCM, fcmHeaders, fcmBody('x'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fake.stats().byFault).toEqual({ reset: 3 });
    expect(fake.log.map((e) => [e.proto, e.status, e.fault])).toEqual([
      ['h2', 0, 'reset'],
      ['h2', 0, 'reset'],
      ['h1', 0, 'reset'],
    ]);
  });

  it('reset surfaces in undici as a socket error', async () => {
    fake.script({ route: 'apns', transport: 'reset' });
    const client = undiciClient(fake);
    try {
      await expect(undiciPost(client, '/3/device/t', apnsHeaders(), aps)).rejects.toThrow(/ECONNRESET|other side closed|socket/i);
      expect((await undiciPost(client, '/3/device/t', apnsHeaders(), aps)).status).toBe(200);
    } finally {
      await client.close();
    }
  });

  it('refuse: closes the stream with REFUSED_STREAM and keeps the session', async () => {
    fake.script({ route: 'apns', transport: 'refuse' });
    const s = h2Session(fake);
    try {
      await expect(h2Request(s, '/3/device/t', apnsHeaders(), aps)).rejects.toMatchObject({ code: 'ERR_HTTP2_STREAM_ERROR', message: expect.stringContaining('NGHTTP2_REFUSED_STREAM') });
      expect((await h2Request(s, '/3/device/t', apnsHeaders(), aps)).status).toBe(200);
      expect(fake.stats().connections).toBe(1);
    } finally {
      s.close();
    }
  });

  it('goaway mid-burst: streams up to lastStreamId are answered, later ones refused, debug data is APNs-style', async () => {
    const s = h2Session(fake);
    const goaways: Array<[number, number, string]> = [];
    s.on('goaway', (code, last, data) => goaways.push([code, last, data?.toString() ?? '']));
    try {
      await h2Request(s, '/3/device/warm', apnsHeaders(), aps); // stream 1
      fake.script({ route: 'apns', skip: 2, latencyMs: 20, transport: 'goaway' }); // the 3rd request of the burst
      fake.script({ route: 'apns', latencyMs: 20, times: Infinity });
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => h2Request(s, `/3/device/b${i}`, apnsHeaders(), aps)));
      expect(goaways).toEqual([[0, 5, '{"reason":"Shutdown"}']]);
      const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
      const refused = results.filter((r) => r.status === 'rejected' && String(r.reason.message).includes('REFUSED_STREAM')).length;
      expect([ok, refused]).toEqual([2, 4]);
      const served = fake.requests({ route: 'apns', status: 200 }).map((e) => e.streamId);
      expect(served).toEqual([1, 3, 5]);
      expect(fake.log.filter((e) => e.streamId! > 5).every((e) => e.status === 0 && e.fault)).toBe(true);
      expect(s.closed || s.destroyed || (await new Promise((r) => s.once('close', () => r(true))))).toBe(true);
    } finally {
      s.destroy();
    }
  });

  it('goaway with lastStreamId at the faulted stream processes it, and undici fails in-flight requests', async () => {
    const client = undiciClient(fake);
    try {
      expect((await undiciPost(client, '/3/device/warm', apnsHeaders(), aps)).status).toBe(200);
      fake.script({ route: 'apns', transport: 'goaway', goaway: { lastStreamId: 3, debug: null } });
      const r = await undiciPost(client, '/3/device/t', apnsHeaders(), aps).catch((e: Error) => e);
      // The stream was processed (status logged 200); undici may or may not read the answer before the GOAWAY.
      expect(fake.log[1]).toMatchObject({ streamId: 3, status: 200 });
      if (!(r instanceof Error)) expect(r.status).toBe(200);
      expect((await undiciPost(client, '/3/device/again', apnsHeaders(), aps)).status).toBe(200);
      expect(fake.stats().connections).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('hang: never answers until close(), and close() ends the request', async () => {
    const own = await startFakeProvider();
    own.script({ token: 'stuck', transport: 'hang', times: Infinity });
    const s = h2Session(own);
    try {
      const pending = h2Request(s, FCM, fcmHeaders, fcmBody('stuck'));
      const settled = pending.then(
        () => 'answered',
        () => 'failed',
      );
      expect((await h2Request(s, FCM, fcmHeaders, fcmBody('fine'))).status).toBe(200);
      const st = own.stats();
      expect([st.inFlight, own.log[0]!.status]).toEqual([1, 0]);
      await own.close();
      expect(await settled).toBe('failed');
    } finally {
      s.destroy();
      await own.close();
    }
  });

  it('setMaxConcurrentStreams lowers SETTINGS on open sessions and new ones', async () => {
    const own = await startFakeProvider({ maxConcurrentStreams: 7 });
    const s = h2Session(own);
    try {
      await h2Request(s, FCM, fcmHeaders, fcmBody('x'));
      expect(s.remoteSettings.maxConcurrentStreams).toBe(7);
      own.setMaxConcurrentStreams(1);
      await new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));
      expect(s.remoteSettings.maxConcurrentStreams).toBe(1);
      const s2 = h2Session(own);
      await new Promise<void>((resolve) => s2.once('remoteSettings', () => resolve()));
      expect(s2.remoteSettings.maxConcurrentStreams).toBe(1);
      s2.destroy();
    } finally {
      s.destroy();
      await own.close();
    }
  });

  it('goawayAll: every session gets GOAWAY, in-flight streams are still answered', async () => {
    fake.script({ route: 'apns', latencyMs: 50 });
    const s = h2Session(fake);
    try {
      const inFlight = h2Request(s, '/3/device/t', apnsHeaders(), aps);
      for (let i = 0; i < 200 && fake.stats().inFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
      const goaway = new Promise<number>((resolve) => s.once('goaway', (code) => resolve(code)));
      fake.goawayAll({ debug: { reason: 'Shutdown' } });
      expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
      expect((await inFlight).status).toBe(200);
    } finally {
      s.destroy();
    }
  });

  it('a rule with goawayAll answers its request, then sends GOAWAY on every session (no predicate needed)', async () => {
    fake.script({ route: 'fcm', token: 'trigger', goawayAll: { debug: { reason: 'Shutdown' } } });
    const a = h2Session(fake);
    const b = h2Session(fake);
    try {
      await h2Request(b, FCM, fcmHeaders, fcmBody('warm'));
      const goaways = [a, b].map((s) => new Promise<Buffer | undefined>((resolve) => s.once('goaway', (_code, _last, debug) => resolve(debug))));
      expect((await h2Request(a, FCM, fcmHeaders, fcmBody('trigger'))).status).toBe(200);
      const debugs = await Promise.all(goaways);
      expect(debugs.map((d) => JSON.parse(String(d)))).toEqual([{ reason: 'Shutdown' }, { reason: 'Shutdown' }]);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('logs the Retry-After each answer carried, as sent', async () => {
    fake.script([
      { route: 'fcm', token: 'ra', code: 'UNAVAILABLE', retryAfter: 7 },
      { route: 'fcm', token: 'date', code: 'UNAVAILABLE', retryAfter: new Date(Date.UTC(2030, 0, 1)) },
    ]);
    const client = undiciClient(fake);
    try {
      for (const t of ['ra', 'date', 'plain']) await undiciPost(client, FCM, fcmHeaders, fcmBody(t));
      const byToken = Object.fromEntries(fake.requests({ route: 'fcm' }).map((e) => [e.token, e.retryAfter]));
      expect(byToken).toEqual({ ra: '7', date: 'Tue, 01 Jan 2030 00:00:00 GMT', plain: undefined });
    } finally {
      await client.close();
    }
  });

  it('random faults by rate hit about the expected share of real requests', async () => {
    fake.setFaults({ seed: 3, faults: [{ rate: 0.25, route: 'fcm', code: 'UNAVAILABLE' }] });
    const client = undiciClient(fake);
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => undiciPost(client, FCM, fcmHeaders, fcmBody(`t${i}`))));
      const unavailable = replies.filter((r) => r.status === 503).length;
      expect(unavailable).toBeGreaterThan(25);
      expect(unavailable).toBeLessThan(80);
      expect(fake.stats().byCode['UNAVAILABLE']).toBe(unavailable);
      fake.setFaults(null);
      expect((await undiciPost(client, FCM, fcmHeaders, fcmBody('x'))).status).toBe(200);
    } finally {
      await client.close();
    }
  });
});
