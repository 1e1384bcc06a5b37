/**
 * classify throughput, one process, over a realistic mix of providers and codes (test/fixtures/classify-mix.ts):
 * - `classify.preparsedPerSec`: pre-parsed response bodies and SDK/transport error objects;
 * - `classify.rawPerSec`: the same responses with JSON string bodies (parsing included).
 * Runs the built package (`dist/`, what users import), warms up first, reports the median of 5 timed rounds.
 */
import type * as Pushback from '../../src/index.js';
import { errorMix, responseMix } from '../fixtures/classify-mix.js';
import { median } from './median.js';

// The built package (npm run bench builds first); a computed specifier keeps tsc from requiring dist/.
const DIST = '../../dist/index.js';
let classify: typeof Pushback.classify;

export const name = 'classify';

/** Verdicts per wall-clock second, and per second of CPU time used by the process (all threads, GC included). */
function rate(inputs: readonly unknown[], ms: number): { wall: number; cpu: number } {
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 10_000; i++) sink += classify(inputs[i % inputs.length]).retryAfterMs ?? 1;
    n += 10_000;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  if (sink === -1) console.log(sink);
  return { wall: (n * 1000) / (now - started), cpu: (n * 1e6) / Math.max(1, cpu.user + cpu.system) };
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number>> {
  ({ classify } = (await import(DIST)) as typeof Pushback);
  const responses = responseMix();
  const preparsed: unknown[] = [...responses, ...errorMix()];
  const raw: unknown[] = responses.map((r) => ({ ...r, body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }));
  const roundMs = quick ? 300 : 1000;
  rate(preparsed, roundMs);
  rate(raw, roundMs);
  const pre: { wall: number; cpu: number }[] = [];
  const rw: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 5; i++) {
    pre.push(rate(preparsed, roundMs));
    rw.push(rate(raw, roundMs));
  }
  const out = {
    'classify.preparsedPerSec': Math.round(median(pre.map((r) => r.wall))),
    'classify.rawPerSec': Math.round(median(rw.map((r) => r.wall))),
    // Per CPU-second: the same work divided by the CPU time the process got; shows how far a busy machine
    // pulled the wall-clock figures down. The wall-clock keys above are the ones that count.
    'classify.preparsedPerCpuSec': Math.round(median(pre.map((r) => r.cpu))),
    'classify.rawPerCpuSec': Math.round(median(rw.map((r) => r.cpu))),
  };
  log(`  pre-parsed: ${out['classify.preparsedPerSec'].toLocaleString('en-US')}/s (${out['classify.preparsedPerCpuSec'].toLocaleString('en-US')} per CPU-s) over ${preparsed.length} shapes`);
  log(`  raw JSON:   ${out['classify.rawPerSec'].toLocaleString('en-US')}/s (${out['classify.rawPerCpuSec'].toLocaleString('en-US')} per CPU-s) over ${raw.length} shapes`);
  return out;
}
