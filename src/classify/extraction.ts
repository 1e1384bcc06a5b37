/**
 * What a provider extractor reads out of a response body or SDK error: the provider's own code and
 * where it was read, before any catalog lookup. Extractors never allocate more than this object and
 * never copy body fields into anything but strings.
 */
import type { Action } from '../types.js';

/** Failed targets reported inside one response (HMS illegal_tokens, Meizu value map...). */
export interface TargetReport {
  ids: readonly string[];
  /** Candidate catalog codes in preference order, read in `context` (default `target`). */
  codes: readonly string[];
  /** Catalog context of the codes; default `target`. */
  context?: string | undefined;
  /** Action when no candidate is in the catalog. */
  fallback: Action;
}

export interface Extraction {
  /** The provider's code exactly as the catalog writes it (string), if the body/error carries one. */
  code?: string | undefined;
  /** Catalog context the code is read in (`token` for the alternative reading of an ambiguous code). */
  context?: string | undefined;
  /** The provider's human text (raw: redact before quoting). */
  text?: string | undefined;
  messageId?: string | undefined;
  /** Per-target failures. */
  targets?: TargetReport[] | undefined;
  /** The code reported for targets not listed as failed (when the caller gave `targets`). */
  okCode?: string | undefined;
  tokenInvalidSince?: number | undefined;
  /** google.rpc.RetryInfo, ms. */
  retryDelayMs?: number | undefined;
  /** HTTP status found inside an SDK error (firebase-admin v14 `httpResponse.status`, node-apn `status`). */
  status?: number | undefined;
  /** Headers found inside an SDK error (firebase-admin v14 `httpResponse.headers`). */
  headers?: unknown;
  /** A batch reply (firebase-admin BatchResponse): how many of how many failed. */
  batch?: { failed: number; total: number } | undefined;
}

/** Reads a provider's response body (already decoded). `status` is the HTTP status, if any. */
export type BodyExtractor = (body: unknown, status: number | undefined) => Extraction | undefined;

/** A provider's code as a string: strings as is, finite numbers in decimal, anything else undefined. */
export function codeOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 && v.length <= 256 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A list of string ids from an array (other items skipped), capped. */
export function idList(v: unknown, cap = 10_000): string[] {
  const out: string[] = [];
  if (!Array.isArray(v)) return out;
  const n = Math.min(v.length, cap);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (typeof x === 'string' && x.length > 0) out.push(x);
  }
  return out;
}
