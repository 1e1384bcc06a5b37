/**
 * Default readers of a message's deadline and collapse key, for the shapes users hold:
 * an explicit `deadline` (ms since epoch), an FCM v1 / firebase-admin message (`android.ttl` as
 * "3600s" or ms, `android.collapseKey` / `android.collapse_key`, `apns.headers`), an APNs request
 * (`headers['apns-expiration']` / `expiration` in unix seconds, `apns-collapse-id` / `collapseId`),
 * and an FCM v1 REST body wrapped in `{ message: ... }`.
 */

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' ? (v as Obj) : undefined;
}

/** A header value from a plain headers object, case-insensitively. */
function header(headers: unknown, name: string): unknown {
  const h = obj(headers);
  if (!h) return undefined;
  if (name in h) return h[name];
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

/** FCM TTL: "3600s", "3.5s" or a number of ms (firebase-admin's `ttl`). */
export function parseTtlMs(ttl: unknown): number | undefined {
  if (typeof ttl === 'number') return Number.isFinite(ttl) && ttl >= 0 ? ttl : undefined;
  if (typeof ttl === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(ttl);
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  return undefined;
}

/** Unix seconds (number or numeric string) to ms; 0 (APNs "deliver once, don't store") gives undefined. */
function unixSecondsMs(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

function candidates(message: unknown): Obj[] {
  const m = obj(message);
  if (!m) return [];
  const inner = obj(m.message);
  return inner ? [m, inner] : [m];
}

/** The moment (ms since epoch) after which retrying a message is useless; the earliest one found. */
export function defaultDeadline(message: unknown, firstAttemptAt: number): number | undefined {
  const m = obj(message);
  if (!m) return undefined;
  let best = deadlineIn(m, firstAttemptAt);
  const inner = obj(m.message);
  if (inner) best = earliest(best, deadlineIn(inner, firstAttemptAt));
  return best;
}

function deadlineIn(m: Obj, firstAttemptAt: number): number | undefined {
  let best: number | undefined;
  if (typeof m.deadline === 'number') best = earliest(best, m.deadline);
  else if (m.deadline instanceof Date) best = earliest(best, m.deadline.getTime());
  const android = obj(m.android);
  if (android && android.ttl !== undefined) {
    const ttl = parseTtlMs(android.ttl);
    if (ttl !== undefined) best = earliest(best, firstAttemptAt + ttl);
  }
  if (m.headers !== undefined) best = earliest(best, unixSecondsMs(header(m.headers, 'apns-expiration')));
  if (m.expiration !== undefined || m.expiry !== undefined) best = earliest(best, unixSecondsMs(m.expiration ?? m.expiry));
  const apns = obj(m.apns);
  if (apns && apns.headers !== undefined) best = earliest(best, unixSecondsMs(header(apns.headers, 'apns-expiration')));
  return best;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined || !Number.isFinite(b)) return a;
  return a === undefined || b < a ? b : a;
}

/** Whether a later copy of the message replaces an earlier one on the device (so a duplicate is harmless). */
export function defaultCollapsible(message: unknown): boolean {
  for (const m of candidates(message)) {
    const android = obj(m.android);
    if (isSet(android?.collapseKey) || isSet(android?.collapse_key) || isSet(m.collapseKey) || isSet(m.collapse_key)) return true;
    if (isSet(header(m.headers, 'apns-collapse-id')) || isSet(m.collapseId)) return true;
    if (isSet(header(obj(m.apns)?.headers, 'apns-collapse-id'))) return true;
  }
  return false;
}

function isSet(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || typeof v === 'number';
}
