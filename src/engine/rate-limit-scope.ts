import type { ProviderId, Verdict } from '../types.js';

/** Which target a rate-limit verdict throttles. */
export type RateScope = 'project' | 'device' | 'topic';

/**
 * Rate-limit codes that do not mean "the whole project": per-device (APNs TooManyRequests, the
 * firebase-admin legacy device rate, Meizu 520 "folded") and per-topic codes. Sources:
 * shared/reference apns.md §2, fcm.md §4, vendors.md §quotas.
 */
const SCOPED: Partial<Record<ProviderId, Record<string, RateScope>>> = {
  apns: { TooManyRequests: 'device' },
  'firebase-admin': {
    'messaging/device-message-rate-exceeded': 'device',
    'messaging/topics-message-rate-exceeded': 'topic',
  },
  meizu: { '520': 'device' },
};

/**
 * Codes that say "too many requests for the project/app" although their HTTP status is not 429
 * (errors inside 200 bodies, 503 flow control). Source: shared/reference/vendors.md, quotas table.
 */
const PROJECT_RATE: Partial<Record<ProviderId, readonly string[]>> = {
  fcm: ['QUOTA_EXCEEDED', 'RESOURCE_EXHAUSTED'],
  'firebase-admin': ['messaging/message-rate-exceeded'],
  hms: ['503'],
  honor: ['503'],
  xiaomi: ['10027', '200002'],
  oppo: ['-2', '13', '55'],
  vivo: ['10072'],
  meizu: ['110010'],
  tencent: ['90024'],
};

/** The target a verdict cools down, or `null` when it is not a rate-limit verdict. */
export function rateLimitScope(verdict: Verdict): RateScope | null {
  if (verdict.action !== 'retry') return null;
  const scoped = SCOPED[verdict.provider]?.[verdict.code];
  if (scoped) return scoped;
  if (verdict.status === 429) return 'project';
  if (PROJECT_RATE[verdict.provider]?.includes(verdict.code)) return 'project';
  return null;
}
