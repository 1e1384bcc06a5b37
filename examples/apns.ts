/**
 * APNs with pushback/apns against the local fake APNs (no Apple account needed):
 *   npx tsx examples/apns.ts
 *
 * In production, drop `url`/`tls`, use your own `.p8` key, key ID, team ID and environment.
 */
import { apnsSender, isTransportError } from '../src/apns/index.js';
import { startFakeProvider } from '../src/testing/index.js';

const fake = await startFakeProvider();
const key = fake.apnsKey!; // a generated .p8-style key the fake server trusts

const apns = apnsSender({
  key: key.privateKey, // PEM text of the .p8 file
  keyId: key.keyId,
  teamId: key.teamId,
  environment: 'sandbox', // or 'production': part of the credential's identity
  topic: 'com.example.app', // bundle ID; push-type suffixes (.voip, ...) are added for you
  url: fake.url, // only for the fake server
  tls: { ca: fake.ca }, // idem
});

const alive = 'a1'.repeat(32);
const dead = 'de'.repeat(32);
fake.markDead(dead, { timestamp: Date.parse('2026-01-15T10:00:00Z') });

// 1. A normal alert.
const ok = await apns.send({ token: alive, payload: { aps: { alert: { title: 'Hello', body: 'from pushback' } } }, collapseId: 'greeting' });
console.log('alert      ->', ok.status, ok.apnsId);

// 2. A token APNs no longer accepts: 410 with the instant it became invalid.
const gone = await apns.send({ token: dead, payload: { aps: { alert: 'hi' } } });
console.log('dead token ->', gone.status, gone.reason, 'invalid since', new Date(gone.timestamp!).toISOString());

// 3. Too large: rejected locally with the reason APNs would give, no request made.
const big = await apns.send({ token: alive, payload: { aps: { alert: 'x'.repeat(5000) } } });
console.log('5 KB alert ->', big.status, big.reason, big.local ? '(local, not sent)' : '');

// 4. A connection that hangs: the timeout fails the request as "maybe delivered".
fake.script({ route: 'apns', token: alive, transport: 'hang' });
const slow = apnsSender({ key: key.privateKey, keyId: key.keyId, teamId: key.teamId, environment: 'sandbox', topic: 'com.example.app', url: fake.url, tls: { ca: fake.ca }, timeoutMs: 200 });
await slow.send({ token: alive, payload: { aps: { alert: 'hi' } } }).catch((err: unknown) => {
  if (isTransportError(err)) console.log('hung       ->', err.code, err.requestSent ? '(maybe delivered)' : '(not sent)');
});

console.log('fake server saw', fake.stats().requests, 'requests');
await Promise.all([apns.close(), slow.close()]);
await fake.close();
