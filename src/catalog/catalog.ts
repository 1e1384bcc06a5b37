import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROVIDERS, type CatalogEntry, type ProviderDefaults, type ProviderId } from '../types.js';

/** One provider's policy file as stored in `policies/<provider>.json`. */
export interface ProviderPolicy {
  provider: ProviderId;
  description: string;
  docs?: string[];
  defaults?: ProviderDefaults;
  entries: CatalogEntry[];
}

export interface Catalog {
  readonly policies: ReadonlyMap<ProviderId, ProviderPolicy>;
  readonly entries: readonly CatalogEntry[];
  /** The entry for `code` at `provider`, read in `context` (default `top`). */
  lookup(provider: ProviderId, code: string, context?: string): CatalogEntry | undefined;
  /** Every entry with this code, across providers (for `explain` without a provider). */
  find(code: string): CatalogEntry[];
}

/** The directory holding the policy files shipped with pushback (works from src/ and dist/). */
export const POLICIES_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

function key(code: string, context: string | undefined): string {
  return context && context !== 'top' ? `${context}\u0000${code}` : code;
}

/** Reads every `<provider>.json` in `dir`. Validation against `policies/schema.json` is done by the test suite. */
export function loadCatalog(dir: string = POLICIES_DIR): Catalog {
  const policies = new Map<ProviderId, ProviderPolicy>();
  const index = new Map<ProviderId, Map<string, CatalogEntry>>();
  const byCode = new Map<string, CatalogEntry[]>();
  const all: CatalogEntry[] = [];
  const files = new Set(readdirSync(dir));
  for (const provider of PROVIDERS) {
    if (!files.has(`${provider}.json`)) continue;
    const raw = JSON.parse(readFileSync(`${dir}/${provider}.json`, 'utf8')) as Omit<ProviderPolicy, 'entries'> & {
      entries: Omit<CatalogEntry, 'provider'>[];
    };
    const entries = raw.entries.map((e) => Object.freeze({ ...e, provider }) as CatalogEntry);
    const map = new Map<string, CatalogEntry>();
    for (const e of entries) {
      map.set(key(e.code, e.context), e);
      const list = byCode.get(e.code) ?? [];
      list.push(e);
      byCode.set(e.code, list);
      all.push(e);
    }
    index.set(provider, map);
    policies.set(provider, { ...raw, provider, entries });
  }
  return {
    policies,
    entries: all,
    lookup: (provider, code, context) => index.get(provider)?.get(key(code, context)),
    find: (code) => byCode.get(code) ?? [],
  };
}

let shipped: Catalog | undefined;

/** The catalog shipped in `policies/`, loaded once. */
export function catalog(): Catalog {
  return (shipped ??= loadCatalog());
}
