/**
 * Queue throughput: N real worker processes vs one, every message through the shared Redis limits
 * (bottleneck project limiter in Redis, per-device bucket counters in Redis, the prune valve in Redis),
 * BullMQ batch jobs of 50, the fake FCM server on loopback answering 200.
 *
 * Also the Redis cost: commands per message (INFO stats delta over the run) and bytes per device key.
 * Needs REDIS_URL; without it, starts a throwaway redis-server on a free loopback port and stops it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startFakeProvider } from '../../src/testing/index.js';
import { enqueueBatch, RedisDeviceCounterStore } from '../../src/bullmq/index.js';
import { startWorkerProcess } from '../bullmq/cluster.js';

export const name = 'queue';

const BATCH = 50;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function ownRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pushback-bench-redis-'));
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  // redis-server takes a moment to listen: the probe reconnects every 50 ms until it answers.
  const probe = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on('error', () => {});
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited (${code}); is it installed?`))));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('redis-server did not answer within 10 s')), 10_000).unref());
  try {
    await Promise.race([probe.ping(), exited, timeout]);
  } finally {
    probe.disconnect();
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function commandsProcessed(info: string): number {
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const owned = process.env.REDIS_URL ? undefined : await ownRedis();
  const url = process.env.REDIS_URL ?? owned!.url;
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const fake = await startFakeProvider({ log: false, countTokens: false });
  const messages = quick ? 1_000 : 10_000;
  const many = 2;
  const tag = `pbbench-${process.pid}-${Date.now().toString(36)}`;
  const out: Record<string, number | string> = {};
  try {
    const measure = async (workers: number, count = messages, monitor = false) => {
      const queueName = `${tag}-w${workers}`;
      const config = {
        redisUrl: url,
        queue: queueName,
        prefix: `${tag}:`,
        url: fake.http1Url,
        project: [{ count: 1_000_000, perMs: 1_000 }],
        concurrency: 8,
        connections: 32,
      };
      const procs = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(config)));
      const queue = new Queue(queueName, { connection: redis });
      const project = `${tag}-project-${workers}`;
      // Round trips: commands clients sent (MONITOR shows script-internal ones as source 'lua').
      let roundTrips = 0;
      const mon = monitor ? await redis.monitor() : undefined;
      mon?.on('monitor', (_time: string, _args: string[], source: string) => {
        if (source !== 'lua') roundTrips++;
      });
      const before = commandsProcessed(await redis.info('stats'));
      const started = performance.now();
      const adds: Promise<unknown>[] = [];
      for (let i = 0; i < count; i += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => ({ project, token: `${tag}-${workers}-${i + k}`, n: i + k }));
        adds.push(enqueueBatch(queue as never, batch, { idempotent: false }));
      }
      await Promise.all(adds);
      const jobs = Math.ceil(count / BATCH);
      for (;;) {
        const c = await queue.getJobCounts('completed', 'failed');
        if ((c.completed ?? 0) + (c.failed ?? 0) >= jobs) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - started) / 1000;
      const commands = commandsProcessed(await redis.info('stats')) - before;
      mon?.disconnect();
      await Promise.all(procs.map((p) => p.close()));
      await queue.obliterate({ force: true });
      await queue.close();
      const rate = count / seconds;
      log(
        `  ${workers} worker(s): ${count} messages in ${seconds.toFixed(2)} s = ${Math.round(rate)} msg/s, ` +
          `${(commands / count).toFixed(1)} Redis commands/message` +
          (monitor ? `, ${(roundTrips / count).toFixed(2)} round trips/message (MONITOR on: rate not comparable)` : ''),
      );
      return { rate, commandsPerMessage: commands / count, roundTripsPerMessage: roundTrips / count };
    };

    const one = await measure(1);
    const n = await measure(many);
    out['queue.messagesPerSec'] = Math.round(n.rate);
    out['queue.messagesPerSec.1worker'] = Math.round(one.rate);
    out['queue.workers'] = many;
    out['queue.scaling'] = Number((n.rate / one.rate).toFixed(2));
    out['queue.redisCommandsPerMessage'] = Number(n.commandsPerMessage.toFixed(1));
    const costs = await measure(1, quick ? 300 : 1_000, true);
    out['queue.redisRoundTripsPerMessage'] = Number(costs.roundTripsPerMessage.toFixed(2));

    // Memory per tracked device: the device key with FCM's two windows (240/min, 5000/h).
    const store = new RedisDeviceCounterStore({ redis, prefix: `${tag}:` });
    const sample = 1_000;
    let bytes = 0;
    for (let i = 0; i < sample; i++) await store.reserve(`bench-device-token-${'x'.repeat(140)}-${i}`, [{ count: 240, perMs: 60_000 }, { count: 5_000, perMs: 3_600_000 }], Date.now());
    for (let i = 0; i < sample; i += 100) bytes += Number(await redis.memory('USAGE', store.keyOf(`bench-device-token-${'x'.repeat(140)}-${i}`)));
    out['queue.bytesPerDeviceKey'] = Math.round(bytes / (sample / 100));
    log(`  device key: ~${out['queue.bytesPerDeviceKey']} bytes (MEMORY USAGE, two windows), expires when idle`);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await fake.close();
    redis.disconnect();
    await owned?.stop();
  }
  return out;
}
