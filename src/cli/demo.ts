/**
 * `pushback demo`: the campaign demo (src/demo/run.ts). Progress goes to stdout (to stderr with --json,
 * so the last line of stdout is the JSON summary): a bar on a TTY, plain periodic lines otherwise.
 */
import { DEMO_USAGE, FlagError, parseDemoFlags } from '../demo/flags.js';
import { createProgress, type ProgressOptions } from '../demo/progress.js';
import { runDemo } from '../demo/run.js';
import { formatSummary } from '../demo/summary.js';
import { UsageError, write, type Command } from './command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'send a campaign with injected faults to a local fake FCM/APNs server and summarise',
  usage: DEMO_USAGE,
  /** Exit code 0, or 1 when an invariant was violated (the summary lists it). */
  async run(args, io) {
    let flags;
    try {
      flags = parseDemoFlags(args);
    } catch (err) {
      throw err instanceof FlagError ? new UsageError(err.message) : err;
    }
    if (flags.help) {
      await write(io.stdout, DEMO_USAGE + '\n');
      return 0;
    }
    const stream = (flags.json ? io.stderr : io.stdout) as ProgressOptions['stream'];
    const progress = await createProgress({ stream, silent: flags.quiet });
    const { summary } = await runDemo({ messages: flags.messages, faultRate: flags.faultRate, seed: flags.seed, concurrency: flags.concurrency, progress });
    if (flags.json) {
      await write(io.stderr, formatSummary(summary) + '\n');
      await write(io.stdout, JSON.stringify(summary) + '\n');
    } else await write(io.stdout, '\n' + formatSummary(summary) + '\n');
    return summary.invariants.ok ? 0 : 1;
  },
};
