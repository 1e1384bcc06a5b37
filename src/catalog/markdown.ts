/**
 * Markdown views of the catalog: the README action table (`npm run readme:table`) and
 * `pushback catalog --format md`. Generated from `policies/`, never edited by hand.
 */
import { ACTIONS, PROVIDERS, type CatalogEntry, type ProviderId } from '../types.js';
import type { Catalog } from './catalog.js';

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(c: string): string {
  return '`' + c.replace(/`/g, "'") + '`';
}

/** Per provider: how many codes lead to each action. */
export function summaryTable(cat: Catalog): string {
  const rows = ['| Provider | ' + ACTIONS.join(' | ') + ' | codes |', '|---|' + ACTIONS.map(() => '---:').join('|') + '|---:|'];
  for (const provider of PROVIDERS) {
    const entries = cat.policies.get(provider)?.entries;
    if (!entries) continue;
    const counts = ACTIONS.map((a) => entries.filter((e) => e.action === a).length);
    rows.push(`| ${provider} | ${counts.join(' | ')} | ${entries.length} |`);
  }
  return rows.join('\n');
}

function flags(e: CatalogEntry): string {
  const out: string[] = [];
  if (e.context && e.context !== 'top') out.push(`read as ${e.context}`);
  if (e.minRetryDelayMs) out.push(`≥ ${e.minRetryDelayMs / 1000} s`);
  if (e.refreshCredential) out.push('refresh credential, retry once');
  if (e.maybeDelivered) out.push('may be delivered');
  if (e.scope === 'client') out.push('client-side');
  return out.join('; ');
}

/** The full table of one provider's entries. */
export function providerTable(entries: readonly CatalogEntry[]): string {
  const rows = ['| Code | HTTP | Action | Notes | Meaning |', '|---|---|---|---|---|'];
  for (const e of entries) {
    rows.push(`| ${code(e.code)} | ${e.status ?? ''} | ${e.action} | ${cell(flags(e))} | ${cell(e.meaning)} |`);
  }
  return rows.join('\n');
}

/** The catalog as Markdown: a per-provider summary, then each provider's full table in a collapsible block. */
export function catalogMarkdown(cat: Catalog, only?: ProviderId): string {
  if (only !== undefined) {
    const policy = cat.policies.get(only);
    return policy ? `### ${only}\n\n${cell(policy.description)}\n\n${providerTable(policy.entries)}\n` : '';
  }
  const parts = [
    'Generated from `policies/` by `npm run readme:table`; `pushback catalog` prints it, `pushback explain CODE` explains one code.',
    '',
    summaryTable(cat),
    '',
  ];
  for (const provider of PROVIDERS) {
    const policy = cat.policies.get(provider);
    if (!policy) continue;
    parts.push(`<details><summary><b>${provider}</b>: ${policy.entries.length} codes</summary>`, '', providerTable(policy.entries), '', '</details>', '');
  }
  return parts.join('\n');
}

export const README_START = '<!-- catalog:start -->';
export const README_END = '<!-- catalog:end -->';

/** README text with the part between the markers replaced by `table`; undefined when the markers are missing. */
export function replaceReadmeSection(readme: string, table: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(0, start + README_START.length) + '\n' + table.trimEnd() + '\n' + readme.slice(end);
}
