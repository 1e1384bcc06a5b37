/**
 * firebase-admin errors and batch results (fcm.md §4).
 * - v12/v13 `FirebaseMessagingError`: `code` (also `errorInfo.code`) + `message` only. For
 *   `messaging/invalid-argument` the message text is the only way to tell a bad token from a bad payload;
 *   `messaging/mismatched-credential` is about the token when FCM said SENDER_ID_MISMATCH ("SenderId mismatch").
 * - v14: `httpResponse: { status, headers, data }`; `data` is FCM's body and is read by the FCM extractor.
 * - 13.3–13.x session failures use the double prefix `messaging/app/network-error` (a catalog code of its own).
 * - `BatchResponse { responses, successCount, failureCount }` bodies, with the caller's `targets`.
 */
import { fromText } from '../body.js';
import { codeOf, isObject, str, type Extraction, type TargetReport } from '../extraction.js';
import { fcmError, mentionsBadToken } from './fcm.js';

/** FCM server codes → firebase-admin client codes (MESSAGING_SERVER_TO_CLIENT_CODE), for raw FCM bodies given as firebase-admin. */
const SERVER_TO_CLIENT: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  NOT_FOUND: 'messaging/registration-token-not-registered',
  UNREGISTERED: 'messaging/registration-token-not-registered',
  UNREGISTERED_FID: 'messaging/installation-id-not-registered',
  PERMISSION_DENIED: 'messaging/mismatched-credential',
  SENDER_ID_MISMATCH: 'messaging/mismatched-credential',
  RESOURCE_EXHAUSTED: 'messaging/message-rate-exceeded',
  QUOTA_EXCEEDED: 'messaging/message-rate-exceeded',
  UNAUTHENTICATED: 'messaging/third-party-auth-error',
  THIRD_PARTY_AUTH_ERROR: 'messaging/third-party-auth-error',
  APNS_AUTH_ERROR: 'messaging/third-party-auth-error',
  INVALID_ARGUMENT: 'messaging/invalid-argument',
  INTERNAL: 'messaging/internal-error',
  UNAVAILABLE: 'messaging/server-unavailable',
  UNSPECIFIED_ERROR: 'messaging/unknown-error',
});

/** firebase-admin's code as the catalog writes it: `messaging/` prefix added when missing (`hasCode` accepts both). */
export function firebaseCode(raw: unknown): string | undefined {
  const code = codeOf(raw);
  if (code === undefined) return undefined;
  if (code.includes('/')) return code;
  return 'messaging/' + code;
}

/** Whether an error object looks like a firebase-admin error (`messaging/…`, `app/…`). */
export function isFirebaseError(error: Record<string, unknown>): boolean {
  const code = error.code ?? (isObject(error.errorInfo) ? error.errorInfo.code : undefined);
  return typeof code === 'string' && (code.startsWith('messaging/') || code.startsWith('app/'));
}

export function firebaseAdminError(error: Record<string, unknown>): Extraction {
  const info = isObject(error.errorInfo) ? error.errorInfo : undefined;
  const code = firebaseCode(error.code ?? info?.code);
  const text = str(error.message) ?? (info ? str(info.message) : undefined);
  const ext: Extraction = { code, text };
  const http = error.httpResponse;
  let fcm: Extraction | undefined;
  if (isObject(http)) {
    const status = http.status;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) ext.status = status;
    ext.headers = http.headers;
    const data = typeof http.data === 'string' ? fromText(http.data).json : http.data;
    if (isObject(data) && isObject(data.error)) {
      fcm = fcmError(data.error);
      ext.retryDelayMs = fcm.retryDelayMs;
    }
  }
  if (code === 'messaging/invalid-argument') {
    if (fcm ? fcm.context === 'token' : mentionsBadToken(text)) ext.context = 'token';
  } else if (code === 'messaging/mismatched-credential') {
    if (fcm ? fcm.code === 'SENDER_ID_MISMATCH' : mentionsSenderMismatch(text)) ext.context = 'token';
  } else if (code === undefined && fcm?.code !== undefined) {
    ext.code = SERVER_TO_CLIENT[fcm.code] ?? 'messaging/unknown-error';
  }
  return ext;
}

function mentionsSenderMismatch(text: string | undefined): boolean {
  return text !== undefined && (text.includes('SENDER_ID_MISMATCH') || text.includes('SenderId mismatch'));
}

/** A raw response under provider `firebase-admin`: a BatchResponse, or an FCM body mapped to the SDK's code. */
export function firebaseAdminBody(body: unknown, status: number | undefined): Extraction | undefined {
  if (!isObject(body)) return undefined;
  if (Array.isArray(body.responses)) return batch(body.responses);
  if (isObject(body.error)) {
    const fcm = fcmError(body.error);
    const ext = firebaseAdminError({ code: fcm.code ? (SERVER_TO_CLIENT[fcm.code] ?? 'messaging/unknown-error') : undefined, httpResponse: { status, data: body } });
    return ext;
  }
  if (status === undefined || (status >= 200 && status < 300)) return { code: 'ok', messageId: str(body.name) ?? str(body.messageId) };
  return undefined;
}

/** Per-message results of `sendEach*`, positionally; the core keys them by the caller's `targets`. */
function batch(responses: unknown[]): Extraction {
  const n = Math.min(responses.length, 10_000);
  const targets: TargetReport[] = [];
  let failed = 0;
  let first: Extraction | undefined;
  let same = true;
  for (let i = 0; i < n; i++) {
    const r = responses[i];
    if (!isObject(r) || r.success === true) continue;
    failed++;
    const ext = isObject(r.error) ? firebaseAdminError(r.error) : { code: 'messaging/unknown-error' };
    if (first === undefined) first = ext;
    else if (ext.code !== first.code || ext.context !== first.context) same = false;
    targets.push({ ids: [String(i)], codes: [ext.code ?? 'messaging/unknown-error'], context: ext.context ?? 'top', fallback: 'retry' });
  }
  const ext: Extraction = { code: 'ok', okCode: 'ok', targets, batch: { failed, total: n } };
  if (failed > 0 && failed === n && same && first) {
    ext.code = first.code;
    ext.context = first.context;
    ext.text = first.text;
  }
  return ext;
}
