/**
 * One real worker process for the queue acceptance tests and the bench (started with `fork`, tsx loader).
 * Configuration comes as JSON in argv[2]; it reports over IPC: `ready`, `pruned` (raw tokens from the prune
 * hook), `runs` (counters), and exits after `close`.
 */
import { Redis } from 'ioredis';
import { createPushbackWorker } from '../../src/bullmq/index.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { workerSender, type TestMessage } from './fcm-fixture.js';

export interface WorkerProcessConfig {
  redisUrl: string;
  queue: string;
  prefix: string;
  url: string;
  project?: { count: number; perMs: number }[];
  concurrency: number;
  /** HTTP connections = engine concurrency. */
  connections?: number;
  /** Record every request's send time and every cool-down (for the Retry-After assertions). */
  trace?: boolean;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
const send = (m: unknown) => process.send?.(m);

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const sends: [number, string][] = [];
const coolDowns: [number, number, string][] = [];
const engine = workerSender({
  url: config.url,
  redis,
  prefix: config.prefix,
  ...(config.project ? { project: config.project } : {}),
  connections: config.connections ?? 32,
  onDropToken: (batch) => void send({ type: 'pruned', tokens: batch.map((e) => e.token) }),
  ...(config.trace
    ? {
        onSend: (m: TestMessage, at: number) => void sends.push([at, m.token]),
        onEvent: (e: EngineEvent) => {
          if (e.type === 'cool-down') coolDowns.push([e.at, e.untilMs, e.key]);
        },
      }
    : {}),
});
const counters = { runs: 0, delayed: 0, rateLimited: 0, queueRateLimits: 0, lostRuns: 0 };
const w = await createPushbackWorker<TestMessage>(config.queue, {
  connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }),
  redis,
  prefix: config.prefix,
  sender: engine.sender,
  provider: 'fcm',
  target: (m) => ({ project: m.project, token: m.token }),
  retry: { maxAttempts: 8 },
  concurrency: config.concurrency,
  onRun: (info) => {
    counters.runs++;
    if (info.next === 'delay') counters.delayed++;
    if (info.next === 'rate-limit') counters.rateLimited++;
    counters.lostRuns += info.lostRuns;
  },
  worker: {
    lockDuration: config.lockDurationMs ?? 30_000,
    stalledInterval: config.stalledIntervalMs ?? 30_000,
  },
});
// Count the queue-wide pauses (BullMQ's worker.rateLimit) the processor asks for.
const rateLimit = w.worker.rateLimit.bind(w.worker);
w.worker.rateLimit = (ms: number) => {
  counters.queueRateLimits++;
  return rateLimit(ms);
};
w.worker.on('error', (err) => send({ type: 'error', message: String(err?.message ?? err) }));
await w.worker.waitUntilReady();
send({ type: 'ready', pid: process.pid });

process.on('message', async (m: { type?: string }) => {
  if (m?.type === 'stats') send({ type: 'stats', ...counters });
  if (m?.type !== 'close') return;
  await w.close(); // worker, cool-down subscription, sender
  await engine.closeTransport();
  redis.disconnect();
  // Exit only once the (possibly large) report has left through the IPC channel.
  process.send?.({ type: 'closed', ...counters, ...(config.trace ? { sends, coolDowns } : {}) }, () => process.exit(0));
});
