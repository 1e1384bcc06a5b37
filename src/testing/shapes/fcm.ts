/**
 * FCM HTTP v1 error shapes: `{error:{code,message,status,details:[...]}}` with google.rpc statuses and
 * `google.firebase.fcm.v1.FcmError` details (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
 */
export const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
export const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
export const QUOTA_FAILURE_TYPE = 'type.googleapis.com/google.rpc.QuotaFailure';
export const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

interface FcmCodeShape {
  status: number;
  /** google.rpc canonical status in `error.status`. */
  rpc: string;
  message: string;
  /** Whether the body carries an FcmError detail with this code. */
  fcmError: boolean;
}

/** Every FCM ErrorCode and the canonical statuses FCM also returns without an FcmError. */
export const FCM_CODES: Readonly<Record<string, FcmCodeShape>> = Object.freeze({
  UNSPECIFIED_ERROR: { status: 500, rpc: 'UNKNOWN', message: 'Unknown error.', fcmError: true },
  INVALID_ARGUMENT: {
    status: 400,
    rpc: 'INVALID_ARGUMENT',
    message: 'The registration token is not a valid FCM registration token',
    fcmError: true,
  },
  UNREGISTERED: { status: 404, rpc: 'NOT_FOUND', message: 'Requested entity was not found.', fcmError: true },
  /** What firebase-admin 14 derives from UNREGISTERED for an `fid` target: the wire says UNREGISTERED. */
  UNREGISTERED_FID: { status: 404, rpc: 'NOT_FOUND', message: 'Requested entity was not found.', fcmError: true },
  SENDER_ID_MISMATCH: { status: 403, rpc: 'PERMISSION_DENIED', message: 'SenderId mismatch', fcmError: true },
  QUOTA_EXCEEDED: {
    status: 429,
    rpc: 'RESOURCE_EXHAUSTED',
    message: 'Quota exceeded for quota metric \'Requests\' and limit \'Requests per minute\'.',
    fcmError: true,
  },
  UNAVAILABLE: { status: 503, rpc: 'UNAVAILABLE', message: 'The service is currently unavailable.', fcmError: true },
  INTERNAL: { status: 500, rpc: 'INTERNAL', message: 'Internal error encountered.', fcmError: true },
  THIRD_PARTY_AUTH_ERROR: { status: 401, rpc: 'UNAUTHENTICATED', message: 'Auth error from APNS or Web Push Service', fcmError: true },
  APNS_AUTH_ERROR: { status: 401, rpc: 'UNAUTHENTICATED', message: 'Auth error from APNS or Web Push Service', fcmError: true },
  UNAUTHENTICATED: {
    status: 401,
    rpc: 'UNAUTHENTICATED',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    fcmError: false,
  },
  PERMISSION_DENIED: {
    status: 403,
    rpc: 'PERMISSION_DENIED',
    message: 'Permission \'cloudmessaging.messages.create\' denied on resource (or it may not exist).',
    fcmError: false,
  },
  NOT_FOUND: { status: 404, rpc: 'NOT_FOUND', message: 'Requested entity was not found.', fcmError: false },
  RESOURCE_EXHAUSTED: { status: 429, rpc: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).', fcmError: false },
});

/** Codes that travel under another name on the wire. */
const WIRE_CODE: Record<string, string> = { APNS_AUTH_ERROR: 'THIRD_PARTY_AUTH_ERROR', UNREGISTERED_FID: 'UNREGISTERED' };

export type FcmQuota = 'project' | 'device' | 'topic';

const QUOTA_SUBJECT: Record<FcmQuota, string> = {
  project: 'projects/{project}/messages',
  device: 'device message rate',
  topic: 'topic message rate',
};

export interface FcmErrorOptions {
  message?: string;
  /** For QUOTA_EXCEEDED: which quota a QuotaFailure detail names. */
  quota?: FcmQuota;
  /** For INVALID_ARGUMENT: a BadRequest detail for a payload field instead of an FcmError (bad payload, not bad token). */
  field?: string;
  /** With `field`: also send the FcmError detail (FCM's verbose form), not only the BadRequest. */
  withFcmError?: boolean;
  project?: string;
}

/** The `{error: {...}}` body FCM returns for `code` (an ErrorCode or canonical status). */
export function fcmErrorBody(code: string, options: FcmErrorOptions = {}): { status: number; body: string } {
  const shape = FCM_CODES[code] ?? { status: 400, rpc: code, message: code, fcmError: true };
  const details: unknown[] = [];
  let message = options.message ?? shape.message;
  if (options.field) {
    message = options.message ?? `Invalid value at '${options.field}'`;
    if (options.withFcmError && shape.fcmError) details.push({ '@type': FCM_ERROR_TYPE, errorCode: WIRE_CODE[code] ?? code });
    details.push({ '@type': BAD_REQUEST_TYPE, fieldViolations: [{ field: options.field, description: message }] });
  } else if (shape.fcmError) {
    details.push({ '@type': FCM_ERROR_TYPE, errorCode: WIRE_CODE[code] ?? code });
  }
  if (code === 'QUOTA_EXCEEDED' || (code === 'RESOURCE_EXHAUSTED' && options.quota)) {
    const quota = options.quota ?? 'project';
    details.push({
      '@type': QUOTA_FAILURE_TYPE,
      violations: [{ subject: QUOTA_SUBJECT[quota].replace('{project}', options.project ?? 'project'), description: `${quota} quota exceeded` }],
    });
  }
  const body = { error: { code: shape.status, message, status: shape.rpc, details } };
  return { status: shape.status, body: JSON.stringify(body) };
}
