import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signApnsJwt, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { fcmBody, h2Request, h2Session, undiciClient, undiciPost } from './clients.js';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['good'] });
});
afterAll(() => fake.close());

describe('smoke', () => {
  it('fcm over node http2', async () => {
    const s = h2Session(fake);
    const r = await h2Request(s, '/v1/projects/demo/messages:send', { authorization: 'Bearer good', 'content-type': 'application/json' }, fcmBody('t1'));
    expect(r.status).toBe(200);
    expect(r.json.name).toMatch(/^projects\/demo\/messages\/\d+$/);
    s.close();
  });
  it('apns over undici', async () => {
    const c = undiciClient(fake);
    const jwt = signApnsJwt({ ...fake.apnsKey! });
    const r = await undiciPost(c, '/3/device/abcd', { authorization: `bearer ${jwt}`, 'apns-topic': 'com.example' }, '{"aps":{"alert":"x"}}');
    expect(r.status).toBe(200);
    expect(r.headers['apns-id']).toMatch(/-/);
    await c.close();
  });
});
