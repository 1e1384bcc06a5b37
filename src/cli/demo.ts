/**
 * `pushback demo`: the campaign demo (see src/demo/run.ts). Progress goes to stdout on a TTY
 * (to stderr with --json, so the last line of stdout stays the JSON summary); plain lines when not a TTY.
 */
import { DEMO_USAGE, FlagError, parseDemoFlags } from '../demo/flags.js';
import { createProgress } from '../demo/progress.js';
import { runDemo } from '../demo/run.js';
import { formatSummary } from '../demo/summary.js';

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Runs the demo; resolves with the process exit code (0 ok, 1 an invariant failed, 2 bad flags). */
export async function demoCommand(argv: readonly string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let flags;
  try {
    flags = parseDemoFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    io.stderr.write(`pushback demo: ${err.message}\n\n${DEMO_USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(DEMO_USAGE + '\n');
    return 0;
  }
  const stream = flags.json ? io.stderr : io.stdout;
  const progress = await createProgress({ stream, silent: flags.quiet });
  const { summary } = await runDemo({ messages: flags.messages, faultRate: flags.faultRate, seed: flags.seed, concurrency: flags.concurrency, progress });
  if (flags.json) {
    io.stderr.write(formatSummary(summary) + '\n');
    io.stdout.write(JSON.stringify(summary) + '\n');
  } else io.stdout.write('\n' + formatSummary(summary) + '\n');
  return summary.invariants.ok ? 0 : 1;
}
