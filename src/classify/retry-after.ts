/**
 * Retry-After: the server's requested delay (RFC 9110 §10.2.3: delta-seconds or an HTTP-date),
 * google.rpc.RetryInfo durations ("12.5s"), and the catalog's floors. Garbage is ignored, never
 * turned into a negative, NaN or infinite delay.
 */
import type { CatalogEntry } from '../types.js';

/** Retry-After values above this are treated as absurd (ms). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
/** HTTP-dates before this instant (2000-01-01) are treated as garbage, not "retry now". */
const EPOCH_FLOOR_MS = 946_684_800_000;
/** Longest Retry-After string we look at: an IMF-fixdate is 29 chars, asctime 24. */
const MAX_HEADER_CHARS = 64;

export interface RetryAfterClock {
  /** The response's `Date` header, if any (or a function reading it, called only for HTTP-dates): HTTP-dates are measured against it. */
  date?: string | (() => string | undefined) | undefined;
  /** ms since epoch, used when there is no usable `Date` header. Default `Date.now()`. */
  now?: number | undefined;
  /** Above this the value is ignored. Default 7 days. */
  maxMs?: number | undefined;
}

/** Parses a Retry-After header value into ms after the response; undefined when absent or garbage. */
export function parseRetryAfter(value: unknown, clock: RetryAfterClock = {}): number | undefined {
  const max = validMax(clock.maxMs);
  if (typeof value === 'number') return value >= 0 && value * 1000 <= max ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_HEADER_CHARS) return undefined;
  const s = value.trim();
  const seconds = parseSeconds(s);
  if (seconds !== undefined) {
    const ms = Math.round(seconds * 1000);
    return ms <= max ? ms : undefined;
  }
  const at = parseHttpDate(s);
  if (at === undefined) return undefined;
  const ref = parseHttpDate(typeof clock.date === 'function' ? clock.date() : clock.date) ?? finiteOr(clock.now, Date.now());
  const ms = Math.max(0, at - ref);
  return ms <= max ? ms : undefined;
}

/** delta-seconds (also tolerates a decimal fraction: "1.5"); undefined unless the whole string is a number. */
function parseSeconds(s: string): number | undefined {
  if (s.length === 0 || s.length > 12) return undefined;
  let dot = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && !dot && i > 0 && i < s.length - 1) dot = true;
    else if (c < 48 || c > 57) return undefined;
  }
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** An HTTP-date (IMF-fixdate, RFC 850 or asctime; Date.parse reads all three); undefined when garbage or before 2000. */
function parseHttpDate(s: unknown): number | undefined {
  if (typeof s !== 'string' || s.length < 8 || s.length > MAX_HEADER_CHARS) return undefined;
  // An HTTP-date starts with a day name; this keeps Date.parse from accepting "12" or "2024".
  const c = s.charCodeAt(0);
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && t >= EPOCH_FLOOR_MS ? t : undefined;
}

/**
 * A google.protobuf.Duration as JSON ("12.5s", "3s") or as an object `{ seconds, nanos }`
 * (google.rpc.RetryInfo `retryDelay`), in ms; undefined on garbage.
 */
export function parseDuration(value: unknown, maxMs?: number): number | undefined {
  const max = validMax(maxMs);
  let ms: number | undefined;
  if (typeof value === 'string' && value.length > 1 && value.length <= 24 && value.endsWith('s')) {
    const n = parseSeconds(value.slice(0, -1));
    ms = n === undefined ? undefined : Math.round(n * 1000);
  } else if (value !== null && typeof value === 'object') {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const sec = typeof seconds === 'string' ? parseSeconds(seconds) : typeof seconds === 'number' ? seconds : 0;
    const ns = typeof nanos === 'number' ? nanos : 0;
    if (sec !== undefined && Number.isFinite(sec) && sec >= 0 && Number.isFinite(ns) && ns >= 0) ms = Math.round(sec * 1000 + ns / 1e6);
  }
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= max ? ms : undefined;
}

export interface RetryAfterInputs {
  /** What the server asked for (Retry-After header or RetryInfo), ms; undefined when absent or garbage. */
  serverMs: number | undefined;
  /** The catalog entry, for its `minRetryDelayMs` floor. */
  entry?: CatalogEntry | undefined;
  /** The provider's `defaults.retry.defaultRetryAfterMs`: applies to rate-limit failures without a server value. */
  defaultRetryAfterMs?: number | undefined;
  /** Whether this failure is a rate limit (HTTP 429 or a 429 catalog entry). */
  rateLimited?: boolean;
}

/**
 * The earliest retry in ms after the response: the larger of the server's request and the catalog floors;
 * `null` when nothing is known. Callers pass only retryable verdicts.
 */
export function retryAfterMs({ serverMs, entry, defaultRetryAfterMs, rateLimited }: RetryAfterInputs): number | null {
  let ms = -1;
  if (serverMs !== undefined && Number.isFinite(serverMs) && serverMs >= 0) ms = serverMs;
  const floor = entry?.minRetryDelayMs;
  if (typeof floor === 'number' && Number.isFinite(floor) && floor > ms) ms = floor;
  if (rateLimited && serverMs === undefined && typeof defaultRetryAfterMs === 'number' && Number.isFinite(defaultRetryAfterMs) && defaultRetryAfterMs > ms) {
    ms = defaultRetryAfterMs;
  }
  return ms >= 0 ? ms : null;
}

function validMax(max: number | undefined): number {
  return typeof max === 'number' && Number.isFinite(max) && max >= 0 ? max : DEFAULT_MAX_RETRY_AFTER_MS;
}

function finiteOr(n: unknown, fallback: number): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}
