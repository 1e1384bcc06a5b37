/**
 * `npx tsx test/scripts/fuzz-classify.ts [runs] [seed]`: the classifier fuzz at scale (default 2,000,000 inputs).
 * Same arbitraries and checks as test/classify/fuzz.test.ts; exits non-zero with the counterexample on failure.
 */
import fc from 'fast-check';
import { classify } from '../../src/classify/index.js';
import { anyInput, errorArb, malformed, prototypePolluted, responseArb, trapInputs } from '../fixtures/classify-arbitraries.js';

const runs = Number(process.argv[2] ?? 2_000_000);
const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : Date.now() % 2 ** 31;

function check(input: unknown): boolean {
  const v = classify(input, { now: 1_700_000_000_000 });
  const why = malformed(v);
  if (why) throw new Error(`malformed verdict (${why}): ${JSON.stringify(v)}`);
  if (prototypePolluted()) throw new Error('Object.prototype was modified');
  return true;
}

for (const input of trapInputs()) check(input);
const started = performance.now();
const arbitrary = fc.oneof(anyInput, responseArb, errorArb);
const chunk = 100_000;
for (let done = 0; done < runs; done += chunk) {
  const n = Math.min(chunk, runs - done);
  fc.assert(fc.property(arbitrary, check), { numRuns: n, seed: seed + done });
  process.stderr.write(`\r${(done + n).toLocaleString('en-US')} / ${runs.toLocaleString('en-US')} inputs (seed ${seed})`);
}
process.stderr.write(`\nok: ${runs.toLocaleString('en-US')} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s, no throw, every verdict well-formed\n`);
