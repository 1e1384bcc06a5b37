/**
 * `pushback demo` flags, parsed with node:util `parseArgs` (strict: unknown flags are an error).
 */
import { parseArgs } from 'node:util';

export interface DemoFlags {
  messages: number;
  faultRate: number;
  seed: string;
  json: boolean;
  /** Max concurrent requests. */
  concurrency: number;
  /** No progress display. */
  quiet: boolean;
  help: boolean;
}

export const DEMO_DEFAULTS: Omit<DemoFlags, 'json' | 'quiet' | 'help'> = {
  messages: 20_000,
  faultRate: 0.15,
  seed: '42',
  concurrency: 200,
};

export const DEMO_USAGE = `Usage: pushback demo [options]

Sends a realistic campaign through the engine to a fake FCM + APNs server on loopback (no network,
no credentials), with injected faults, then prints a summary.

Options:
  --messages N      messages to send (default ${DEMO_DEFAULTS.messages})
  --fault-rate F    share of messages that meet transient faults, 0..1 (default ${DEMO_DEFAULTS.faultRate})
  --seed S          campaign seed; the same seed gives the same campaign (default ${DEMO_DEFAULTS.seed})
  --concurrency N   max requests in flight (default ${DEMO_DEFAULTS.concurrency})
  --json            print the summary as one JSON object on the last line of stdout
  --quiet           no progress display
  -h, --help        this help`;

export class FlagError extends Error {
  override name = 'FlagError' as const;
}

function number(name: string, raw: string | undefined, fallback: number, check: (v: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new FlagError(`Expected \`--${name}\` to be ${expected}, got ${JSON.stringify(raw)}.`);
  return v;
}

export function parseDemoFlags(argv: readonly string[]): DemoFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        messages: { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  return {
    messages: number('messages', values.messages, DEMO_DEFAULTS.messages, (v) => Number.isInteger(v) && v >= 0 && v <= 10_000_000, 'an integer from 0 to 10000000'),
    faultRate: number('fault-rate', values['fault-rate'], DEMO_DEFAULTS.faultRate, (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
    seed: values.seed ?? DEMO_DEFAULTS.seed,
    concurrency: number('concurrency', values.concurrency, DEMO_DEFAULTS.concurrency, (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, 'an integer from 1 to 10000'),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
}
