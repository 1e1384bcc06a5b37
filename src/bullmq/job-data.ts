/**
 * What a pushback job carries, and its job ids. A job holds one message (`message`) or a batch
 * (`messages`); ids make a re-enqueue idempotent: BullMQ ignores an add whose job id already exists.
 */
import { createHash } from 'node:crypto';
import { hashKey } from './redis-key.js';

export interface SingleJobData<M> {
  message: M;
  /** The caller's message id, if any (also the source of the job id). */
  id?: string;
}

export interface BatchJobData<M> {
  messages: M[];
  /** The caller's ids, same order as `messages`. */
  ids?: (string | undefined)[];
}

export type PushJobData<M> = SingleJobData<M> | BatchJobData<M>;

export function isBatch<M>(data: PushJobData<M>): data is BatchJobData<M> {
  return Array.isArray((data as BatchJobData<M>).messages);
}

/** The messages of a job, in order; throws a clear error on data that is not a pushback job. */
export function messagesOf<M>(data: unknown): M[] {
  if (data && typeof data === 'object') {
    const d = data as Partial<SingleJobData<M> & BatchJobData<M>>;
    if (Array.isArray(d.messages)) return d.messages;
    if ('message' in d) return [d.message as M];
  }
  throw new TypeError('not a pushback job: data must carry `message` or `messages`');
}

export function idsOf(data: unknown): (string | undefined)[] {
  const d = data as Partial<SingleJobData<unknown> & BatchJobData<unknown>>;
  if (Array.isArray(d?.messages)) return d.ids ?? [];
  return [d?.id];
}

/** JSON with object keys sorted, so equal messages hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,120}$/;

/**
 * The job id for a caller-supplied id: `pb-<id>` when it is short and plain, else `pb-h<hash>` (BullMQ
 * refuses ids with `:` and integer ids). Same caller id, same job id.
 */
export function jobIdFor(callerId: string): string {
  return SAFE_ID.test(callerId) ? `pb-${callerId}` : `pb-h${hashKey(callerId)}`;
}

/** The job id for a message without a caller id: a hash of its content (key order does not matter). */
export function jobIdForContent(value: unknown): string {
  return `pb-c${createHash('sha256').update(stableStringify(value)).digest('base64url').slice(0, 32)}`;
}
