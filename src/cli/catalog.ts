/** `pushback catalog [--provider ID] [--format md|json]`: the catalog as Markdown or JSON. */
import { catalog } from '../catalog/catalog.js';
import { catalogMarkdown } from '../catalog/markdown.js';
import { UsageError, write, type Command } from './command.js';
import { parse, providerFlag } from './options.js';

const usage = `Usage: pushback catalog [--provider ID] [--format md|json]

Prints the failure catalog shipped in policies/.
  md    the action summary and per-provider tables (default)
  json  an array of entries: provider, code, action, scope, status, meaning, remedy, ...

Options:
  --provider ID       only this provider
  --format md|json    output format (default md)
  -h, --help          show this help`;

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'print the failure catalog (Markdown or JSON)',
  usage,
  async run(args, io) {
    const { values } = parse(args, { provider: { type: 'string' }, format: { type: 'string' } }, false);
    if (values.help) {
      await write(io.stdout, usage + '\n');
      return 0;
    }
    const provider = providerFlag(values.provider);
    const format = String(values.format ?? 'md');
    if (format !== 'md' && format !== 'json') throw new UsageError(`Unknown format "${format}". Expected md or json.`);
    const cat = catalog();
    if (format === 'json') {
      const entries = provider ? cat.entries.filter((e) => e.provider === provider) : cat.entries;
      await write(io.stdout, JSON.stringify(entries, null, 2) + '\n');
    } else {
      await write(io.stdout, catalogMarkdown(cat, provider));
    }
    return 0;
  },
};
