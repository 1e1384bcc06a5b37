/**
 * How long the per-device table blocks the event loop when it makes room:
 * `npm run build && npx tsx test/scripts/device-store-sweep.ts [devicesPerHour] [expectedDevices]`
 * (default 1,100,000 and 0; `expectedDevices` is the store's option of that name).
 * Hour 1 sends once to that many new devices (the table grows: each growth sweeps it, then moves its
 * devices into a table twice the size over the following calls); hours 2 and 3 do the same with new
 * devices, the previous hour's going idle (the table is swept in place, at the same size). Prints the
 * longest single `reserve()` call of each hour (the one that swept or grew the table) and the bytes held
 * (both tables while a move runs), on the built code (`dist/`).
 */
import { loadBuilt } from '../bench/built.js';

const { MemoryDeviceCounterStore } = await loadBuilt<typeof import('../../src/engine/index.js')>('engine/index');

const perHour = Number(process.argv[2] ?? 1_100_000);
if (!Number.isInteger(perHour) || perHour < 1) throw new Error('devicesPerHour must be a positive integer');
const expectedDevices = Number(process.argv[3] ?? 0);
const windows = [
  { count: 240, perMs: 60_000 },
  { count: 5000, perMs: 3_600_000 },
];
const token = (i: number) => Buffer.from(`${i.toString(36).padStart(11, 'c')}:APA91b${'Q'.repeat(120)}${i.toString(16).padStart(16, '0')}`, 'latin1').toString('latin1');
const store = new MemoryDeviceCounterStore({ expectedDevices });
const start = Date.now();
let next = 0;
for (let hour = 0; hour < 3; hour++) {
  let longest = 0;
  let total = 0;
  for (let k = 0; k < perHour; k++) {
    const t = token(next++);
    const now = start + hour * 3_600_000 + Math.floor((k / perHour) * 3_600_000);
    const t0 = performance.now();
    store.reserve(t, windows, now);
    const ms = performance.now() - t0;
    total += ms;
    if (ms > longest) longest = ms;
  }
  console.log(
    `hour ${hour + 1}: ${perHour} new devices, longest reserve() ${longest.toFixed(0)} ms, mean ${((total * 1000) / perHour).toFixed(2)} µs; ` +
      `tracking ${store.size()} devices in ${(store.bytes / 1e6).toFixed(0)} MB`,
  );
}
