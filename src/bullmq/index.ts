/**
 * `pushback/bullmq`: queue workers and distributed limits on Redis. Needs the optional peer dependencies
 * `bullmq` (>= 6) and `ioredis` (>= 5), and Redis >= 6.2.
 */
export { createProcessor, PushbackUnrecoverableError, type JobResult, type ProcessorOptions, type RunInfo } from './processor.js';
export { createPushbackWorker, MANUAL_RATE_LIMITER, type PushbackWorker, type PushbackWorkerOptions } from './worker.js';
export {
  enqueueMessage,
  enqueueBatch,
  enqueueMulticast,
  DEFAULT_JOB_OPTIONS,
  type EnqueueOptions,
  type BatchOptions,
  type MulticastOptions,
} from './enqueue.js';
export { jobIdFor, jobIdForContent, messagesOf, type PushJobData, type SingleJobData, type BatchJobData } from './job-data.js';
export { loadProgress, type JobOutcome, type JobProgress, type MessageProgress } from './job-progress.js';
export { RedisDeviceCounterStore, type RedisStoreOptions } from './device-store.js';
export { RedisValveStore, type RedisValveStoreOptions } from './valve-store.js';
export { SharedCoolDowns, type SharedCoolDownsOptions } from './shared-cooldowns.js';
export {
  createLimiterConnection,
  redisLimits,
  normalizeBottleneckError,
  type LimiterConnectionOptions,
  type RedisLimitsOptions,
} from './limiter-connection.js';
export { DEFAULT_PREFIX, hashKey } from './redis-key.js';
