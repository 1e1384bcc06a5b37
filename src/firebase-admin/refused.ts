import type { ClassifyInput, Verdict } from '../types.js';

/**
 * An HTTP/2 stream refused by the server (RST_STREAM REFUSED_STREAM, or a stream above a GOAWAY's last
 * stream id) was never processed (RFC 9113 §8.7): retrying it cannot duplicate a notification. The
 * classifier flags every transport failure as maybe-delivered; this lifts the flag for refused streams,
 * so they are retried even for messages without a collapse key. Looks through `cause` and AggregateError.
 */
export function isRefusedStream(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.message === 'string' && e.message.includes('NGHTTP2_REFUSED_STREAM')) return true;
  if (isRefusedStream(e.cause, depth + 1)) return true;
  return Array.isArray(e.errors) && e.errors.some((x) => isRefusedStream(x, depth + 1));
}

/** Wraps a classifier: refused streams are not maybe-delivered. */
export function refineRefusedStreams(base: (input: ClassifyInput) => Verdict): (input: ClassifyInput) => Verdict {
  return (input) => {
    const v = base(input);
    if (v.maybeDelivered && 'error' in input && isRefusedStream(input.error)) {
      const { maybeDelivered: _drop, ...rest } = v;
      return { ...rest, reason: `${v.reason} (stream refused by the server: never processed, safe to retry)` };
    }
    return v;
  };
}
