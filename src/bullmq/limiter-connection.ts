/**
 * bottleneck's Redis clustering for pushback's per-target limiters: one shared connection pair (a client and
 * a subscriber) for every limiter of the process, whatever the number of target keys (bottleneck #74, #86:
 * without `connection`, each limiter or Group opens its own pair), and the fix for bottleneck 2.19.5 on
 * Redis >= 7 (bottleneck #205, #212, #219).
 *
 * The Redis 7 bug, verified against redis-server 7.0.15 with ioredis 6: `redis.error_reply('X')` in a Lua
 * script reaches the client as `ERR X` since Redis 7, but bottleneck compares the message to the bare code
 * (`SETTINGS_KEY_NOT_FOUND`, `UNKNOWN_CLIENT`, `OVERWEIGHT:`). So once a limiter's keys are gone (Redis
 * restarted without persistence, failover, eviction, a Group key's TTL) or its client was timed out (an event
 * loop blocked > `clientTimeout`), bottleneck never re-initialises or re-registers: every schedule call fails
 * with `ERR SETTINGS_KEY_NOT_FOUND` until the process restarts. The fork that fixes it is not published
 * as `bottleneck`; rather than monkey-patching the module, this connection strips the prefix from those
 * three codes on its own script callbacks, which is the only place bottleneck reads them.
 */
import Bottleneck from 'bottleneck';
import { Redis, type RedisOptions } from 'ioredis';

const BOTTLENECK_CODES = /^ERR ((?:SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)$|OVERWEIGHT:)/;

export interface LimiterConnectionOptions {
  /** An ioredis client to use for commands; bottleneck duplicates it for its subscriber. It is closed by
   * `disconnect()`, so pass a dedicated one (or use `redis`/`url`). */
  client?: Redis;
  /** ioredis options or a `redis://` URL for a new client. */
  redis?: RedisOptions | string;
}

/** The shape bottleneck's IORedisConnection has at runtime (its .d.ts omits the internals patched here). */
interface ConnectionInternals {
  __scriptArgs__(name: string, id: string, args: unknown[], cb: (err: Error | null, replies: unknown) => void): unknown[];
}

/** Moves a Redis >= 7 `ERR <code>` reply back to the `<code>` that bottleneck recognises. */
export function normalizeBottleneckError(err: Error | null): Error | null {
  if (err && typeof err.message === 'string') {
    const m = BOTTLENECK_CODES.exec(err.message);
    if (m) err.message = err.message.slice(4);
  }
  return err;
}

/**
 * One bottleneck IORedisConnection to share between every limiter (`{ datastore: 'ioredis', connection }`).
 */
export function createLimiterConnection(options: LimiterConnectionOptions = {}): Bottleneck.IORedisConnection {
  const client =
    options.client ?? (typeof options.redis === 'string' ? new Redis(options.redis) : new Redis(options.redis ?? {}));
  const connection = new Bottleneck.IORedisConnection({ client, Redis });
  const internals = connection as unknown as ConnectionInternals;
  const scriptArgs = internals.__scriptArgs__.bind(connection);
  internals.__scriptArgs__ = (name, id, args, cb) =>
    scriptArgs(name, id, args, (err, replies) => cb(normalizeBottleneckError(err), replies));
  return connection;
}

export interface RedisLimitsOptions {
  connection: Bottleneck.IORedisConnection;
  /** Kept for the limiter's keys after its last use, ms; bottleneck's Group `timeout`. Default 5 minutes. */
  idleMs?: number;
  /** How often each limiter polls Redis, ms (bottleneck's `heartbeatInterval`). A limiter waiting for its
   * reservoir to refill only notices the refill on a heartbeat or on another client's activity, so this
   * bounds the admission latency after a sub-window turns. Default: chosen by the engine per window, a
   * quarter of a sub-window (10 to 250 ms); set it only to trade latency for fewer Redis calls. */
  heartbeatMs?: number;
}

/**
 * The `limits.bottleneck` pass-through for `createSender` that makes every per-target limiter live in Redis,
 * shared by all workers. The engine gives each limiter an `id` per target key, so two processes limiting
 * the same project share one reservoir; `clearDatastore: false` keeps the shared state when a process joins.
 */
export function redisLimits(options: RedisLimitsOptions): Record<string, unknown> {
  return {
    datastore: 'ioredis',
    connection: options.connection,
    clearDatastore: false,
    timeout: options.idleMs ?? 300_000,
    ...(options.heartbeatMs !== undefined ? { heartbeatInterval: options.heartbeatMs } : {}),
  };
}
