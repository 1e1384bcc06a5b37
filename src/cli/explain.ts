/** `pushback explain CODE [--provider ID]`: meaning, action, remedy and disambiguation of a code. */
import { catalog } from '../catalog/catalog.js';
import type { CatalogEntry } from '../types.js';
import { UsageError, write, type Command } from './command.js';
import { parse, providerFlag } from './options.js';

const usage = `Usage: pushback explain CODE [--provider ID] [--format text|json]

Explains a provider code: its meaning, the action pushback takes, the remedy, and how ambiguous codes
are told apart. Without --provider, every provider that has the code is shown.

Options:
  --provider ID          only this provider
  --format text|json     output format (default text)
  -h, --help             show this help

Examples:
  pushback explain UNREGISTERED
  pushback explain 110010 --provider meizu`;

export const explainCommand: Command = {
  name: 'explain',
  summary: 'explain a provider code: meaning, action, remedy',
  usage,
  async run(args, io) {
    const { values, positionals } = parse(args, { provider: { type: 'string' }, format: { type: 'string' } }, true);
    if (values.help) {
      await write(io.stdout, usage + '\n');
      return 0;
    }
    const provider = providerFlag(values.provider);
    const format = String(values.format ?? 'text');
    if (format !== 'text' && format !== 'json') throw new UsageError(`Unknown format "${format}". Expected text or json.`);
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'Missing CODE.' : `Expected one CODE, got ${positionals.length}.`);
    const code = positionals[0]!;
    const cat = catalog();
    let entries = cat.find(code);
    if (entries.length === 0) {
      const lower = code.toLowerCase();
      entries = cat.entries.filter((e) => e.code.toLowerCase() === lower || e.sdkCodes?.some((s) => s.toLowerCase() === lower));
    }
    if (provider) entries = entries.filter((e) => e.provider === provider);
    if (entries.length === 0) {
      await write(io.stderr, `pushback explain: unknown code "${code}"${provider ? ` for provider ${provider}` : ''}. Try: pushback catalog${provider ? ` --provider ${provider}` : ''}\n`);
      return 1;
    }
    await write(io.stdout, format === 'json' ? JSON.stringify(entries, null, 2) + '\n' : entries.map(describe).join('\n'));
    return 0;
  },
};

export function describe(e: CatalogEntry): string {
  const lines = [`${e.provider} ${e.code}${e.status ? ` (HTTP ${e.status})` : ''}${e.context && e.context !== 'top' ? ` [read as ${e.context}]` : ''}${e.scope === 'client' ? ' [client-side code]' : ''}`];
  lines.push(`  action:   ${e.action}`);
  lines.push(`  meaning:  ${e.meaning}`);
  lines.push(`  remedy:   ${e.remedy}`);
  if (e.disambiguation) lines.push(`  told apart: ${e.disambiguation}`);
  const notes: string[] = [];
  if (e.minRetryDelayMs) notes.push(`retry no sooner than ${e.minRetryDelayMs / 1000} s`);
  if (e.refreshCredential) notes.push('refresh the credential, then retry once');
  if (e.maybeDelivered) notes.push('may already have been delivered');
  if (notes.length) lines.push(`  notes:    ${notes.join('; ')}`);
  if (e.sdkCodes?.length) lines.push(`  SDK codes: ${e.sdkCodes.join(', ')}`);
  lines.push(`  source:   ${e.source}`);
  return lines.join('\n') + '\n';
}
