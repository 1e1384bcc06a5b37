/**
 * FCM HTTP v1 with pushback/fcm against the local fake FCM:
 *   npx tsx examples/fcm.ts
 *
 * In production, drop `url`/`tls` and pass a real credential: firebase-admin's `cert(serviceAccount)` /
 * `applicationDefault()`, or a google-auth-library client with the
 * `https://www.googleapis.com/auth/firebase.messaging` scope.
 */
import { createFcmSender, fcmSender } from '../src/fcm/index.js';
import { redactToken } from '../src/index.js';
import { startFakeProvider } from '../src/testing/index.js';

const fake = await startFakeProvider();

// Anything with getAccessToken(): here a stand-in for a service account credential.
let issued = 0;
const credential = { getAccessToken: async () => ({ access_token: `access-token-${++issued}`, expires_in: 3600 }) };
const options = { projectId: 'demo-project', credential, url: fake.url, tls: { ca: fake.ca } };

// 1. Inside the engine: FCM's 10 s retry floor would make this demo slow, so it is lowered here.
const fcm = createFcmSender(options, {
  retry: { minDelayMs: 0, initialDelayMs: 200 },
  onDropToken: (batch) => console.log('  prune', batch.map((d) => `${redactToken(d.token)} (${d.code})`).join(', ')),
});
fake.markDead('device-2');
fake.setFcmAccessTokens(['access-token-2']); // the first token is rejected (401): refreshed once, then sent
const outcomes = await fcm.sendMany([
  { token: 'device-1', notification: { title: 'Hello', body: 'from pushback' }, android: { ttl: '3600s' } },
  { token: 'device-2', data: { k: 'v' } },
]);
for (const o of outcomes) console.log(`${o.outcome.padEnd(13)} attempts=${o.attempts} codes=${o.verdicts.map((v) => v.code).join('→')}`);
await fcm.close();
fake.setFcmAccessTokens(undefined);

// 2. The bare sender: the raw response, Retry-After and error details included.
const raw = fcmSender(options);
fake.script({ route: 'fcm', token: 'device-3', code: 'QUOTA_EXCEEDED', quota: 'device', retryAfter: 30 });
const limited = await raw.send({ token: 'device-3', data: { k: 'v' } });
console.log('raw: over quota ->', limited.status, 'retry-after', limited.headers['retry-after'], 's');

fake.reset();
const started = performance.now();
const burst = await Promise.all(Array.from({ length: 2000 }, (_, i) => raw.send({ token: `device-${1000 + i}`, data: { i: String(i) } })));
console.log(`raw: ${burst.filter((r) => r.status === 200).length} delivered in ${Math.round(performance.now() - started)} ms over ${new Set(fake.requests({ route: 'fcm' }).map((e) => e.session)).size} connections`);

await raw.close();
await fake.close();
