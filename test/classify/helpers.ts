/** Assertions against the shipped catalog: the expected action is the catalog's, the code is the provider's. */
import { expect } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { lookupEntry } from '../../src/classify/lookup.js';
import type { CatalogEntry, ProviderId, Verdict } from '../../src/types.js';

export function entry(provider: ProviderId, code: string, context?: string): CatalogEntry {
  const e = lookupEntry(catalog(), provider, code, context);
  if (!e) throw new Error(`catalog has no ${provider} ${code}${context ? ` (${context})` : ''}`);
  return e;
}

/** The verdict is the catalog entry for `code` (read in `context`). */
export function expectEntry(v: Verdict, provider: ProviderId, code: string, context?: string): CatalogEntry {
  const e = entry(provider, code, context);
  expect(v).toMatchObject({ provider, code, action: e.action, known: true });
  expect(v.reason.startsWith(e.meaning), `reason "${v.reason}" should start with the catalog meaning`).toBe(true);
  if (e.action !== 'retry') expect(v.retryAfterMs).toBeNull();
  return e;
}

export const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
export const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
export const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
export const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
export const QUOTA_FAILURE = 'type.googleapis.com/google.rpc.QuotaFailure';
