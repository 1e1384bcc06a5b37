import { randomUUID } from 'node:crypto';
import { catalog } from '../../catalog/catalog.js';
import { isProviderId, type ProviderId } from '../../types.js';
import { apnsErrorBody, apnsStatus } from './apns.js';
import { fcmErrorBody, type FcmQuota } from './fcm.js';
import { hmsBody, hmsErrorBody, hmsPartialBody } from './hms.js';
import { isVendorId, vendorError, vendorSuccess, vendorTargetFailure } from './vendor.js';

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
  /**
   * Catalog context: FCM/firebase-admin `token` (the bad-token reading of INVALID_ARGUMENT, SENDER_ID_MISMATCH
   * rather than PERMISSION_DENIED); `target` for per-target failures inside a success (HMS `illegal_tokens`,
   * Xiaomi `bad_regids`, vivo `invalidUsers`, Meizu `value` keys, Honor `failTokens`/`expireTokens`).
   */
  context?: string;
  /** The failed targets for `context: 'target'`. */
  tokens?: readonly string[];
  /** Sequence number for success ids. */
  n?: number;
}

/** FCM server codes behind firebase-admin's client codes, to script `{provider:'firebase-admin', code}`; `@token` = context token. */
const FIREBASE_ADMIN_TO_FCM: Record<string, string> = {
  'messaging/invalid-argument': 'INVALID_ARGUMENT',
  'messaging/invalid-argument@token': 'INVALID_ARGUMENT@token',
  'messaging/registration-token-not-registered': 'UNREGISTERED',
  'messaging/installation-id-not-registered': 'UNREGISTERED_FID',
  'messaging/mismatched-credential': 'PERMISSION_DENIED',
  'messaging/mismatched-credential@token': 'SENDER_ID_MISMATCH',
  'messaging/message-rate-exceeded': 'QUOTA_EXCEEDED',
  'messaging/third-party-auth-error': 'THIRD_PARTY_AUTH_ERROR',
  'messaging/invalid-apns-credentials': 'APNS_AUTH_ERROR',
  'messaging/server-unavailable': 'UNAVAILABLE',
  'messaging/internal-error': 'INTERNAL',
  'messaging/unknown-error': 'UNSPECIFIED_ERROR',
  ok: '200',
};

/** The catalog's action for a code: `ok` codes are answered with the provider's success shape. */
function isSuccessCode(provider: string, code: string, context: string | undefined): boolean {
  if (!isProviderId(provider)) return false;
  try {
    return catalog().lookup(provider, code, context)?.action === 'ok';
  } catch {
    return false;
  }
}

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
  const n = options.n ?? 1;
  const target = options.context === 'target';
  const success = !target && isSuccessCode(provider, code, options.context);
  if (provider === 'apns') {
    if (success) return { status: options.status ?? 200, headers: { 'apns-id': randomUUID() } };
    const status = options.status ?? apnsStatus(code);
    return { status, headers: json, body: apnsErrorBody(code, status, options.timestamp ?? Date.now()) };
  }
  if (provider === 'fcm' || provider === 'firebase-admin') {
    let fcmCode = code;
    if (provider === 'firebase-admin') {
      fcmCode = FIREBASE_ADMIN_TO_FCM[options.context === 'token' ? `${code}@token` : code] ?? FIREBASE_ADMIN_TO_FCM[code] ?? code;
    } else if (options.context === 'token') fcmCode = `${code}@token`;
    if (fcmCode === '200' || (success && provider === 'fcm')) {
      return { status: options.status ?? 200, headers: json, body: `{"name":"projects/${options.project ?? 'project'}/messages/${n}"}` };
    }
    const tokenReading = fcmCode.endsWith('@token');
    fcmCode = fcmCode.replace(/@token$/, '');
    const opts: ProviderErrorOptions & { withFcmError?: boolean } = { ...options };
    // Top-level INVALID_ARGUMENT is the bad-payload reading: FCM's verbose form, an FcmError plus a BadRequest
    // naming a payload field (example 1's field). The `token` context is the bad-token reading: the FcmError
    // alone with "not a valid FCM registration token" (example 2).
    if (fcmCode === 'INVALID_ARGUMENT' && !tokenReading && opts.field === undefined) {
      opts.field = 'message.data[0].value';
      opts.withFcmError = true;
      opts.message ??= "Invalid value at 'message.data[0].value' (TYPE_STRING), 12";
    }
    const r = fcmErrorBody(fcmCode, opts);
    return { status: options.status ?? r.status, headers: json, body: r.body };
  }
  if (provider === 'hms') {
    const requestId = options.requestId ?? String(n);
    if (target) return { status: options.status ?? 200, headers: json, body: hmsPartialBody(1, options.tokens ?? [], requestId) };
    if (success) return { status: options.status ?? 200, headers: json, body: hmsBody(code, 'Success', requestId) };
    const r = hmsErrorBody(code, requestId, options.message);
    // HMS catalog entries named after an HTTP status (502, 503) are that status.
    const status = /^[1-5]\d\d$/.test(code) ? Number(code) : r.status;
    return { status: options.status ?? status, headers: json, body: r.body };
  }
  if (isVendorId(provider)) {
    if (target) {
      const r = vendorTargetFailure(provider, code, options.tokens ?? [], n);
      if (r) return { status: options.status ?? r.status, headers: json, body: JSON.stringify(r.body) };
    }
    if (success) {
      const r = vendorSuccess(provider, n);
      return { status: options.status ?? r.status, headers: json, body: JSON.stringify(r.body) };
    }
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
export { VENDORS, isVendorId, vendorError, vendorSuccess, vendorTargetFailure, type VendorId } from './vendor.js';
