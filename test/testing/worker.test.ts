import { describe, expect, it } from 'vitest';
import { signApnsJwt, startFakeProviderInWorker } from '../../src/testing/index.js';
import { fcmBody, h2Request, h2Session, undiciClient, undiciPost } from './clients.js';

describe('startFakeProviderInWorker', () => {
  it('serves from a worker thread with the same controls, made async', async () => {
    const fake = await startFakeProviderInWorker({ fcmAccessTokens: ['good'] });
    const client = undiciClient(fake as never);
    try {
      const jwt = signApnsJwt({ ...fake.apnsKey! });
      const apns = { authorization: `bearer ${jwt}`, 'apns-topic': 'com.example' };
      expect((await undiciPost(client, '/3/device/a', apns, '{"aps":{}}')).status).toBe(200);
      await fake.markDead('b');
      await fake.script({ route: 'fcm', code: 'QUOTA_EXCEEDED', retryAfter: new Date(Date.UTC(2030, 0, 1)) });
      const dead = await undiciPost(client, '/3/device/b', apns, '{"aps":{}}');
      expect([dead.status, dead.json.reason]).toEqual([410, 'Unregistered']);
      const quota = await undiciPost(client, '/v1/projects/p/messages:send', { authorization: 'Bearer good' }, fcmBody('x'));
      expect([quota.status, quota.headers['retry-after']]).toEqual([429, 'Tue, 01 Jan 2030 00:00:00 GMT']);
      const stats = await fake.stats();
      expect([stats.requests, stats.byStatus]).toEqual([3, { '200': 1, '410': 1, '429': 1 }]);
      expect((await fake.requests({ token: 'b' })).map((e) => e.status)).toEqual([410]);
      expect((await fake.log()).length).toBe(3);
    } finally {
      await client.close();
      await fake.close();
    }
    const s = h2Session(fake as never);
    await expect(h2Request(s, '/3/device/a', {}, '{}')).rejects.toBeDefined();
    s.destroy();
    await expect(fake.stats()).rejects.toThrow(/exited|closed/);
  });
});
