/**
 * Wrap firebase-admin with pushback and prune dead tokens from a real SQLite table.
 *
 *   npx tsx examples/firebase-admin.ts
 *
 * Runs against the local fake FCM server from `pushback/testing` (no credentials, no network): the
 * fake answers 404 UNREGISTERED for 5% of the tokens, a one-off 503 with Retry-After for 10%, and a bad
 * payload for one user. In an application, the only change is the `wrapMessaging(...)` line; you would
 * import from 'pushback/firebase-admin' and drop the fake server and the `redirectHttp2` line.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import initSqlJs from 'sql.js';
import { wrapMessaging } from '../src/firebase-admin/index.js';
import { redirectHttp2, startFakeProvider } from '../src/testing/index.js';
import type { DropTokenEvent } from '../src/index.js';

// --- the fake FCM (stands in for fcm.googleapis.com) ------------------------------------------------
const fake = await startFakeProvider({ log: true });
const redirect = redirectHttp2({ target: fake.url, connectOptions: { ca: fake.ca } });

// --- a device-token table in SQLite (sql.js: real SQLite compiled to wasm) ------------------------------
const SQL = await initSqlJs();
const db = new SQL.Database();
db.run(`CREATE TABLE device_tokens (
  token      TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL
)`);
db.run(`CREATE TABLE pruned_tokens (token TEXT PRIMARY KEY, code TEXT NOT NULL, pruned_at INTEGER NOT NULL)`);
const insert = db.prepare('INSERT INTO device_tokens (token, user_id, created_at) VALUES (?, ?, ?)');
const tokens: string[] = [];
for (let i = 0; i < 1000; i++) {
  const token = `fcm-token-${i.toString(16).padStart(4, '0')}-${'a'.repeat(140)}`;
  tokens.push(token);
  insert.run([token, 1 + (i % 300), Date.now()]);
}
insert.free();
const count = (sql: string) => Number(db.exec(sql)[0]?.values[0]?.[0] ?? 0);

// Faults at the fake server.
tokens.forEach((t, i) => {
  if (i % 20 === 0) fake.markDead(t);
  else if (i % 10 === 1) fake.script({ route: 'fcm', token: t, code: 'UNAVAILABLE', retryAfter: 1 });
});

// --- the application: firebase-admin as usual, plus one line ------------------------------------------
const app = initializeApp({
  // Any object with getAccessToken() works as a credential; use cert(...) or applicationDefault() for real.
  credential: { getAccessToken: async () => ({ access_token: 'example', expires_in: 3600 }) },
  projectId: 'example-project',
});

/** The prune hook: raw tokens arrive in batches; delete them in one transaction. Throwing keeps them queued. */
function pruneTokens(batch: DropTokenEvent[]): void {
  db.run('BEGIN');
  try {
    for (const e of batch) {
      db.run('DELETE FROM device_tokens WHERE token = ?', [e.token]);
      db.run('INSERT OR REPLACE INTO pruned_tokens (token, code, pruned_at) VALUES (?, ?, ?)', [e.token, e.code, e.at]);
    }
    db.run('COMMIT');
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
}

const messaging = wrapMessaging(getMessaging(app), {
  onDropToken: pruneTokens,
  onFixRequest: (o) => console.warn(`rejected: ${o.verdicts.at(-1)?.reason}`),
  onPruneSuspended: (info) => console.error(`pruning suspended for ${info.key}: ${info.drops}/${info.sends} dropped`),
  // FCM asks for at least 10 s between retries; the example shortens the engine's own backoff so it ends
  // quickly. A server's Retry-After (1 s here) is still honoured in full.
  retry: { minDelayMs: 0, initialDelayMs: 200, maxDelayMs: 2000 },
});

const before = count('SELECT COUNT(*) FROM device_tokens');
const rows = db.exec('SELECT token FROM device_tokens ORDER BY token')[0]?.values.map((r) => String(r[0])) ?? [];
const started = Date.now();
const res = await messaging.sendEachForMulticast({
  tokens: rows,
  notification: { title: 'Your order has shipped', body: 'Track it in the app.' },
  android: { ttl: 3600_000, collapseKey: 'order-status' },
});
// A single send with a payload FCM rejects (data values must be strings): reported, never retried.
await messaging.send({ token: rows[1]!, data: { count: 3 as unknown as string } }).catch((err: { code: string }) => console.warn(`send() failed as expected: ${err.code}`));
await messaging.close(); // drains and flushes the prune hook

const outcomes = res.outcomes.reduce<Record<string, number>>((acc, o) => ((acc[o.outcome] = (acc[o.outcome] ?? 0) + 1), acc), {});
console.log(`sent ${rows.length} in ${Date.now() - started} ms: ${res.successCount} delivered, ${res.failureCount} failed`, outcomes);
console.log(`requests at the fake FCM: ${fake.stats().requests} (the 503s were sent twice, nothing else was)`);
console.log(`device_tokens: ${before} before, ${count('SELECT COUNT(*) FROM device_tokens')} after; pruned_tokens: ${count('SELECT COUNT(*) FROM pruned_tokens')}`);
const file = join(tmpdir(), 'pushback-example-tokens.sqlite');
writeFileSync(file, db.export());
console.log(`database written to ${file}`);

db.close();
await deleteApp(app);
redirect.restore();
await fake.close();
