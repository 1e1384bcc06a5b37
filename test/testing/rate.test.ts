import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateEnforcer } from '../../src/testing/rate.js';
import { maxRate, type LogEntry } from '../../src/testing/recorder.js';
import { signApnsJwt, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { fcmBody, h1Post, undiciClient, undiciPost } from './clients.js';

describe('RateEnforcer', () => {
  it('allows count per window, then says how long until the window resets', () => {
    const r = new RateEnforcer({ count: 2, perMs: 1000 });
    expect([r.take('a', 0), r.take('a', 100), r.take('a', 400)]).toEqual([0, 0, 600]);
    expect(r.take('b', 400)).toBe(0);
    expect(r.take('a', 1000)).toBe(0);
  });
});

describe('maxRate', () => {
  it('finds the busiest key in any sliding window', () => {
    const e = (t: number, token: string): LogEntry => ({ n: 0, t, route: 'fcm', provider: 'fcm', proto: 'h2', session: 1, status: 200, token, project: 'p' });
    const log = [e(0, 'a'), e(10, 'b'), e(500, 'a'), e(900, 'a'), e(1400, 'a'), e(1450, 'a'), e(1460, 'b')];
    expect(maxRate(log, { by: 'token', windowMs: 1000 })).toEqual({ key: 'a', count: 4 });
    expect(maxRate(log, { by: 'project', windowMs: 100 })).toEqual({ key: 'p', count: 3 });
    expect(maxRate(log, { by: 'token', windowMs: 1000, before: 1000 })).toEqual({ key: 'a', count: 3 });
  });
});

describe('rate enforcement over the wire', () => {
  let clock = 1_800_000_000_000;
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({
      now: () => clock,
      limits: { fcm: { device: { count: 3, perMs: 60_000 }, project: { count: 5, perMs: 60_000 } }, apns: { device: { count: 2, perMs: 60_000 } }, xiaomi: { project: { count: 1, perMs: 1000 } } },
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());
  const FCM = '/v1/projects/demo/messages:send';
  const headers = { authorization: 'Bearer x', 'content-type': 'application/json' };

  it('FCM: 429 QUOTA_EXCEEDED naming the device quota with Retry-After, then the project quota', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await h1Post(fake.http1Url, FCM, headers, fcmBody('dev1'))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    clock += 20_000;
    const limited = await h1Post(fake.http1Url, FCM, headers, fcmBody('dev1'));
    expect(limited.headers['retry-after']).toBe('40');
    expect(limited.json.error.details[0].errorCode).toBe('QUOTA_EXCEEDED');
    expect(limited.json.error.details[1].violations[0].description).toBe('device quota exceeded');
    expect((await h1Post(fake.http1Url, FCM, headers, fcmBody('dev2'))).status).toBe(200);
    expect((await h1Post(fake.http1Url, FCM, headers, fcmBody('dev3'))).status).toBe(200);
    const project = await h1Post(fake.http1Url, FCM, headers, fcmBody('dev4'));
    expect(project.status).toBe(429);
    expect(project.json.error.details[1].violations[0].description).toBe('project quota exceeded');
    clock += 60_000;
    expect((await h1Post(fake.http1Url, FCM, headers, fcmBody('dev1'))).status).toBe(200);
    expect(fake.maxRate({ by: 'token', route: 'fcm', windowMs: 60_000 })).toEqual({ key: 'dev1', count: 5 });
    expect(fake.maxRate({ by: 'token', route: 'fcm', status: 200, windowMs: 60_000 })).toEqual({ key: 'dev1', count: 3 });
  });

  it('APNs: 429 TooManyRequests per device token; setLimits replaces and removes limits', async () => {
    const client = undiciClient(fake);
    const auth = { authorization: `bearer ${signApnsJwt({ ...fake.apnsKey!, iat: Math.floor(clock / 1000) })}`, 'apns-topic': 'com.example' };
    try {
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(await undiciPost(client, '/3/device/tokA', auth, '{"aps":{}}'));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(replies[2]!.json).toEqual({ reason: 'TooManyRequests' });
      fake.setLimits('apns', undefined);
      expect((await undiciPost(client, '/3/device/tokA', auth, '{"aps":{}}')).status).toBe(200);
      fake.setLimits('apns', { device: { count: 2, perMs: 60_000 } });
    } finally {
      await client.close();
    }
  });

  it('vendors answer their own rate-limit code', async () => {
    expect((await h1Post(fake.http1Url, '/vendor/xiaomi/send', {}, '{}')).json.result).toBe('ok');
    const r = await h1Post(fake.http1Url, '/vendor/xiaomi/send', {}, '{}');
    expect([r.status, r.json.result, r.json.code]).toEqual([200, 'error', 200002]);
  });
});
