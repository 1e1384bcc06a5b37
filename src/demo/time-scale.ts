/**
 * The demo's time scale. Providers ask for waits measured in tens of seconds (FCM: 10 s between
 * retries, 60 s after QUOTA_EXCEEDED or a 429 without Retry-After); a demo that finishes in under a
 * minute scales the catalog's floors down instead of skipping them, and says so in its output.
 * The server's own Retry-After is never scaled: the engine waits exactly what it is told.
 */
import type { Catalog, ProviderPolicy } from '../catalog/catalog.js';
import type { CatalogEntry, ProviderDefaults } from '../types.js';

function scaleEntry(e: CatalogEntry, scale: number): CatalogEntry;
function scaleEntry(e: CatalogEntry | undefined, scale: number): CatalogEntry | undefined;
function scaleEntry(e: CatalogEntry | undefined, scale: number): CatalogEntry | undefined {
  if (!e || typeof e.minRetryDelayMs !== 'number') return e;
  return Object.freeze({ ...e, minRetryDelayMs: Math.round(e.minRetryDelayMs * scale) });
}

function scaleDefaults(d: ProviderDefaults | undefined, scale: number): ProviderDefaults | undefined {
  if (!d?.retry) return d;
  const retry = { ...d.retry };
  for (const k of ['minDelayMs', 'defaultRetryAfterMs'] as const) {
    const v = retry[k];
    if (typeof v === 'number') retry[k] = Math.round(v * scale);
  }
  return { ...d, retry };
}

/** A view of `base` whose retry floors (entry `minRetryDelayMs`, provider `minDelayMs` and
 * `defaultRetryAfterMs`) are multiplied by `scale`. */
export function scaleCatalog(base: Catalog, scale: number): Catalog {
  const policies = new Map<ProviderPolicy['provider'], ProviderPolicy>();
  for (const [id, p] of base.policies) {
    const defaults = scaleDefaults(p.defaults, scale);
    policies.set(id, { ...p, ...(defaults ? { defaults } : {}), entries: p.entries.map((e) => scaleEntry(e, scale)) });
  }
  return {
    policies,
    entries: base.entries.map((e) => scaleEntry(e, scale)),
    lookup: (provider, code, context) => scaleEntry(base.lookup(provider, code, context), scale),
    find: (code) => base.find(code).map((e) => scaleEntry(e, scale)),
  };
}
