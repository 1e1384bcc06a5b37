/**
 * pushback on BullMQ: a producer, two workers sharing their limits through Redis, and the prune hook
 * deleting dead tokens from a SQLite table (sql.js: real SQLite compiled to wasm).
 *
 *   redis-server --port 6390 --save '' --appendonly no --daemonize yes
 *   REDIS_URL=redis://127.0.0.1:6390 npx tsx examples/bullmq.ts
 *
 * It starts the fake FCM server from `pushback/testing` on loopback, so no real provider is called. In
 * production each worker is its own process (or machine); here both run in this one to keep it short.
 */
import { Pool } from 'undici';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import initSqlJs from 'sql.js';
import { createSender, type DropTokenEvent } from '../src/index.js';
import {
  createLimiterConnection,
  createPushbackWorker,
  enqueueMulticast,
  redisLimits,
  RedisDeviceCounterStore,
  RedisValveStore,
  type JobOutcome,
  type JobResult,
  type PushJobData,
} from '../src/bullmq/index.js';
import { startFakeProvider } from '../src/testing/index.js';

interface Push {
  token: string;
  notification: { title: string; body: string };
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const PROJECT = 'example-project';
const QUEUE = 'pushback-example';

// --- the device-token table -----------------------------------------------------------------------
const SQL = await initSqlJs();
const db = new SQL.Database();
db.run('CREATE TABLE device_tokens (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL)');
const tokens = Array.from({ length: 500 }, (_, i) => `example-token-${i}`);
const insert = db.prepare('INSERT INTO device_tokens VALUES (?, ?)');
tokens.forEach((t, i) => insert.run([t, i % 50]));
insert.free();
const count = () => Number(db.exec('SELECT COUNT(*) FROM device_tokens')[0]?.values[0]?.[0] ?? 0);

// --- a provider to talk to: the fake FCM server, with some dead tokens and some 503s ---------------
const fake = await startFakeProvider();
const dead = tokens.filter((_, i) => i % 25 === 7);
for (const t of dead) fake.markDead(t);
fake.setFaults({ seed: 3, faults: [{ route: 'fcm', rate: 0.05, code: 'UNAVAILABLE' }] });

// --- one worker: an engine whose limits, device counters and valve live in Redis --------------------
async function startWorker(label: string) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const http = new Pool(fake.http1Url, { connections: 16 });
  const limiterConnection = createLimiterConnection({ redis: REDIS_URL });
  const sender = createSender<Push>(
    async (m) => {
      const res = await http.request({
        method: 'POST',
        path: `/v1/projects/${PROJECT}/messages:send`,
        headers: { authorization: 'Bearer example', 'content-type': 'application/json' },
        body: JSON.stringify({ message: m }),
      });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    },
    {
      provider: 'fcm',
      target: (m) => ({ project: PROJECT, token: m.token }),
      retry: { minDelayMs: 200, initialDelayMs: 200, maxDelayMs: 2_000 }, // FCM's defaults wait 10 s; short for the demo
      limits: {
        project: [{ count: 300, perMs: 1_000 }], // shared by both workers through Redis
        concurrency: 16,
        bottleneck: redisLimits({ connection: limiterConnection }),
        deviceStore: new RedisDeviceCounterStore({ redis }),
      },
      prune: { valveStore: new RedisValveStore({ redis }), valve: { windowMs: 5_000 } },
      // The prune hook: the one place raw tokens appear. Delete them from the table.
      onDropToken: (batch: DropTokenEvent[]) => {
        const del = db.prepare('DELETE FROM device_tokens WHERE token = ?');
        for (const e of batch) del.run([e.token]);
        del.free();
        console.log(`[${label}] pruned ${batch.length} dead token(s): ${batch.map((e) => e.code).join(', ')}`);
      },
      onPruneSuspended: (info) => console.warn(`[${label}] pruning suspended for ${info.key}: ${info.drops}/${info.sends} sends dropped`),
    },
  );
  const worker = await createPushbackWorker<Push>(QUEUE, {
    connection: redis,
    redis,
    sender,
    provider: 'fcm',
    target: (m) => ({ project: PROJECT, token: m.token }),
    retry: { maxAttempts: 5 },
    concurrency: 4,
  });
  return {
    async close() {
      await worker.close(); // the worker, then the sender (its prune batches flush)
      await limiterConnection.disconnect();
      await http.close();
      redis.disconnect();
    },
  };
}

const workers = [await startWorker('worker A'), await startWorker('worker B')];

// --- the producer: one multicast, split into jobs of 100; enqueueing it twice adds nothing ----------
const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue<PushJobData<Push>, JobResult>(QUEUE, { connection: producer });
const events = new QueueEvents(QUEUE, { connection: producer.duplicate() });
await queue.obliterate({ force: true }).catch(() => undefined); // a clean demo queue
const campaign = { tokens, notification: { title: 'Hello', body: 'from pushback on BullMQ' } };
const jobs = await enqueueMulticast<typeof campaign, Push>(queue, campaign, { id: 'campaign-1', chunkSize: 100 });
const again = await enqueueMulticast<typeof campaign, Push>(queue, campaign, { id: 'campaign-1', chunkSize: 100 });
console.log(`enqueued ${tokens.length} messages as ${jobs.length} jobs (re-enqueue: same ids ${again.every((j, i) => j.id === jobs[i]!.id)})`);

const results = (await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 60_000)))) as JobOutcome[][];
const byOutcome: Record<string, number> = {};
for (const o of results.flat()) byOutcome[o.outcome] = (byOutcome[o.outcome] ?? 0) + 1;
console.log('outcomes:', byOutcome);

for (const w of workers) await w.close();
console.log(`device_tokens: ${count()} left of ${tokens.length} (${dead.length} were dead)`);
console.log(`server saw ${fake.stats().requests} requests, peak ${fake.maxRate({ by: 'project', windowMs: 1_000 }).count}/s for the project (limit 300/s)`);
await events.close();
await queue.obliterate({ force: true });
await queue.close();
producer.disconnect();
await fake.close();
