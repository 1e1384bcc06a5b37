/**
 * APNs: `:status` plus `{ reason, timestamp }`; `timestamp` (ms since epoch, a number, or a numeric
 * string from node-apn) only with 410 (apns.md §2–3). Success: 200 with the `apns-id` header (read by the core).
 */
import { codeOf, isObject, type Extraction } from '../extraction.js';

export function apnsBody(body: unknown, status: number | undefined): Extraction | undefined {
  if (!isObject(body)) return status === 200 ? { code: '200' } : undefined;
  const reason = codeOf(body.reason);
  if (reason === undefined) return status === 200 ? { code: '200' } : undefined;
  return { code: reason, tokenInvalidSince: status === 410 || status === undefined ? timestampOf(body.timestamp) : undefined };
}

function timestampOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.length > 0 && v.length <= 20 ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
