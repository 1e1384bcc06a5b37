/**
 * `pushback classify [--provider ID]`: JSON lines in, one JSON verdict line out per input line, in order.
 * A line that is not a JSON object gets `{"error": "..."}` on its line and the run goes on.
 */
import { createInterface } from 'node:readline';
import { classify } from '../classify/index.js';
import { isObject } from '../classify/extraction.js';
import { redactText } from '../redact.js';
import { isProviderId } from '../types.js';
import { write, type Command } from './command.js';
import { parse, providerFlag } from './options.js';

const usage = `Usage: pushback classify [--provider ID]

Reads one JSON object per line from stdin and writes one JSON verdict per line to stdout, in order.
An input line is a response  {"provider", "status", "headers", "body", "targets"?}
              or an error    {"provider", "error": {...}, "requestSent"?}
A line that is not a JSON object produces {"error": "..."} on its line; blank lines are skipped.
Tokens appear in the output only as keys of the per-token map ("tokens").

Options:
  --provider ID   provider for lines that name none
  -h, --help      show this help

Example:
  echo '{"provider":"fcm","status":404,"body":{"error":{"status":"NOT_FOUND"}}}' | pushback classify`;

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify send results (JSON lines on stdin) into verdicts',
  usage,
  async run(args, io) {
    const { values } = parse(args, { provider: { type: 'string' } }, false);
    if (values.help) {
      await write(io.stdout, usage + '\n');
      return 0;
    }
    const provider = providerFlag(values.provider);
    const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
    let lineNo = 0;
    try {
      for await (const line of rl) {
        lineNo++;
        if (line.trim().length === 0) continue;
        await write(io.stdout, classifyLine(line, lineNo, provider) + '\n');
      }
    } catch (err) {
      await write(io.stderr, `pushback classify: cannot read stdin: ${redactText((err as Error)?.message ?? String(err))}\n`);
      return 1;
    }
    return 0;
  },
};

function classifyLine(line: string, lineNo: number, provider: string | undefined): string {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (err) {
    return JSON.stringify({ error: `line ${lineNo}: not valid JSON (${redactText((err as Error).message)})` });
  }
  if (!isObject(input) || Array.isArray(input)) return JSON.stringify({ error: `line ${lineNo}: expected a JSON object` });
  const named = input.provider;
  if (named !== undefined && named !== null && !isProviderId(named)) {
    return JSON.stringify({ error: `line ${lineNo}: unknown provider ${typeof named === 'string' ? JSON.stringify(redactText(named.slice(0, 40))) : typeof named}` });
  }
  if ((named === undefined || named === null) && provider === undefined) {
    return JSON.stringify({ error: `line ${lineNo}: no "provider" (give one per line or --provider)` });
  }
  return JSON.stringify(classify(input, provider ? { provider: provider as never } : undefined));
}
