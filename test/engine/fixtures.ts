/**
 * Provider-shaped responses for the engine tests, and the classifier they run with (the real one).
 * `fakeClassify` is kept for the engine's unit tests of behaviours no catalog code produces.
 */
import { classify as realClassify } from '../../src/classify/index.js';
import type { ClassifyInput, Verdict } from '../../src/types.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** An FCM HTTP v1 error response. */
export function fcmError(status: number, errorCode: string, headers: Record<string, string> = {}): RawResponse {
  const canonical: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: JSON.stringify({
      error: {
        code: status,
        message: `Request failed (${errorCode})`,
        status: canonical[status] ?? 'UNKNOWN',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    }),
  };
}

/** An FCM 400 for a bad payload field (a BadRequest field violation, no FcmError). */
export function fcmBadRequest(field: string): RawResponse {
  return {
    status: 400,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify({
      error: {
        code: 400,
        message: `Invalid value at '${field}'`,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: `Invalid value at '${field}'` }] }],
      },
    }),
  };
}

export function fcmOk(id = '0:1700000000000000%abc'): RawResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `projects/demo/messages/${id}` }) };
}

/** An APNs HTTP/2 error response (`{ reason, timestamp? }`). */
export function apnsError(status: number, reason: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): RawResponse {
  return { status, headers: { 'apns-id': '8c2f4d6e-0000-4000-8000-000000000001', ...headers }, body: JSON.stringify({ reason, ...extra }) };
}

export function apnsOk(id = '8c2f4d6e-0000-4000-8000-000000000002'): RawResponse {
  return { status: 200, headers: { 'apns-id': id }, body: '' };
}

const ACTIONS: Record<string, Partial<Verdict>> = {
  UNREGISTERED: { action: 'drop-token' },
  SENDER_ID_MISMATCH: { action: 'drop-token' },
  INVALID_ARGUMENT: { action: 'fix-request' },
  QUOTA_EXCEEDED: { action: 'retry', retryAfterMs: 60_000 },
  UNAVAILABLE: { action: 'retry' },
  INTERNAL: { action: 'retry' },
  THIRD_PARTY_AUTH_ERROR: { action: 'fatal' },
  BadDeviceToken: { action: 'drop-token' },
  Unregistered: { action: 'drop-token' },
  TooManyRequests: { action: 'retry' },
  InvalidProviderToken: { action: 'fatal' },
  ExpiredProviderToken: { action: 'retry', refreshCredential: true },
  BadTopic: { action: 'fix-request' },
};

/** Understands exactly the shapes above; the real classifier replaces it once merged. */
export function fakeClassify(input: ClassifyInput): Verdict {
  if ('error' in input) {
    const e = input.error as { code?: string; requestSent?: boolean };
    const v: Verdict = { provider: input.provider, code: e?.code ?? 'UNKNOWN', action: 'retry', retryAfterMs: null, known: false, reason: 'transport error' };
    if (input.requestSent ?? e?.requestSent) v.maybeDelivered = true;
    return v;
  }
  const status = input.status ?? 0;
  const headers = (input.headers ?? {}) as Record<string, string>;
  const ra = headers['retry-after'] !== undefined ? Number(headers['retry-after']) * 1000 : null;
  let body: any = input.body;
  try {
    if (typeof body === 'string' && body) body = JSON.parse(body);
  } catch {
    body = undefined;
  }
  if (status === 200) {
    const v: Verdict = { provider: input.provider, code: 'OK', action: 'ok', retryAfterMs: null, known: true, reason: 'delivered', status };
    const id = body?.name ?? headers['apns-id'];
    if (id) v.messageId = id;
    return v;
  }
  const code: string = body?.reason ?? body?.error?.details?.[0]?.errorCode ?? `HTTP_${status}`;
  const entry = ACTIONS[code] ?? { action: status === 429 || status >= 500 ? 'retry' : 'fix-request' };
  const v: Verdict = { provider: input.provider, code, action: entry.action!, retryAfterMs: null, known: code in ACTIONS, reason: `${code} (${status})`, status };
  if (v.action === 'retry') {
    const floor = entry.retryAfterMs ?? null;
    v.retryAfterMs = ra === null ? floor : Math.max(ra, floor ?? 0);
  }
  if (entry.refreshCredential) v.refreshCredential = true;
  if (typeof body?.timestamp === 'number') v.tokenInvalidSince = body.timestamp;
  return v;
}

export const classify = (input: ClassifyInput): Verdict => realClassify(input);

/** A realistic ~152-char FCM registration token. */
export function fcmToken(i: number): string {
  const id = i.toString(36).padStart(11, 'x');
  return `${id}:APA91b` + 'H'.repeat(8) + i.toString(16).padStart(12, '0') + 'Zq3vL9wR_kT2mN8pX4sC6dF1gJ5hB7yE0uA-oI'.repeat(3).slice(0, 134 - 12 - 8);
}

/** A 64-hex-char APNs device token. */
export function apnsToken(i: number): string {
  return i.toString(16).padStart(8, '0').repeat(8);
}
