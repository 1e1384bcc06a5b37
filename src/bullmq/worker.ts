/**
 * A BullMQ Worker wired for pushback: the processor, a queue-wide rate limit on project-level 429s, shared
 * cool-downs, and stall settings under which a crashed worker's jobs come back instead of failing.
 */
import { Worker, type ConnectionOptions, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { createProcessor, type JobResult, type ProcessorOptions } from './processor.js';
import type { PushJobData } from './job-data.js';
import { SharedCoolDowns } from './shared-cooldowns.js';

export interface PushbackWorkerOptions<M> extends Omit<ProcessorOptions<M>, 'rateLimit' | 'coolDowns'> {
  /** BullMQ connection (an ioredis instance with `maxRetriesPerRequest: null`, or options). */
  connection: ConnectionOptions;
  /** Client for pushback's own keys (shared cool-downs); default: none (no cross-worker cool-down broadcast
   * beyond BullMQ's queue rate limit). */
  redis?: Redis;
  /** Key prefix of pushback's own keys; default `pushback:`. */
  prefix?: string;
  /** Jobs processed at once by this worker. Default 10. */
  concurrency?: number;
  /** Pause the whole queue on a project-level rate limit (default true): use one queue per project. */
  pauseQueueOnRateLimit?: boolean;
  /** Other BullMQ worker options (they win over the defaults here). */
  worker?: Partial<WorkerOptions>;
}

export interface PushbackWorker<M> {
  worker: Worker<PushJobData<M>, JobResult>;
  coolDowns: SharedCoolDowns | undefined;
  /** Closes the worker (active jobs finish), the cool-down subscription, then the sender. */
  close(): Promise<void>;
}

/**
 * BullMQ applies a rate limit set by `rateLimit(ms)` to other workers only when a limiter is configured
 * (moveToActive checks the limiter key only then). This one never binds by itself (a billion jobs per
 * second); it only makes the manual rate limit reach every worker of the queue.
 */
export const MANUAL_RATE_LIMITER = { max: 1_000_000_000, duration: 1_000 } as const;

export async function createPushbackWorker<M>(queueName: string, options: PushbackWorkerOptions<M>): Promise<PushbackWorker<M>> {
  const { connection, redis, prefix, concurrency, pauseQueueOnRateLimit, worker: workerOpts, ...processorOptions } = options;
  const coolDowns = redis
    ? new SharedCoolDowns({
        redis,
        ...(prefix !== undefined ? { prefix } : {}),
        onCoolDown: (project, until) => options.sender.coolDownUntil?.({ project }, until),
      })
    : undefined;
  await coolDowns?.ready;
  let worker: Worker<PushJobData<M>, JobResult> | undefined;
  const processor = createProcessor<M>({
    ...processorOptions,
    ...(coolDowns ? { coolDowns } : {}),
    ...(pauseQueueOnRateLimit === false ? {} : { rateLimit: (ms: number) => worker!.rateLimit(ms) }),
  });
  worker = new Worker<PushJobData<M>, JobResult>(queueName, processor, {
    connection,
    concurrency: concurrency ?? 10,
    limiter: MANUAL_RATE_LIMITER,
    // A worker killed mid-job: its jobs come back (stalled) and are counted by attemptsStarted; pushback's
    // own per-message budget decides when to stop, not BullMQ's stall count.
    maxStalledCount: 1_000,
    ...workerOpts,
  });
  return {
    worker,
    coolDowns,
    async close() {
      await worker!.close();
      await coolDowns?.close();
      await options.sender.close();
    },
  };
}
