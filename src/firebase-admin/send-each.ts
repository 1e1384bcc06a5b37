import type { BatchResponse, Message, Messaging } from 'firebase-admin/messaging';

type Result = { success: true; messageId?: string } | { success: false; error: unknown };

/**
 * One `sendEach` call that never throws and always answers one result per message, in order:
 * - a synchronous throw happens before any request, and with the wrapper's calls (an array of at most
 *   500, a boolean `dryRun`) only a message can cause it (firebase-admin deep-copies every message first:
 *   a circular or otherwise uncopyable one throws for the whole call). The call's messages may come from
 *   several callers, so it is split in halves, recursively, until the throw is down to the messages that
 *   cause it: only they fail (one bad message among 500 costs about 9 more calls, each half that does not
 *   throw is sent as one call);
 * - a rejection (no project id, an access-token failure before any request) fails every message with it;
 * - an HTTP/2 session failure on 13.3+ (`FirebaseMessagingSessionError`, code `messaging/app/network-error`)
 *   keeps what its `pendingBatchResponse` says: the messages that succeeded stay delivered, the others
 *   fail with their own error (or the session error), so only they are retried;
 * - on 14 a session failure already resolves, each affected message failing as `messaging/unknown-error`
 *   with an AggregateError cause: nothing to do here.
 * (12.3 to 13.2 crash the process on a session failure, firebase-admin-node #2789: nothing a wrapper can catch.)
 */
export async function sendEachSafe(messaging: Pick<Messaging, 'sendEach'>, messages: Message[], dryRun: boolean): Promise<Result[]> {
  let pending: Promise<BatchResponse>;
  try {
    pending = messaging.sendEach(messages, dryRun || undefined);
  } catch (error) {
    if (messages.length <= 1) return messages.map(() => ({ success: false, error }));
    // One half after the other: the call holds one of the wrapper's `maxConcurrentBatches` places.
    const half = messages.length >> 1;
    const a = await sendEachSafe(messaging, messages.slice(0, half), dryRun);
    return a.concat(await sendEachSafe(messaging, messages.slice(half), dryRun));
  }
  let res: BatchResponse;
  try {
    res = await pending;
  } catch (error) {
    const pending = (error as { pendingBatchResponse?: unknown } | null)?.pendingBatchResponse;
    const partial = pending && typeof (pending as Promise<unknown>).then === 'function' ? await Promise.resolve(pending).catch(() => undefined) : undefined;
    const responses = (partial as BatchResponse | undefined)?.responses;
    if (Array.isArray(responses) && responses.length === messages.length) {
      return responses.map((r) => (r?.success ? { success: true, messageId: r.messageId } : { success: false, error: r?.error ?? error }));
    }
    return messages.map(() => ({ success: false, error }));
  }
  const responses = Array.isArray(res?.responses) ? res.responses : [];
  return messages.map((_, i) => {
    const r = responses[i];
    if (!r) return { success: false, error: new Error(`firebase-admin answered ${responses.length} responses for ${messages.length} messages`) };
    // firebase-admin's own success object already has this shape: passed on as it is (no copy per message).
    if (r.success) return r.success === true ? (r as Result) : { success: true, messageId: r.messageId };
    return { success: false, error: r.error };
  });
}
