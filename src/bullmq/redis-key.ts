import { createHash } from 'node:crypto';

/** Default prefix of every key pushback writes to Redis (besides BullMQ's and bottleneck's own). */
export const DEFAULT_PREFIX = 'pushback:';

/**
 * A short, fixed-length key part for an arbitrary string (a device token, a target key): 22 base64url
 * characters of SHA-256 (128 bits). Keeps per-device keys small whatever the token length (FCM tokens run
 * to 160+ characters) and keeps raw tokens out of `KEYS`/`SCAN`/`MONITOR` output.
 */
export function hashKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}
