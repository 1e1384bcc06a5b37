import type { BatchResponse, Message, MulticastMessage, SendResponse } from 'firebase-admin/messaging';

/**
 * The pure half of the partial-batch retry: splitting, expanding a multicast, and merging per-message
 * results back into one `BatchResponse` in input order. No I/O.
 */

/** firebase-admin's `FCM_MAX_BATCH_SIZE` for `sendEach`/`sendEachForMulticast`. */
export const FCM_MAX_BATCH_SIZE = 500;
/** Tokens per topic subscribe/unsubscribe call. */
export const TOPIC_MAX_BATCH_SIZE = 1000;

/** Splits into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError(`chunk size must be >= 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The messages `sendEachForMulticast` sends: one per token (and per `fids` entry on 14), in order,
 * each with the multicast's shared fields, exactly as firebase-admin builds them. */
export function expandMulticast(multicast: MulticastMessage): Message[] {
  const m = multicast as MulticastMessage & { fids?: unknown };
  const { android, apns, data, notification, webpush, fcmOptions } = m;
  const tokens = Array.isArray(m.tokens) ? m.tokens : [];
  const fids = Array.isArray(m.fids) ? (m.fids as unknown[]) : [];
  // Object literals, not a spread of the shared fields: one message per token, so this is per message.
  const out: Message[] = tokens.map((token) => ({ token, android, apns, data, notification, webpush, fcmOptions }) as Message);
  for (const fid of fids) out.push({ fid, android, apns, data, notification, webpush, fcmOptions } as unknown as Message);
  return out;
}

/** A `BatchResponse` whose counts are computed from its responses (so they always add up). */
export function toBatchResponse(responses: SendResponse[]): BatchResponse {
  let successCount = 0;
  for (const r of responses) if (r.success) successCount++;
  return { responses, successCount, failureCount: responses.length - successCount };
}

/** Puts results computed for `indices` (positions in the input) back into input order. */
export function mergeInOrder<T>(length: number, parts: readonly { indices: readonly number[]; results: readonly T[] }[]): T[] {
  const out = new Array<T>(length);
  const seen = new Uint8Array(length);
  for (const { indices, results } of parts) {
    if (indices.length !== results.length) throw new Error(`mergeInOrder: ${indices.length} indices for ${results.length} results`);
    indices.forEach((at, k) => {
      if (!(at >= 0 && at < length) || seen[at]) throw new Error(`mergeInOrder: index ${at} out of range or given twice`);
      seen[at] = 1;
      out[at] = results[k] as T;
    });
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) throw new Error(`mergeInOrder: no result for index ${missing}`);
  return out;
}
