/**
 * classify throughput, one process, over a realistic mix of providers and codes (test/fixtures/classify-mix.ts):
 * - `classify.preparsedPerSec`: pre-parsed response bodies and SDK/transport error objects;
 * - `classify.rawPerSec`: the same responses with JSON string bodies (parsing included).
 * Runs the built package (`dist/`, what users import), warms up first, reports the median of 5 timed rounds.
 */
import type * as Pushback from '../../src/index.js';
import { errorMix, responseMix } from '../fixtures/classify-mix.js';

// The built package (npm run bench builds first); a computed specifier keeps tsc from requiring dist/.
const DIST = '../../dist/index.js';
let classify: typeof Pushback.classify;

export const name = 'classify';

function rate(inputs: readonly unknown[], ms: number): number {
  let n = 0;
  let sink = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 10_000; i++) sink += classify(inputs[i % inputs.length]).retryAfterMs ?? 1;
    n += 10_000;
    now = performance.now();
  }
  if (sink === -1) console.log(sink);
  return (n * 1000) / (now - started);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number>> {
  ({ classify } = (await import(DIST)) as typeof Pushback);
  const responses = responseMix();
  const preparsed: unknown[] = [...responses, ...errorMix()];
  const raw: unknown[] = responses.map((r) => ({ ...r, body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }));
  const roundMs = quick ? 300 : 1000;
  rate(preparsed, roundMs);
  rate(raw, roundMs);
  const pre: number[] = [];
  const rw: number[] = [];
  for (let i = 0; i < 5; i++) {
    pre.push(rate(preparsed, roundMs));
    rw.push(rate(raw, roundMs));
  }
  const out = { 'classify.preparsedPerSec': Math.round(median(pre)), 'classify.rawPerSec': Math.round(median(rw)) };
  log(`  pre-parsed: ${out['classify.preparsedPerSec'].toLocaleString('en-US')}/s over ${preparsed.length} shapes`);
  log(`  raw JSON:   ${out['classify.rawPerSec'].toLocaleString('en-US')}/s over ${raw.length} shapes`);
  return out;
}
