/**
 * FCM HTTP v1 with pushback/fcm against the local fake FCM:
 *   npx tsx examples/fcm.ts
 *
 * In production, drop `url`/`tls` and pass a real credential: firebase-admin's `cert(serviceAccount)` /
 * `applicationDefault()`, or a google-auth-library client with the
 * `https://www.googleapis.com/auth/firebase.messaging` scope.
 */
import { fcmSender } from '../src/fcm/index.js';
import { startFakeProvider } from '../src/testing/index.js';

const fake = await startFakeProvider();

// Anything with getAccessToken(): here a stand-in for a service account credential.
const credential = { getAccessToken: async () => ({ access_token: 'example-access-token', expires_in: 3600 }) };

const fcm = fcmSender({ projectId: 'demo-project', credential, url: fake.url, tls: { ca: fake.ca } });

const ok = await fcm.send({ token: 'device-1', notification: { title: 'Hello', body: 'from pushback' }, android: { ttl: '3600s' } });
console.log('send        ->', ok.status, ok.messageId);

fake.markDead('device-2');
const gone = await fcm.send({ token: 'device-2', data: { k: 'v' } });
console.log('dead token  ->', gone.status, JSON.stringify(gone.body));

// Quota: the full Retry-After and the QuotaFailure detail reach the classifier.
fake.script({ route: 'fcm', token: 'device-3', code: 'QUOTA_EXCEEDED', quota: 'device', retryAfter: 30 });
const limited = await fcm.send({ token: 'device-3', data: { k: 'v' } });
console.log('over quota  ->', limited.status, 'retry-after', limited.headers['retry-after'], 's');

// A burst over the same two HTTP/2 connections.
const started = performance.now();
const burst = await Promise.all(Array.from({ length: 2000 }, (_, i) => fcm.send({ token: `device-${1000 + i}`, data: { i: String(i) } })));
console.log(`burst       -> ${burst.filter((r) => r.status === 200).length} delivered in ${Math.round(performance.now() - started)} ms`);

await fcm.close();
await fake.close();
