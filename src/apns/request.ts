/**
 * Builds the APNs request for one notification (pure), and rejects locally what APNs would reject
 * anyway (payload too large, malformed header values), with the reason APNs would give.
 */
import type { ApnsNotification, ApnsPushType } from './types.js';

/** Payload limits in UTF-8 bytes (Apple: 4 KB, 5 KB for VoIP). */
export const APNS_PAYLOAD_LIMIT = 4096;
export const APNS_VOIP_PAYLOAD_LIMIT = 5120;
export const APNS_COLLAPSE_ID_LIMIT = 64;

/** `apns-topic` suffix required by some push types (token auth). */
export const TOPIC_SUFFIX: Readonly<Partial<Record<ApnsPushType, string>>> = {
  voip: '.voip',
  complication: '.complication',
  liveactivity: '.push-type.liveactivity',
  fileprovider: '.pushkit.fileprovider',
  location: '.location-query',
  pushtotalk: '.voip-ptt',
  widgets: '.push-type.widgets',
  controls: '.push-type.controls',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ApnsRequest {
  ok: true;
  path: string;
  headers: Record<string, string>;
  /** The serialized payload (a Buffer when one was given). */
  body: string | Buffer;
  apnsId: string;
}

/** A notification APNs would refuse: `status` and `reason` are the ones APNs returns for it. */
export interface ApnsLocalRejection {
  ok: false;
  status: number;
  reason: string;
  detail: string;
  apnsId: string;
}

function reject(status: number, reason: string, detail: string, apnsId: string): ApnsLocalRejection {
  return { ok: false, status, reason, detail, apnsId };
}

export function payloadLimit(pushType: ApnsPushType): number {
  return pushType === 'voip' ? APNS_VOIP_PAYLOAD_LIMIT : APNS_PAYLOAD_LIMIT;
}

/** The default topic for a push type: the bundle ID plus the type's suffix, unless already there. */
export function topicFor(bundleId: string, pushType: ApnsPushType): string {
  const suffix = TOPIC_SUFFIX[pushType];
  return suffix && !bundleId.endsWith(suffix) ? bundleId + suffix : bundleId;
}

export function buildApnsRequest(n: ApnsNotification, defaultTopic: string | undefined): ApnsRequest | ApnsLocalRejection {
  // Without an `id`, APNs assigns one and returns it in the response's apns-id header (this saves a
  // UUID and an unindexable header per request).
  const apnsId = n.id ?? '';
  const pushType = n.pushType ?? 'alert';
  if (typeof n.token !== 'string' || n.token.length === 0) return reject(400, 'MissingDeviceToken', 'the notification has no device token', apnsId);
  if (n.id !== undefined && !UUID.test(n.id)) return reject(400, 'BadMessageId', '`id` must be a UUID (8-4-4-4-12 hex)', apnsId);
  const topic = n.topic ?? (defaultTopic ? topicFor(defaultTopic, pushType) : undefined);
  if (!topic) return reject(400, 'MissingTopic', 'no `topic` on the notification and no default `topic` on the sender', apnsId);

  // The body stays a string (encoded once, by the stream); its size is counted in UTF-8 bytes.
  const p = n.payload;
  const body: string | Buffer = Buffer.isBuffer(p) ? p : typeof p === 'string' ? p : (JSON.stringify(p) ?? '');
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size < 16 && body.toString().trim().length === 0) return reject(400, 'PayloadEmpty', 'the payload is empty', apnsId);
  const limit = payloadLimit(pushType);
  if (size > limit) return reject(413, 'PayloadTooLarge', `payload is ${size} bytes; the ${pushType} limit is ${limit}`, apnsId);

  const headers: Record<string, string> = {
    'apns-push-type': pushType,
    'apns-topic': topic,
  };
  if (n.id !== undefined) headers['apns-id'] = n.id.toLowerCase();
  if (n.expiration !== undefined) {
    if (!Number.isInteger(n.expiration) || n.expiration < 0) return reject(400, 'BadExpirationDate', '`expiration` must be UNIX seconds (integer >= 0)', apnsId);
    headers['apns-expiration'] = String(n.expiration);
  }
  if (n.priority !== undefined) {
    if (n.priority !== 10 && n.priority !== 5 && n.priority !== 1) return reject(400, 'BadPriority', '`priority` must be 10, 5 or 1', apnsId);
    headers['apns-priority'] = String(n.priority);
  }
  if (n.collapseId !== undefined) {
    if (Buffer.byteLength(n.collapseId, 'utf8') > APNS_COLLAPSE_ID_LIMIT) return reject(400, 'BadCollapseId', '`collapseId` is longer than 64 bytes', apnsId);
    headers['apns-collapse-id'] = n.collapseId;
  }
  return { ok: true, path: `/3/device/${encodeURIComponent(n.token)}`, headers, body, apnsId: headers['apns-id'] ?? '' };
}
