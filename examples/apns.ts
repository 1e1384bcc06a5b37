/**
 * APNs with pushback/apns against the local fake APNs (no Apple account needed):
 *   npx tsx examples/apns.ts
 *
 * In production, drop `url`/`tls` and use your own `.p8` key, key ID, team ID and environment.
 */
import { apnsSender, createApnsSender, isTransportError } from '../src/apns/index.js';
import { redactToken } from '../src/index.js';
import { startFakeProvider } from '../src/testing/index.js';

const fake = await startFakeProvider();
const key = fake.apnsKey!; // a generated .p8-style key the fake server trusts

const credentials = {
  key: key.privateKey, // PEM text of the .p8 file
  keyId: key.keyId,
  teamId: key.teamId,
  environment: 'sandbox' as const, // or 'production': part of the credential's identity
  topic: 'com.example.app', // bundle ID; push-type suffixes (.voip, ...) are added for you
  url: fake.url, // only for the fake server
  tls: { ca: fake.ca }, // idem
};

// 1. The sender inside the engine: retries, ExpiredProviderToken refresh, pruning with the 410 timestamp.
const apns = createApnsSender(credentials, {
  onDropToken: async (batch) => {
    // Hooks get the raw token (delete it from your table here); logs get the redacted form.
    for (const d of batch) console.log(`  prune ${redactToken(d.token)} (${d.code}, invalid since ${new Date(d.invalidSince!).toISOString()})`);
  },
  onFixRequest: (o) => console.log(`  fix the request: ${o.verdicts.at(-1)?.code}`),
});

const alive = 'a1'.repeat(32);
const dead = 'de'.repeat(32);
fake.markDead(dead, { timestamp: Date.parse('2026-01-15T10:00:00Z') });
fake.script({ route: 'apns', token: alive, code: 'ServiceUnavailable' }); // one 503 first

const outcomes = await apns.sendMany([
  { token: alive, payload: { aps: { alert: { title: 'Hello', body: 'from pushback' } } }, collapseId: 'greeting' },
  { token: dead, payload: { aps: { alert: 'hi' } } },
  { token: alive, payload: { aps: { alert: 'x'.repeat(5000) } } }, // too large: rejected locally, not sent
]);
for (const o of outcomes) console.log(`${o.outcome.padEnd(13)} attempts=${o.attempts} code=${o.verdicts.at(-1)?.code}${o.messageId ? ` apns-id=${o.messageId}` : ''}`);
await apns.close();

// 2. The bare sender: one attempt per call, the raw response, for your own retry loop or queue.
const raw = apnsSender({ ...credentials, timeoutMs: 200 });
const res = await raw.send({ token: dead, payload: { aps: { alert: 'hi' } } });
console.log('raw:', res.status, res.reason, res.timestamp);
fake.script({ route: 'apns', token: alive, transport: 'hang' });
await raw.send({ token: alive, payload: { aps: { alert: 'hi' } } }).catch((err: unknown) => {
  if (isTransportError(err)) console.log('raw: hung ->', err.code, err.requestSent ? '(maybe delivered)' : '(not sent)');
});
await raw.close();

console.log('fake server saw', fake.stats().requests, 'requests');
await fake.close();
