/**
 * `npm run bench [-- --quick] [-- --json] [-- --only name,name]`
 * Runs every `test/bench/*.bench.ts` in one process, side by side, and prints one table.
 * With --json the last line of stdout is one JSON object with every figure (keys like `classify.rawPerSec`).
 * Each bench module exports `name` and `run({ quick, log })` returning flat `{ key: number | string }`.
 */
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

interface BenchModule {
  name: string;
  run(opts: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>>;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1])?.split(',') : undefined;
const log = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');

const dir = new URL('./', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const results: Record<string, number | string> = {
  'machine.node': process.version,
  'machine.cpus': `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  'machine.memGiB': Math.round(totalmem() / 2 ** 30),
  'run.quick': quick ? 'yes' : 'no',
};
let failed = false;
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as BenchModule;
  if (only && !only.includes(mod.name)) continue;
  log(`# ${mod.name}`);
  const started = performance.now();
  try {
    const r = await mod.run({ quick, log });
    for (const [k, v] of Object.entries(r)) results[k.includes('.') ? k : `${mod.name}.${k}`] = v;
  } catch (err) {
    failed = true;
    results[`${mod.name}.error`] = String((err as Error)?.stack ?? err);
    log(`  FAILED: ${(err as Error)?.message ?? err}`);
  }
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  (globalThis as { gc?: () => void }).gc?.();
}
const width = Math.max(...Object.keys(results).map((k) => k.length));
log('');
for (const [k, v] of Object.entries(results)) {
  const shown = typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(3)) : v;
  log(`${k.padEnd(width)}  ${shown}`);
}
if (json) process.stdout.write(JSON.stringify(results) + '\n');
process.exitCode = failed ? 1 : 0;
