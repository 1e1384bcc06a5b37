/**
 * A real FCM HTTP v1 client for the queue tests: undici over HTTP/1.1 to the fake provider
 * (`pushback/testing`), and an engine built the way a worker process builds it.
 */
import { Pool } from 'undici';
import type { Redis } from 'ioredis';
import { classify } from '../../src/classify/index.js';
import { createSender } from '../../src/engine/index.js';
import type { DropTokenEvent, EngineEvent, LimitOptions, RetryOptions, Sender } from '../../src/engine/types.js';
import type { ClassifyInput, Verdict } from '../../src/types.js';
import { RedisDeviceCounterStore, RedisValveStore, createLimiterConnection, redisLimits } from '../../src/bullmq/index.js';

export interface TestMessage {
  token: string;
  project: string;
  /** Sequence number, echoed in the body so the server log can tell messages apart. */
  n?: number;
  android?: { ttl?: string; collapseKey?: string };
}

export function fcmSend(baseUrl: string, connections = 32) {
  const pool = new Pool(baseUrl, { connections, pipelining: 1 });
  const send = async (m: TestMessage) => {
    const res = await pool.request({
      method: 'POST',
      path: `/v1/projects/${m.project}/messages:send`,
      headers: { authorization: 'Bearer test-access-token', 'content-type': 'application/json' },
      body: JSON.stringify({ message: { token: m.token, data: { n: String(m.n ?? 0) } } }),
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  return { send, close: () => pool.close() };
}

/** Reads `Retry-After` (seconds) from a classifier input's headers. */
function retryAfterHeaderMs(input: ClassifyInput): number | undefined {
  const h = (input as { headers?: Record<string, unknown> }).headers;
  const raw = h && !Array.isArray(h) && typeof h === 'object' ? (h as Record<string, unknown>)['retry-after'] : undefined;
  const s = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/**
 * FCM's catalog floors every 429 at 60 s (its documented minimum). The tests shorten that to exactly the
 * server's Retry-After, through the engine's public `classify` option, so they run in seconds.
 */
export function shortQuotaFloor(input: ClassifyInput): Verdict {
  const v = classify(input);
  if (v.status === 429) {
    const ms = retryAfterHeaderMs(input);
    if (ms !== undefined) v.retryAfterMs = ms;
  }
  return v;
}

export const FAST_RETRY: Partial<RetryOptions> = {
  minDelayMs: 0,
  initialDelayMs: 50,
  maxDelayMs: 400,
  maxAttempts: 8,
  defaultRetryAfterMs: 500,
};

export interface WorkerSenderOptions {
  url: string;
  redis: Redis;
  prefix: string;
  project?: LimitOptions['project'];
  device?: LimitOptions['device'];
  concurrency?: number;
  retry?: Partial<RetryOptions>;
  onDropToken?: (batch: DropTokenEvent[]) => unknown;
  onEvent?: (e: EngineEvent) => void;
  random?: () => number;
  /** The prune valve's window (default 300 ms so held tokens pass quickly). */
  valveWindowMs?: number;
  /** Called just before each request leaves (for send-time assertions). */
  onSend?: (m: TestMessage, at: number) => void;
  /** HTTP connections (and the engine's concurrency unless given); default 32. */
  connections?: number;
}

/** The engine of one worker process: Redis-backed limits, device counters and valve. */
export function workerSender(o: WorkerSenderOptions): {
  sender: Sender<TestMessage>;
  /** Closes the sender, then the limiter connection and the HTTP pool. */
  close(): Promise<void>;
  /** Closes the limiter connection and the HTTP pool (after something else closed the sender). */
  closeTransport(): Promise<void>;
} {
  const connections = o.connections ?? 32;
  const http = fcmSend(o.url, connections);
  const send = o.onSend
    ? (m: TestMessage) => {
        o.onSend!(m, Date.now());
        return http.send(m);
      }
    : http.send;
  const connection = createLimiterConnection({ redis: o.redis.options });
  const sender = createSender<TestMessage>(send, {
    provider: 'fcm',
    target: (m) => ({ project: m.project, token: m.token }),
    classify: shortQuotaFloor,
    retry: { ...FAST_RETRY, ...o.retry },
    limits: {
      ...(o.project ? { project: o.project } : {}),
      device: o.device ?? [{ count: 1000, perMs: 1000 }],
      // No more requests in flight than connections: a request past the engine's checks leaves at once.
      concurrency: o.concurrency ?? connections,
      // bottleneck keys are per project id: tests use unique project names.
      bottleneck: redisLimits({ connection }),
      deviceStore: new RedisDeviceCounterStore({ redis: o.redis, prefix: o.prefix }),
    },
    prune: {
      flushMs: 20,
      valve: { windowMs: o.valveWindowMs ?? 300 },
      valveStore: new RedisValveStore({ redis: o.redis, prefix: o.prefix }),
    },
    ...(o.onDropToken ? { onDropToken: o.onDropToken } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.random ? { random: o.random } : {}),
  });
  const closeTransport = async () => {
    await connection.disconnect();
    await http.close();
  };
  return {
    sender,
    async close() {
      await sender.close();
      await closeTransport();
    },
    closeTransport,
  };
}
