import { createPrivateKey, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApnsJwtVerifier } from '../../src/testing/jwt.js';
import { generateApnsKey, signApnsJwt, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { h2Request, h2Session } from './clients.js';

const key = generateApnsKey('KEY1234567', 'TEAM123456');
const other = generateApnsKey('KEY1234567', 'TEAM123456');
const T0 = 1_800_000_000_000;
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('ApnsJwtVerifier', () => {
  const verifier = new ApnsJwtVerifier([{ keyId: key.keyId, teamId: key.teamId, publicKey: key.publicKey }]);
  const iat = T0 / 1000;

  it('accepts an ES256 token with a raw r||s signature, known kid and team', () => {
    const jwt = signApnsJwt({ ...key, iat });
    expect(verifier.check(`bearer ${jwt}`, T0 + 1000)).toEqual({ ok: true, keyId: key.keyId, teamId: key.teamId, iat });
    expect(verifier.check(`Bearer ${jwt}`, T0)).toMatchObject({ ok: true });
  });

  it('answers a missing header or scheme with MissingProviderToken', () => {
    expect(verifier.check(undefined, T0)).toEqual({ ok: false, reason: 'MissingProviderToken' });
    expect(verifier.check('Basic abc', T0)).toEqual({ ok: false, reason: 'MissingProviderToken' });
  });

  it('answers anything not verifiable with InvalidProviderToken', () => {
    const good = signApnsJwt({ ...key, iat });
    const [h, c] = good.split('.');
    const der = sign('sha256', Buffer.from(`${h}.${c}`), createPrivateKey(key.privateKey)).toString('base64url');
    const tampered = `${h}.${b64({ iss: key.teamId, iat: iat + 1 })}.${good.split('.')[2]}`;
    const cases = {
      der: `${h}.${c}.${der}`,
      otherKey: signApnsJwt({ ...other, iat }),
      unknownKid: signApnsJwt({ ...key, keyId: 'OTHERKEY00', iat }),
      otherTeam: signApnsJwt({ ...key, teamId: 'OTHERTEAM0', iat }),
      hs256: `${b64({ alg: 'HS256', kid: key.keyId })}.${c}.${good.split('.')[2]}`,
      tampered,
      garbage: 'not-a-jwt',
      future: signApnsJwt({ ...key, iat: iat + 3600 }),
    };
    for (const [name, jwt] of Object.entries(cases)) {
      expect([name, verifier.check(`bearer ${jwt}`, T0)]).toEqual([name, { ok: false, reason: 'InvalidProviderToken' }]);
    }
  });

  it('answers a token older than one hour with ExpiredProviderToken, even once cached', () => {
    const jwt = signApnsJwt({ ...key, iat });
    expect(verifier.check(`bearer ${jwt}`, T0 + 3_600_000)).toMatchObject({ ok: true });
    expect(verifier.check(`bearer ${jwt}`, T0 + 3_601_000)).toEqual({ ok: false, reason: 'ExpiredProviderToken' });
  });
});

describe('APNs JWT over the wire', () => {
  let clock = T0;
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ now: () => clock, apnsKeys: [{ keyId: key.keyId, teamId: key.teamId, publicKey: key.publicKey }] });
  });
  afterAll(() => fake.close());

  it('goes from 200 to 403 ExpiredProviderToken as the server clock passes one hour', async () => {
    expect(fake.apnsKey).toBeUndefined();
    const s = h2Session(fake);
    const auth = `bearer ${signApnsJwt({ ...key, iat: T0 / 1000 })}`;
    try {
      const send = () => h2Request(s, '/3/device/abc', { authorization: auth, 'apns-topic': 'com.example' }, '{"aps":{}}');
      expect((await send()).status).toBe(200);
      clock = T0 + 61 * 60_000;
      const r = await send();
      expect([r.status, r.json]).toEqual([403, { reason: 'ExpiredProviderToken' }]);
      const fresh = await h2Request(s, '/3/device/abc', { authorization: `bearer ${signApnsJwt({ ...key, iat: clock / 1000 })}`, 'apns-topic': 'com.example' }, '{"aps":{}}');
      expect(fresh.status).toBe(200);
      const wrong = await h2Request(s, '/3/device/abc', { authorization: `bearer ${signApnsJwt({ ...other, iat: clock / 1000 })}`, 'apns-topic': 'com.example' }, '{"aps":{}}');
      expect([wrong.status, wrong.json]).toEqual([403, { reason: 'InvalidProviderToken' }]);
      expect(fake.log.map((e) => e.t)).toEqual([T0, clock, clock, clock]);
    } finally {
      s.close();
    }
  });

  it('skips the check with apnsKeys: false', async () => {
    const open = await startFakeProvider({ apnsKeys: false });
    const s = h2Session(open);
    try {
      expect((await h2Request(s, '/3/device/abc', { 'apns-topic': 'com.example' }, '{"aps":{}}')).status).toBe(200);
    } finally {
      s.close();
      await open.close();
    }
  });
});

describe('APNs connection binding', () => {
  const key2 = generateApnsKey('KEY2222222', 'TEAM123456');
  const keys = [key, key2].map((k) => ({ keyId: k.keyId, teamId: k.teamId, publicKey: k.publicKey }));
  const send = (s: ReturnType<typeof h2Session>, jwt: string) => h2Request(s, '/3/device/abc', { authorization: `bearer ${jwt}`, 'apns-topic': 'com.example' }, '{"aps":{}}');

  it('answers UnrelatedKeyIdInToken when a second key is used on the same connection; a new connection is fine', async () => {
    const fake = await startFakeProvider({ apnsKeys: keys });
    const s1 = h2Session(fake);
    const s2 = h2Session(fake);
    const now = Math.floor(Date.now() / 1000);
    try {
      expect((await send(s1, signApnsJwt({ ...key, iat: now }))).status).toBe(200);
      const r = await send(s1, signApnsJwt({ ...key2, iat: now }));
      expect([r.status, r.json]).toEqual([403, { reason: 'UnrelatedKeyIdInToken' }]);
      expect((await send(s2, signApnsJwt({ ...key2, iat: now }))).status).toBe(200);
    } finally {
      s1.close();
      s2.close();
      await fake.close();
    }
  });

  it('answers TooManyProviderTokenUpdates when a connection changes tokens sooner than apnsTokenUpdateMs', async () => {
    const fake = await startFakeProvider({ apnsKeys: keys, apnsTokenUpdateMs: 20 * 60_000 });
    const s = h2Session(fake);
    const now = Math.floor(Date.now() / 1000);
    try {
      expect((await send(s, signApnsJwt({ ...key, iat: now - 1500 }))).status).toBe(200);
      const early = await send(s, signApnsJwt({ ...key, iat: now - 600 }));
      expect([early.status, early.json]).toEqual([429, { reason: 'TooManyProviderTokenUpdates' }]);
      expect((await send(s, signApnsJwt({ ...key, iat: now }))).status).toBe(200); // 25 minutes after the first
    } finally {
      s.close();
      await fake.close();
    }
  });

  it('apnsColdStart: a new connection allows one stream until a valid push succeeded', async () => {
    const fake = await startFakeProvider({ apnsKeys: keys, apnsColdStart: true, maxConcurrentStreams: 50 });
    const s = h2Session(fake);
    try {
      await new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));
      expect(s.remoteSettings.maxConcurrentStreams).toBe(1);
      const raised = new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));
      expect((await send(s, signApnsJwt({ ...key }))).status).toBe(200);
      await raised;
      expect(s.remoteSettings.maxConcurrentStreams).toBe(50);
    } finally {
      s.close();
      await fake.close();
    }
  });

  it('apnsThrottleOnError: an error drops the stream limit to 1, a success restores it', async () => {
    const fake = await startFakeProvider({ apnsKeys: keys, apnsThrottleOnError: true, maxConcurrentStreams: 50 });
    const s = h2Session(fake);
    const jwt = signApnsJwt({ ...key });
    try {
      expect((await send(s, jwt)).status).toBe(200);
      expect(s.remoteSettings.maxConcurrentStreams).toBe(50);
      fake.script({ code: 'BadDeviceToken' });
      const lowered = new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));
      expect((await send(s, jwt)).status).toBe(400);
      await lowered;
      expect(s.remoteSettings.maxConcurrentStreams).toBe(1);
      const restored = new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()));
      expect((await send(s, jwt)).status).toBe(200);
      await restored;
      expect(s.remoteSettings.maxConcurrentStreams).toBe(50);
    } finally {
      s.close();
      await fake.close();
    }
  });
});
