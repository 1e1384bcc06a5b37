/**
 * FCM HTTP v1: `{ error: { code, message, status, details[] } }` (fcm.md §1). The FcmError `errorCode`
 * is more specific than `status` and wins. INVALID_ARGUMENT is either a bad token or a bad payload:
 * a BadRequest field violation on `message.token`, an FcmError INVALID_ARGUMENT without other field
 * violations, or FCM's "not a valid FCM registration token" text mean the token (context `token`).
 * Success: `{ name: "projects/…/messages/…" }`.
 */
import { parseDuration } from '../retry-after.js';
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

const FCM_ERROR = 'google.firebase.fcm.v1.FcmError';
const BAD_REQUEST = 'google.rpc.BadRequest';
const RETRY_INFO = 'google.rpc.RetryInfo';
const ERROR_INFO = 'google.rpc.ErrorInfo';

/** FCM's success body as it comes, `{"name": "projects/…/messages/…"}` (JSON whitespace allowed, no escapes). */
const SUCCESS_TEXT = /^[ \t\n\r]*\{[ \t\n\r]*"name"[ \t\n\r]*:[ \t\n\r]*"([^"\\]*)"[ \t\n\r]*\}[ \t\n\r]*$/;

/**
 * The extraction of a 2xx body that is exactly FCM's success shape, read without `JSON.parse` (the
 * common case, once per delivered message); undefined for anything else, which takes the full path
 * (`fcmBody` on the parsed body gives the same extraction for this shape).
 */
export function fcmSuccessText(text: string): Extraction | undefined {
  if (text.length > 1024) return undefined;
  const m = SUCCESS_TEXT.exec(text);
  return m === null ? undefined : { code: '200', messageId: m[1] };
}

export function fcmBody(body: unknown, status: number | undefined): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const error = body.error;
  if (typeof error === 'string') return { code: codeOf(error) };
  if (!isObject(error)) {
    const name = str(body.name);
    return status === undefined || (status >= 200 && status < 300) ? { code: '200', messageId: name } : undefined;
  }
  return fcmError(error);
}

/** Reads the `error` object of an FCM v1 error body (also used for firebase-admin v14 `httpResponse.data`). */
export function fcmError(error: Record<string, unknown>): Extraction {
  const text = str(error.message);
  let fcmCode: string | undefined;
  let errorInfoReason: string | undefined;
  let tokenField = false;
  let otherField = false;
  let retryDelayMs: number | undefined;
  const details = error.details;
  if (Array.isArray(details)) {
    const n = Math.min(details.length, 32);
    for (let i = 0; i < n; i++) {
      const d = details[i];
      if (!isObject(d)) continue;
      const type = d['@type'];
      if (typeof type !== 'string') continue;
      if (type.endsWith(FCM_ERROR)) fcmCode ??= codeOf(d.errorCode);
      else if (type.endsWith(BAD_REQUEST)) {
        const violations = d.fieldViolations;
        if (Array.isArray(violations)) {
          for (let j = 0; j < Math.min(violations.length, 32); j++) {
            const v = violations[j];
            const field = isObject(v) ? v.field : undefined;
            if (typeof field !== 'string') continue;
            if (field === 'message.token' || field.startsWith('message.token')) tokenField = true;
            else otherField = true;
          }
        }
      } else if (type.endsWith(RETRY_INFO)) retryDelayMs = parseDuration(d.retryDelay ?? d.retry_delay);
      else if (type.endsWith(ERROR_INFO)) errorInfoReason ??= codeOf(d.reason);
    }
  }
  const code = fcmCode ?? codeOf(error.status) ?? errorInfoReason;
  let context: string | undefined;
  if (code === 'INVALID_ARGUMENT') {
    if (tokenField) context = 'token';
    else if (!otherField && (fcmCode === 'INVALID_ARGUMENT' || mentionsBadToken(text))) context = 'token';
  } else if (code === 'SENDER_ID_MISMATCH') context = undefined;
  return { code, context, text, retryDelayMs };
}

/** FCM's wording for a bad token ("The registration token is not a valid FCM registration token"). */
export function mentionsBadToken(text: string | undefined): boolean {
  if (text === undefined) return false;
  const t = text.length > 4096 ? text.slice(0, 4096) : text;
  return t.includes('not a valid FCM registration token') || t.includes("'message.token'") || t.includes('registration token is not');
}
