/**
 * Real Redis for the queue tests. `REDIS_URL` must be set (`.ci/run` starts a throwaway redis-server and
 * exports it; locally: `redis-server --port 6390 --save '' --appendonly no --daemonize yes` and
 * `REDIS_URL=redis://127.0.0.1:6390`). Missing → the test file fails loudly, it never skips.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'REDIS_URL is not set: the queue tests need a real Redis. Run .ci/run, or start one with ' +
        "`redis-server --port 6390 --save '' --appendonly no --daemonize yes` and set REDIS_URL=redis://127.0.0.1:6390",
    );
  }
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`REDIS_URL must be a loopback address, got ${host}`);
  return url;
}

/** A key prefix / queue name unique to one test file run, so files run in parallel without clashing. */
export function uniqueName(label: string): string {
  return `pbtest-${label}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A client for tests; `maxRetriesPerRequest: null` as BullMQ requires for its blocking connections. */
export function connect(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Deletes every key under `prefix` (SCAN + UNLINK). */
export async function removeKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
