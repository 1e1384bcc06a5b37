/**
 * Catalog lookups with the classifier's context rules, over an index built once per catalog
 * (provider → context → code), so the hot path concatenates no keys.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { Action, CatalogEntry, ProviderId, TokenVerdict } from '../types.js';

interface ProviderIndex {
  top: Map<string, CatalogEntry>;
  /** Other contexts (`token`, `target`). */
  contexts: Map<string, Map<string, CatalogEntry>>;
}

interface Index {
  byProvider: Map<ProviderId, ProviderIndex>;
  defaultRetryAfter: Map<ProviderId, number | undefined>;
  /** One shared, frozen per-token verdict per entry (and per ok code). */
  tokenVerdicts: Map<CatalogEntry | string, TokenVerdict>;
}

const indexes = new WeakMap<Catalog, Index>();
let lastCatalog: Catalog | undefined;
let lastIndex: Index | undefined;

function indexOf(cat: Catalog): Index {
  if (cat === lastCatalog) return lastIndex!;
  let idx = indexes.get(cat);
  if (idx !== undefined) {
    lastCatalog = cat;
    lastIndex = idx;
    return idx;
  }
  idx = { byProvider: new Map(), defaultRetryAfter: new Map(), tokenVerdicts: new Map() };
  for (const e of cat.entries) {
    let p = idx.byProvider.get(e.provider);
    if (!p) idx.byProvider.set(e.provider, (p = { top: new Map(), contexts: new Map() }));
    const ctx = e.context ?? 'top';
    let codes = ctx === 'top' ? p.top : p.contexts.get(ctx);
    if (!codes) p.contexts.set(ctx, (codes = new Map()));
    codes.set(e.code, e);
  }
  for (const [provider, policy] of cat.policies) idx.defaultRetryAfter.set(provider, policy.defaults?.retry?.defaultRetryAfterMs);
  indexes.set(cat, idx);
  lastCatalog = cat;
  lastIndex = idx;
  return idx;
}

/**
 * The entry for `code` read in `context`. A `token` (or other alternative) reading falls back to the
 * top-level entry when the catalog has no contextual one; `target` never does (Meizu's 110010 means a
 * rate limit at the top and a dead pushId per target, so a top-level meaning must not leak into a target).
 */
export function lookupEntry(cat: Catalog, provider: ProviderId, code: string, context: string | undefined): CatalogEntry | undefined {
  const p = indexOf(cat).byProvider.get(provider);
  if (p === undefined) return undefined;
  if (context === undefined || context === 'top') return p.top.get(code);
  const hit = p.contexts.get(context)?.get(code);
  if (hit !== undefined || context === 'target') return hit;
  return p.top.get(code);
}

/** The provider's `defaults.retry.defaultRetryAfterMs`, if any. */
export function defaultRetryAfter(cat: Catalog, provider: ProviderId): number | undefined {
  return indexOf(cat).defaultRetryAfter.get(provider);
}

/** A shared frozen `{ action, code }` for a per-token verdict from an entry, or for an action + code. */
export function tokenVerdict(cat: Catalog, from: CatalogEntry | { action: Action; code: string }): TokenVerdict {
  const cache = indexOf(cat).tokenVerdicts;
  const key = 'provider' in from ? from : `${from.action}\u0000${from.code}`;
  let tv = cache.get(key);
  if (tv === undefined) {
    tv = Object.freeze({ action: from.action, code: from.code });
    if (cache.size < 10_000) cache.set(key, tv);
  }
  return tv;
}
