/**
 * Engine benchmarks, side by side in one run:
 * - raw sends (undici Pool → loopback node:http server answering 200) vs the same sends through the
 *   engine at the same concurrency: `engine.overheadRatio` = engine msgs/s ÷ raw msgs/s (goal ≥ 0.95);
 * - admission through the project-level bottleneck limiter: `limiter.admissionPerSec` (goal ≥ 100,000);
 * - heap bytes per tracked device with 1,000,000 distinct tokens: `limiter.bytesPerTarget` (goal ≤ 200).
 * Run: `npm run bench -- --only engine` (needs --expose-gc, which `npm run bench` passes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Admission } from '../../src/engine/admission.js';
import { MemoryDeviceCounterStore } from '../../src/engine/device-store.js';
import { createSender } from '../../src/engine/index.js';
import { classify } from '../engine/fixtures.js';

export const name = 'engine';

const CONCURRENCY = 64;
const BODY = JSON.stringify({ message: { token: 'x'.repeat(152), notification: { title: 'Hi', body: 'There' } } });

function token(i: number): string {
  return `${i.toString(36).padStart(11, 'c')}:APA91b${'Q'.repeat(120)}${i.toString(16).padStart(16, '0')}`;
}

async function startServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name":"projects/demo/messages/0:1700000000000000%31bd1c9631bd1c96"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function rawRun(pool: Pool, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        const res = await pool.request({ path: '/v1/projects/demo/messages:send', method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
        await res.body.text();
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function engineRun(pool: Pool, n: number, offset: number): Promise<number> {
  const sender = createSender(
    async (_m: { token: string }) => {
      const res = await pool.request({ path: '/v1/projects/demo/messages:send', method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    },
    {
      provider: 'fcm',
      classify,
      target: (m) => ({ project: 'demo', token: m.token }),
      // The project quota is raised so the bench measures the engine, not FCM's 600k/min.
      limits: { concurrency: CONCURRENCY, project: [{ count: 1e9, perMs: 60_000 }], device: [{ count: 240, perMs: 60_000 }, { count: 5000, perMs: 3_600_000 }] },
    },
  );
  const messages = Array.from({ length: n }, (_, i) => ({ token: token(offset + i) }));
  const t0 = performance.now();
  const outcomes = await sender.sendMany(messages);
  const rate = n / ((performance.now() - t0) / 1000);
  await sender.close();
  const bad = outcomes.filter((o) => o.outcome !== 'delivered').length;
  if (bad) throw new Error(`${bad} engine sends were not delivered`);
  return rate;
}

async function admissionRate(total: number): Promise<number> {
  const a = new Admission('bench', [{ count: 1e12, perMs: 60_000 }]);
  const chunk = 2000;
  const t0 = performance.now();
  const all: Promise<void>[] = [];
  // Messages arrive in bursts of `chunk` per turn of the event loop, as from a queue consumer.
  for (let sent = 0; sent < total; sent += chunk) {
    for (let i = 0; i < chunk; i++) all.push(a.admit('demo')!);
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  const rate = total / ((performance.now() - t0) / 1000);
  await a.close();
  return rate;
}

function bytesPerTarget(count: number): { bytes: number; storeBytes: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  // The tokens are held by the bench and created before the baseline, so they are not counted.
  const tokens = Array.from({ length: count }, (_, i) => token(i));
  const windows = [
    { count: 240, perMs: 60_000 },
    { count: 5000, perMs: 3_600_000 },
  ];
  gc();
  gc();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const store = new MemoryDeviceCounterStore();
  const now = Date.now();
  for (let i = 0; i < tokens.length; i++) store.reserve(tokens[i]!, windows, now);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  if (store.size() !== count) throw new Error(`store tracks ${store.size()} of ${count}`);
  const result = { bytes: (after - before) / count, storeBytes: store.bytes / count };
  tokens.length = 0;
  return result;
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const { server, url } = await startServer();
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const n = quick ? 8000 : 40_000;
  const rounds = quick ? 2 : 4;
  try {
    await rawRun(pool, 2000); // warm-up: connections, JIT
    await engineRun(pool, 2000, 10_000_000);
    const raw: number[] = [];
    const eng: number[] = [];
    for (let r = 0; r < rounds; r++) {
      raw.push(await rawRun(pool, n));
      eng.push(await engineRun(pool, n, r * n));
      log(`  round ${r + 1}: raw ${Math.round(raw[r]!)} msgs/s, engine ${Math.round(eng[r]!)} msgs/s`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rawRate = median(raw);
    const engRate = median(eng);
    const admission = await admissionRate(quick ? 300_000 : 1_000_000);
    log(`  admission: ${Math.round(admission)} msgs/s`);
    const mem = bytesPerTarget(1_000_000);
    log(`  1,000,000 devices: ${mem.bytes.toFixed(1)} heap bytes each (tables ${mem.storeBytes.toFixed(1)})`);
    return {
      'engine.rawPerSec': Math.round(rawRate),
      'engine.enginePerSec': Math.round(engRate),
      'engine.overheadRatio': Number((engRate / rawRate).toFixed(3)),
      'engine.concurrency': CONCURRENCY,
      'limiter.admissionPerSec': Math.round(admission),
      'limiter.bytesPerTarget': Number(mem.bytes.toFixed(1)),
    };
  } finally {
    await pool.close();
    await new Promise((r) => server.close(r));
  }
}
