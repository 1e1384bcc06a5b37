import https from 'node:https';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signApnsJwt, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { fcmBody, h1Post, h2Request, h2Session, undiciClient, undiciPost } from './clients.js';

let fake: FakeProvider;
let jwt: string;
beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['good'], hmsAccessTokens: ['hms-good'] });
  jwt = signApnsJwt({ ...fake.apnsKey! });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const FCM = '/v1/projects/demo/messages:send';
const fcmHeaders = { authorization: 'Bearer good', 'content-type': 'application/json' };
const apnsHeaders = () => ({ authorization: `bearer ${jwt}`, 'apns-topic': 'com.example.app', 'apns-push-type': 'alert' });
const aps = JSON.stringify({ aps: { alert: 'hello' } });

describe('startFakeProvider', () => {
  it('listens on loopback ports and gives URLs for each protocol', () => {
    expect(fake.url).toBe(`https://127.0.0.1:${fake.port}`);
    expect(fake.http1Url).toBe(`http://127.0.0.1:${fake.http1Port}`);
    expect(fake.h2cUrl).toBe(`http://127.0.0.1:${fake.h2cPort}`);
    expect(new Set([fake.port, fake.http1Port, fake.h2cPort]).size).toBe(3);
    expect(fake.ca).toMatch(/BEGIN CERTIFICATE/);
  });

  it('serves the certificate for localhost and ::1 too', async () => {
    const v6 = await startFakeProvider({ host: '::1' });
    expect(v6.url).toBe(`https://[::1]:${v6.port}`);
    try {
      for (const url of [`https://localhost:${fake.port}`, v6.url]) {
        const s = h2Session(fake, url);
        try {
          expect([url, (await h2Request(s, FCM, fcmHeaders, fcmBody('x'))).status]).toEqual([url, 200]);
        } finally {
          s.close();
        }
      }
    } finally {
      await v6.close();
    }
  });

  it('refuses a non-loopback host', async () => {
    await expect(startFakeProvider({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback/);
  });
});

describe('FCM HTTP v1', () => {
  it('answers a send with a message name over node:http2 with TLS', async () => {
    const s = h2Session(fake);
    try {
      const r = await h2Request(s, FCM, fcmHeaders, fcmBody('tok-a'));
      expect(r.status).toBe(200);
      expect(r.json.name).toMatch(/^projects\/demo\/messages\/\d+$/);
      expect(fake.log[0]).toMatchObject({ route: 'fcm', token: 'tok-a', project: 'demo', status: 200, proto: 'h2', streamId: 1 });
    } finally {
      s.close();
    }
  });

  it('multiplexes undici HTTP/2 POSTs on one connection', async () => {
    fake.script({ route: 'fcm', latencyMs: 30, times: Infinity });
    const client = undiciClient(fake);
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => undiciPost(client, FCM, fcmHeaders, fcmBody(`t${i}`))));
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(replies.map((r) => r.json.name)).size).toBe(20);
      const st = fake.stats();
      expect(st.connections).toBe(1);
      expect(st.maxStreamsPerSession).toBeGreaterThan(1);
      expect(st.byToken['t7']).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('serves plain HTTP/1.1, HTTP/1.1 over TLS and h2c with the same handlers', async () => {
    const plain = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('h1'));
    expect(plain.status).toBe(200);
    const overTls = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${fake.url}${FCM}`, { method: 'POST', headers: fcmHeaders, ca: fake.ca, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(fcmBody('h1tls'));
    });
    expect(overTls).toBe(200);
    const s = h2Session(fake, fake.h2cUrl);
    try {
      expect((await h2Request(s, FCM, fcmHeaders, fcmBody('h2c'))).status).toBe(200);
    } finally {
      s.close();
    }
    expect(fake.log.map((e) => [e.token, e.proto, e.status])).toEqual([
      ['h1', 'h1', 200],
      ['h1tls', 'h1', 200],
      ['h2c', 'h2', 200],
    ]);
  });

  it('rejects a missing or unknown OAuth token with 401 UNAUTHENTICATED and no details', async () => {
    for (const authorization of [undefined, 'Bearer nope', 'Basic good']) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers['authorization'] = authorization;
      const r = await h1Post(fake.http1Url, FCM, headers, fcmBody('x'));
      expect(r.status).toBe(401);
      expect(r.json.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', details: [] });
    }
    fake.setFcmAccessTokens(['rotated']);
    expect((await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('x'))).status).toBe(401);
    expect((await h1Post(fake.http1Url, FCM, { ...fcmHeaders, authorization: 'Bearer rotated' }, fcmBody('x'))).status).toBe(200);
    fake.setFcmAccessTokens(['good']);
  });

  it('validates the message like FCM: JSON, one target, string data values, size', async () => {
    const post = (body: string) => h1Post(fake.http1Url, FCM, fcmHeaders, body);
    const bad = await post('not json');
    expect(bad.status).toBe(400);
    expect(bad.json.error.status).toBe('INVALID_ARGUMENT');
    const two = await post(JSON.stringify({ message: { token: 'a', topic: 'b' } }));
    expect(two.status).toBe(400);
    const data = await post(JSON.stringify({ message: { token: 'a', data: { ok: 'x', n: 12 } } }));
    expect(data.status).toBe(400);
    expect(data.json.error.message).toBe("Invalid value at 'message.data[1].value' (TYPE_STRING), 12");
    expect(data.json.error.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[1].value', description: data.json.error.message }] },
    ]);
    const big = await post(JSON.stringify({ message: { token: 'a', data: { v: 'x'.repeat(4100) } } }));
    expect(big.status).toBe(400);
    expect(big.json.error.details[0]).toEqual({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' });
    expect((await post(JSON.stringify({ message: { token: 'a', data: { v: 'x'.repeat(3000) } } }))).status).toBe(200);
    const topicBig = await post(JSON.stringify({ message: { topic: 'news', data: { v: 'x'.repeat(2100) } } }));
    expect(topicBig.status).toBe(400);
  });

  it('limits projects and token formats when configured', async () => {
    const strict = await startFakeProvider({ fcmProjects: ['demo'], tokenPattern: { fcm: /^[\w:-]{20,}$/ } });
    try {
      const other = await h1Post(strict.http1Url, '/v1/projects/other/messages:send', fcmHeaders, fcmBody('x'.repeat(30)));
      expect(other.status).toBe(403);
      expect(other.json.error.status).toBe('PERMISSION_DENIED');
      const short = await h1Post(strict.http1Url, FCM, fcmHeaders, fcmBody('short'));
      expect(short.status).toBe(400);
      expect(short.json.error.message).toBe('The registration token is not a valid FCM registration token');
      expect((await h1Post(strict.http1Url, FCM, fcmHeaders, fcmBody('x'.repeat(30)))).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers a dead token with 404 UNREGISTERED until revived', async () => {
    fake.markDead('gone');
    for (let i = 0; i < 3; i++) {
      const r = await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('gone'));
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ status: 'NOT_FOUND', details: [{ errorCode: 'UNREGISTERED' }] });
    }
    fake.revive('gone');
    expect((await h1Post(fake.http1Url, FCM, fcmHeaders, fcmBody('gone'))).status).toBe(200);
    expect(fake.stats().byCode).toEqual({ UNREGISTERED: 3 });
  });
});

describe('APNs', () => {
  it('accepts a valid request over undici and echoes apns-id', async () => {
    const client = undiciClient(fake);
    try {
      const id = '123e4567-e89b-12d3-a456-426614174000';
      const r = await undiciPost(client, '/3/device/aabbcc', { ...apnsHeaders(), 'apns-id': id, 'apns-priority': '10', 'apns-expiration': '0' }, aps);
      expect(r.status).toBe(200);
      expect(r.headers['apns-id']).toBe(id);
      expect(r.text).toBe('');
      const generated = await undiciPost(client, '/3/device/aabbcc', apnsHeaders(), aps);
      expect(generated.headers['apns-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(fake.log[0]).toMatchObject({ route: 'apns', token: 'aabbcc', project: 'com.example.app', status: 200 });
    } finally {
      await client.close();
    }
  });

  it('checks the apns-* headers and the payload like APNs', async () => {
    const s = h2Session(fake);
    const send = (path: string, extra: Record<string, string | undefined>, body: string | undefined = aps, method = 'POST') => {
      const headers: Record<string, string> = { ...apnsHeaders(), ':method': method };
      for (const [k, v] of Object.entries(extra)) {
        if (v === undefined) delete headers[k];
        else headers[k] = v;
      }
      return h2Request(s, path, headers, body);
    };
    const cases: Array<[string, Record<string, string | undefined>, string | undefined, number, string, string?]> = [
      ['/3/device/t', { 'apns-topic': undefined }, aps, 400, 'MissingTopic'],
      ['/3/device/t', { 'apns-push-type': 'banner' }, aps, 400, 'InvalidPushType'],
      ['/3/device/t', { 'apns-priority': '7' }, aps, 400, 'BadPriority'],
      ['/3/device/t', { 'apns-id': 'not-a-uuid' }, aps, 400, 'BadMessageId'],
      ['/3/device/t', { 'apns-expiration': 'tomorrow' }, aps, 400, 'BadExpirationDate'],
      ['/3/device/t', { 'apns-collapse-id': 'c'.repeat(65) }, aps, 400, 'BadCollapseId'],
      ['/3/device/t', {}, '', 400, 'PayloadEmpty'],
      ['/3/device/', {}, aps, 400, 'MissingDeviceToken'],
      ['/3/device/t', {}, JSON.stringify({ aps: {}, x: 'y'.repeat(4090) }), 413, 'PayloadTooLarge'],
      ['/3/device/t', { 'apns-push-type': 'voip' }, JSON.stringify({ aps: {}, x: 'y'.repeat(5110) }), 413, 'PayloadTooLarge'],
      ['/3/device/t', {}, aps, 405, 'MethodNotAllowed', 'PUT'],
      ['/3/other', {}, aps, 404, 'BadPath'],
      ['/3/device/t', { authorization: undefined }, aps, 403, 'MissingProviderToken'],
    ];
    try {
      for (const [path, extra, body, status, reason, method] of cases) {
        const r = await send(path, extra, body, method);
        expect([path, reason, r.status]).toEqual([path, reason, status]);
        expect(r.json).toEqual({ reason });
      }
      const exact = JSON.stringify({ aps: {}, x: '' }).length;
      expect((await send('/3/device/t', {}, JSON.stringify({ aps: {}, x: 'y'.repeat(4096 - exact) }))).status).toBe(200);
      expect((await send('/3/device/t', { 'apns-push-type': 'voip' }, JSON.stringify({ aps: {}, x: 'y'.repeat(5120 - exact) }))).status).toBe(200);
    } finally {
      s.close();
    }
  });

  it('answers repeated apns headers with DuplicateHeaders', async () => {
    const s = h2Session(fake);
    try {
      const r = await h2Request(s, '/3/device/t', { ...apnsHeaders(), 'apns-collapse-id': ['a', 'b'] as unknown as string }, aps);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ reason: 'DuplicateHeaders' });
    } finally {
      s.close();
    }
  });

  it('restricts topics and token formats when configured', async () => {
    const strict = await startFakeProvider({ apnsTopics: ['com.example.app'], tokenPattern: { apns: /^[0-9a-f]{64}$/ } });
    const s = h2Session(strict);
    const token = 'ab'.repeat(32);
    const auth = `bearer ${signApnsJwt({ ...strict.apnsKey! })}`;
    try {
      const voip = await h2Request(s, `/3/device/${token}`, { authorization: auth, 'apns-topic': 'com.example.app.voip', 'apns-push-type': 'voip' }, aps);
      expect(voip.status).toBe(200);
      const other = await h2Request(s, `/3/device/${token}`, { authorization: auth, 'apns-topic': 'com.other' }, aps);
      expect(other.json).toEqual({ reason: 'TopicDisallowed' });
      const badToken = await h2Request(s, '/3/device/xyz', { authorization: auth, 'apns-topic': 'com.example.app' }, aps);
      expect([badToken.status, badToken.json]).toEqual([400, { reason: 'BadDeviceToken' }]);
    } finally {
      s.close();
      await strict.close();
    }
  });

  it('answers a dead token with 410 and the invalidation timestamp, forever', async () => {
    fake.markDead('dead1', { timestamp: 1_700_000_000_000 });
    fake.markDead('dead2', { apnsReason: 'BadDeviceToken' });
    const client = undiciClient(fake);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await undiciPost(client, '/3/device/dead1', apnsHeaders(), aps);
        expect(r.status).toBe(410);
        expect(r.json).toEqual({ reason: 'Unregistered', timestamp: 1_700_000_000_000 });
      }
      const r2 = await undiciPost(client, '/3/device/dead2', apnsHeaders(), aps);
      expect([r2.status, r2.json]).toEqual([400, { reason: 'BadDeviceToken' }]);
      expect((await undiciPost(client, '/3/device/alive', apnsHeaders(), aps)).status).toBe(200);
    } finally {
      await client.close();
    }
  });
});

describe('HMS', () => {
  const HMS = '/v1/10086/messages:send';
  const hmsHeaders = { authorization: 'Bearer hms-good', 'content-type': 'application/json' };
  const body = (tokens: string[]) => JSON.stringify({ validate_only: false, message: { token: tokens, android: { notification: { title: 't' } } } });

  it('answers success, partial success with illegal_tokens, and all-invalid', async () => {
    const ok = await h1Post(fake.http1Url, HMS, hmsHeaders, body(['a', 'b']));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ code: '80000000', msg: 'Success' });
    expect(typeof ok.json.requestId).toBe('string');
    fake.markDead('b');
    const partial = await h1Post(fake.http1Url, HMS, hmsHeaders, body(['a', 'b', 'c']));
    expect(partial.json.code).toBe('80100000');
    expect(JSON.parse(partial.json.msg)).toEqual({ success: 2, failure: 1, illegal_tokens: ['b'] });
    const none = await h1Post(fake.http1Url, HMS, hmsHeaders, body(['b']));
    expect([none.status, none.json.code]).toEqual([400, '80300007']);
    expect(fake.log.map((e) => [e.route, e.project, e.token])).toEqual([
      ['hms', '10086', 'a'],
      ['hms', '10086', 'a'],
      ['hms', '10086', 'b'],
    ]);
  });

  it('rejects a bad access token with 80200001 and a malformed message with 80100003', async () => {
    const auth = await h1Post(fake.http1Url, HMS, { ...hmsHeaders, authorization: 'Bearer other' }, body(['a']));
    expect([auth.status, auth.json.code]).toEqual([401, '80200001']);
    const malformed = await h1Post(fake.http1Url, HMS, hmsHeaders, '{"message":{}}');
    expect([malformed.status, malformed.json.code]).toEqual([400, '80100003']);
    const tooMany = await h1Post(fake.http1Url, HMS, hmsHeaders, body(Array.from({ length: 1001 }, (_, i) => `t${i}`)));
    expect(tooMany.json.code).toBe('80300010');
  });
});

describe('generic vendor endpoint', () => {
  it('answers each vendor success in its own shape', async () => {
    const expected: Record<string, (j: any) => boolean> = {
      honor: (j) => j.code === 200 && j.data.sendResult === true,
      xiaomi: (j) => j.result === 'ok' && j.code === 0,
      oppo: (j) => j.code === 0 && typeof j.data.messageId === 'string',
      vivo: (j) => j.result === 0 && typeof j.taskId === 'string',
      meizu: (j) => j.code === '200' && typeof j.msgId === 'string',
      tencent: (j) => j.ActionStatus === 'OK' && j.ErrorCode === 0,
      infobip: (j) => Array.isArray(j.messages),
      cometchat: (j) => typeof j.data === 'object',
    };
    for (const [vendor, check] of Object.entries(expected)) {
      const r = await h1Post(fake.http1Url, `/vendor/${vendor}/send`, { 'content-type': 'application/json' }, '{"token":"x"}');
      expect([vendor, r.status, check(r.json)]).toEqual([vendor, 200, true]);
    }
  });

  it('returns a configured status and body (200 with an error inside)', async () => {
    fake.setVendorResponse('xiaomi', { status: 200, body: { result: 'error', code: 20301, description: 'Failed to send message' } });
    fake.setVendorResponse('meizu', (req) => ({ status: 200, body: { code: '200', message: '', value: { '110003': req.tokens } } }));
    const x = await h1Post(fake.http1Url, '/vendor/xiaomi/send', {}, '{"regId":"r1"}');
    expect(x.json).toEqual({ result: 'error', code: 20301, description: 'Failed to send message' });
    const m = await h1Post(fake.http1Url, '/vendor/meizu/send', {}, '{"pushIds":["p1","p2"]}');
    expect(m.json.value).toEqual({ '110003': ['p1', 'p2'] });
    fake.setVendorResponse('xiaomi', undefined);
    fake.setVendorResponse('meizu', undefined);
    expect(fake.log.map((e) => e.token)).toEqual(['r1', 'p1']);
  });

  it('lists dead targets inside a success, each vendor its own way; reads form-encoded targets', async () => {
    fake.markDead('r2');
    const x = await h1Post(fake.http1Url, '/vendor/xiaomi/send', { 'content-type': 'application/x-www-form-urlencoded' }, 'registration_id=r1,r2&payload=hi');
    expect([x.status, x.json.result, x.json.data.bad_regids]).toEqual([200, 'ok', 'r2']);
    const v = await h1Post(fake.http1Url, '/vendor/vivo/send', {}, '{"regIds":["r1","r2"]}');
    expect(v.json.invalidUsers).toEqual([{ status: 1, userid: 'r2' }]);
    const m = await h1Post(fake.http1Url, '/vendor/meizu/send', {}, '{"pushIds":"r2"}');
    expect(m.json.value).toEqual({ '110003': ['r2'] });
    const h = await h1Post(fake.http1Url, '/vendor/honor/send', {}, '{"token":["r1","r2"]}');
    expect(h.json.data.expireTokens).toEqual(['r2']);
    expect(fake.log[0]).toMatchObject({ token: 'r1', code: 'bad_regids' });
  });

  it('scripts per-target failures with context target', async () => {
    fake.script({ route: 'meizu', code: '110002', context: 'target', tokens: ['p9'] });
    const m = await h1Post(fake.http1Url, '/vendor/meizu/send', {}, '{"pushIds":["p1","p9"]}');
    expect([m.status, m.json.code, m.json.value]).toEqual([200, '200', { '110002': ['p9'] }]);
    fake.script({ route: 'hms', code: 'illegal_tokens', context: 'target' });
    const hms = await h1Post(fake.http1Url, '/v1/app/messages:send', { authorization: 'Bearer hms-good' }, '{"message":{"token":["a","b"]}}');
    expect(JSON.parse(hms.json.msg).illegal_tokens).toEqual(['a', 'b']);
  });

  it('answers unknown paths with 404', async () => {
    const r = await h1Post(fake.http1Url, '/v2/nothing', {}, '');
    expect(r.status).toBe(404);
    expect(fake.stats().byRoute).toEqual({ unknown: 1 });
  });
});
