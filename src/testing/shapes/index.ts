import { catalog } from '../../catalog/catalog.js';
import { isProviderId, type ProviderId } from '../../types.js';
import { apnsErrorBody, apnsStatus } from './apns.js';
import { fcmErrorBody, type FcmQuota } from './fcm.js';
import { hmsErrorBody } from './hms.js';
import { isVendorId, vendorError } from './vendor.js';

/** A response the fake server writes: status, extra headers, body (string or JSON-able value). */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ProviderErrorOptions {
  /** APNs 410 timestamp (ms); default: now. */
  timestamp?: number;
  /** Override the human message. */
  message?: string;
  /** Override the HTTP status. */
  status?: number;
  /** FCM QUOTA_EXCEEDED: which quota the QuotaFailure names. */
  quota?: FcmQuota;
  /** FCM INVALID_ARGUMENT about a payload field (BadRequest detail) rather than the token. */
  field?: string;
  project?: string;
  requestId?: string;
}

/** FCM server codes behind firebase-admin's client codes, to script `{provider:'firebase-admin', code}`. */
const FIREBASE_ADMIN_TO_FCM: Record<string, string> = {
  'messaging/invalid-argument': 'INVALID_ARGUMENT',
  'messaging/registration-token-not-registered': 'UNREGISTERED',
  'messaging/mismatched-credential': 'SENDER_ID_MISMATCH',
  'messaging/message-rate-exceeded': 'QUOTA_EXCEEDED',
  'messaging/third-party-auth-error': 'THIRD_PARTY_AUTH_ERROR',
  'messaging/server-unavailable': 'UNAVAILABLE',
  'messaging/internal-error': 'INTERNAL',
  'messaging/unknown-error': 'UNSPECIFIED_ERROR',
};

/** The catalog's meaning for a code, if the shipped catalog has it (used as message text). */
function catalogMeaning(provider: ProviderId, code: string): { meaning?: string; status?: number } {
  try {
    const entry = catalog().lookup(provider, code);
    return entry ? { meaning: entry.meaning, ...(entry.status != null ? { status: entry.status } : {}) } : {};
  } catch {
    return {};
  }
}

/**
 * The status and body `provider` really sends for `code`: `{provider:'apns', code:'TooManyRequests'}` →
 * 429 `{"reason":"TooManyRequests"}`; `{provider:'fcm', code:'UNREGISTERED'}` → 404 with an FcmError detail;
 * `{provider:'hms', code:'80200003'}` → 401 `{code,msg,requestId}`; vendors → their body shape.
 */
export function providerError(provider: ProviderId | string, code: string, options: ProviderErrorOptions = {}): FakeResponse {
  const json = { 'content-type': 'application/json; charset=UTF-8' };
  if (provider === 'apns') {
    const status = options.status ?? apnsStatus(code);
    return { status, headers: json, body: apnsErrorBody(code, status, options.timestamp ?? Date.now()) };
  }
  if (provider === 'fcm' || provider === 'firebase-admin') {
    const fcmCode = FIREBASE_ADMIN_TO_FCM[code] ?? code;
    const r = fcmErrorBody(fcmCode, options);
    return { status: options.status ?? r.status, headers: json, body: r.body };
  }
  if (provider === 'hms') {
    const r = hmsErrorBody(code, options.requestId ?? '0', options.message);
    return { status: options.status ?? r.status, headers: json, body: r.body };
  }
  if (isVendorId(provider)) {
    const known = isProviderId(provider) ? catalogMeaning(provider, code) : {};
    const r = vendorError(provider, code, options.message ?? known.meaning ?? code, options.status ?? (provider === 'infobip' || provider === 'cometchat' ? known.status : undefined));
    return { status: r.status, headers: json, body: JSON.stringify(r.body) };
  }
  return { status: options.status ?? 500, headers: json, body: JSON.stringify({ error: { code, message: options.message ?? code } }) };
}

/** A Retry-After header value: seconds, an HTTP-date for a Date, or a raw string (garbage included). */
export function retryAfterValue(value: number | Date | string): string {
  if (value instanceof Date) return value.toUTCString();
  if (typeof value === 'number') return String(Math.max(0, Math.ceil(value)));
  return value;
}

export { APNS_REASONS, apnsErrorBody, apnsStatus } from './apns.js';
export { FCM_CODES, fcmErrorBody, FCM_ERROR_TYPE, BAD_REQUEST_TYPE, QUOTA_FAILURE_TYPE, type FcmQuota } from './fcm.js';
export { HMS_CODES, hmsBody, hmsErrorBody, hmsPartialBody } from './hms.js';
export { VENDORS, isVendorId, vendorError, vendorSuccess, type VendorId } from './vendor.js';
