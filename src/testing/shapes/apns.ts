/**
 * APNs response shapes (Apple, "Handling notification responses from APNs"): every documented `reason`
 * with its status. Error bodies are `{"reason": "..."}`, plus `"timestamp"` (ms) on 410 only.
 */
export const APNS_REASONS: Readonly<Record<string, number>> = Object.freeze({
  BadCollapseId: 400,
  BadDeviceToken: 400,
  BadExpirationDate: 400,
  BadMessageId: 400,
  BadPriority: 400,
  BadTopic: 400,
  DeviceTokenNotForTopic: 400,
  DuplicateHeaders: 400,
  IdleTimeout: 400,
  InvalidPushType: 400,
  MissingDeviceToken: 400,
  MissingTopic: 400,
  PayloadEmpty: 400,
  TopicDisallowed: 400,
  BadCertificate: 403,
  BadCertificateEnvironment: 403,
  ExpiredProviderToken: 403,
  Forbidden: 403,
  InvalidProviderToken: 403,
  MissingProviderToken: 403,
  UnrelatedKeyIdInToken: 403,
  BadEnvironmentKeyIdInToken: 403,
  /** Undocumented spelling seen in the wild (APNSwift#229). */
  BadEnvironmentKeyInToken: 403,
  BadPath: 404,
  MethodNotAllowed: 405,
  ExpiredToken: 410,
  Unregistered: 410,
  PayloadTooLarge: 413,
  TooManyProviderTokenUpdates: 429,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  Shutdown: 503,
});

/** The JSON body APNs sends for `reason`; `timestamp` only with 410. */
export function apnsErrorBody(reason: string, status: number, timestamp: number): string {
  return status === 410 ? `{"reason":${JSON.stringify(reason)},"timestamp":${timestamp}}` : `{"reason":${JSON.stringify(reason)}}`;
}

/** The status APNs uses for `reason` (400 for reasons it does not document). */
export function apnsStatus(reason: string): number {
  return APNS_REASONS[reason] ?? 400;
}
