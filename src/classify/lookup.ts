/** Catalog lookups with the classifier's context rules. */
import type { Catalog } from '../catalog/catalog.js';
import type { CatalogEntry, ProviderId } from '../types.js';

/**
 * The entry for `code` read in `context`. A `token` (or other alternative) reading falls back to the
 * top-level entry when the catalog has no contextual one; `target` never does (Meizu's 110010 means a
 * rate limit at the top and a dead pushId per target, so a top-level meaning must not leak into a target).
 */
export function lookupEntry(cat: Catalog, provider: ProviderId, code: string, context: string | undefined): CatalogEntry | undefined {
  if (context === undefined || context === 'top') return cat.lookup(provider, code);
  const hit = cat.lookup(provider, code, context);
  if (hit !== undefined || context === 'target') return hit;
  return cat.lookup(provider, code);
}

/** The provider's `defaults.retry.defaultRetryAfterMs`, if any. */
export function defaultRetryAfter(cat: Catalog, provider: ProviderId): number | undefined {
  return cat.policies.get(provider)?.defaults?.retry?.defaultRetryAfterMs;
}
