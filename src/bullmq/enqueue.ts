/**
 * Enqueue helpers: one message, a batch, a multicast split into batch jobs. Job ids come from the caller's
 * message id, or else from a hash of the content, so enqueueing the same thing twice adds one job: BullMQ
 * ignores an add whose id exists. That holds while the first job is kept: keep completed and failed jobs
 * at least as long as a re-enqueue can happen (`removeOnComplete: { age }`), the defaults here keep them a day.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { JobResult } from './processor.js';
import { jobIdFor, jobIdForContent, type BatchJobData, type PushJobData, type SingleJobData } from './job-data.js';

/** A day of completed jobs (the idempotency window) and a week of failed ones. */
export const DEFAULT_JOB_OPTIONS: Readonly<JobsOptions> = Object.freeze({
  removeOnComplete: { age: 24 * 3600, count: 1_000_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
  // Only infrastructure errors (Redis down, a closed sender) fail a run; pushback's own retries are delays.
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
});

export interface EnqueueOptions {
  /** The caller's message id: the job id derives from it (idempotent re-enqueue). */
  id?: string;
  /** `false`: let BullMQ number the job (no idempotency). Default true. */
  idempotent?: boolean;
  /** BullMQ job options, over `DEFAULT_JOB_OPTIONS` (`jobId` wins over `id`). */
  job?: JobsOptions;
  /** Job name; default `push`. */
  name?: string;
}

type PushQueue<M> = Queue<PushJobData<M>, JobResult>;

function options(jobId: string | undefined, extra: JobsOptions | undefined): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...(jobId !== undefined ? { jobId } : {}), ...extra };
}

/** Enqueues one message as one job. */
export async function enqueueMessage<M>(queue: PushQueue<M>, message: M, opts: EnqueueOptions = {}) {
  const data: SingleJobData<M> = opts.id !== undefined ? { message, id: opts.id } : { message };
  const jobId = opts.idempotent === false ? undefined : opts.id !== undefined ? jobIdFor(opts.id) : jobIdForContent(message);
  return queue.add(opts.name ?? 'push', data as PushJobData<M>, options(jobId, opts.job));
}

export interface BatchOptions extends Omit<EnqueueOptions, 'id'> {
  /** Caller ids, same order as the messages. */
  ids?: readonly (string | undefined)[];
  /** Id of the batch as a whole: the job id derives from it. Default: a hash of the ids, else of the messages. */
  batchId?: string;
}

/** Enqueues messages as one batch job (they share one admission `weight` and one BullMQ job). */
export async function enqueueBatch<M>(queue: PushQueue<M>, messages: readonly M[], opts: BatchOptions = {}) {
  if (messages.length === 0) throw new RangeError('enqueueBatch: no messages');
  const data: BatchJobData<M> = opts.ids ? { messages: [...messages], ids: [...opts.ids] } : { messages: [...messages] };
  const jobId =
    opts.idempotent === false
      ? undefined
      : opts.batchId !== undefined
        ? jobIdFor(opts.batchId)
        : jobIdForContent(opts.ids && opts.ids.every((i) => i !== undefined) ? { ids: opts.ids } : { messages });
  return queue.add(opts.name ?? 'push', data as PushJobData<M>, options(jobId, opts.job));
}

export interface MulticastOptions<B, M> extends Omit<BatchOptions, 'ids' | 'batchId'> {
  /** Id of the multicast: each chunk's job id is `<id>-<n>`, so a re-enqueue adds nothing. Default: a hash of it. */
  id?: string;
  /** Messages per job. Default 100. */
  chunkSize?: number;
  /** Builds the message for one token; default `{ ...rest, token }` (firebase-admin's MulticastMessage → Message). */
  toMessage?: (base: Omit<B, 'tokens'>, token: string) => M;
}

/**
 * Splits a multicast (`{ tokens, ...message }`) into one message per token and enqueues them as batch jobs
 * of `chunkSize`. Returns the jobs in order. Per-message ids are `<id>:<token index>`.
 */
export async function enqueueMulticast<B extends { tokens: readonly string[] }, M = Omit<B, 'tokens'> & { token: string }>(
  queue: PushQueue<M>,
  multicast: B,
  opts: MulticastOptions<B, M> = {},
) {
  const { tokens, ...base } = multicast;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new RangeError('enqueueMulticast: no tokens');
  const size = Math.max(1, Math.floor(opts.chunkSize ?? 100));
  const build = opts.toMessage ?? ((b: Omit<B, 'tokens'>, token: string) => ({ ...b, token }) as unknown as M);
  const id = opts.id ?? jobIdForContent(multicast).slice(3);
  const jobs = [];
  for (let start = 0, n = 0; start < tokens.length; start += size, n++) {
    const chunk = tokens.slice(start, start + size);
    const messages = chunk.map((t) => build(base, t));
    const ids = chunk.map((_, k) => `${id}:${start + k}`);
    const batch: BatchOptions = { ids, batchId: `${id}-${n}` };
    if (opts.idempotent !== undefined) batch.idempotent = opts.idempotent;
    if (opts.job !== undefined) batch.job = opts.job;
    if (opts.name !== undefined) batch.name = opts.name;
    jobs.push(await enqueueBatch(queue, messages, batch));
  }
  return jobs;
}
