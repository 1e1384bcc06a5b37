/** Child process of engine.bench.ts: heap bytes per tracked device (run with --expose-gc). */
import { existsSync } from 'node:fs';

const built = new URL('../../dist/engine/index.js', import.meta.url);
const spec = existsSync(built) ? built.href : new URL('../../src/engine/index.ts', import.meta.url).href;
const { MemoryDeviceCounterStore } = (await import(spec)) as typeof import('../../src/engine/index.js');

const count = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('needs --expose-gc');
// Realistic flat ~150-char FCM-like tokens, held by the bench (created before the baseline).
const tokens: string[] = new Array(count);
for (let i = 0; i < count; i++) {
  tokens[i] = Buffer.from(`${i.toString(36).padStart(11, 'c')}:APA91b${'Q'.repeat(120)}${i.toString(16).padStart(16, '0')}`, 'latin1').toString('latin1');
}
const windows = [
  { count: 240, perMs: 60_000 },
  { count: 5000, perMs: 3_600_000 },
];
const used = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = used();
const store = new MemoryDeviceCounterStore();
const now = Date.now();
for (let i = 0; i < count; i++) store.reserve(tokens[i]!, windows, now);
const after = used();
if (store.size() !== count) throw new Error(`store tracks ${store.size()} of ${count}`);
process.stdout.write(JSON.stringify({ bytes: (after - before) / count, storeBytes: store.bytes / count, tokens: tokens.length }) + '\n');
