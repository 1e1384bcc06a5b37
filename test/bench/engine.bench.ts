/**
 * Engine benchmarks, side by side in one run:
 * - raw sends (undici Pool → loopback node:http server answering 200) vs the same sends through the
 *   engine at the same concurrency: `engine.overheadRatio` = engine msgs/s ÷ raw msgs/s (goal ≥ 0.95);
 *   the server runs in a worker thread (both sides use the same one), so it does not share the client's
 *   event loop and core: the figure is the client's throughput, as against a remote provider.
 *   `PUSHBACK_BENCH_SERVER=inproc` runs it in the client's thread instead (the setup before 2026-11-22,
 *   where the server's CPU, the same on both sides, is in the denominator and the ratio looks better);
 *   `engine.server` says which ran. `*ClientCpuUsPerMsg`: CPU of the client thread alone (Linux).
 *   Every engine round sends to 20,000 devices never seen before through a new sender, whose device table
 *   starts empty and grows (the costliest case for the per-device limits: an insert, and the table's
 *   growth, per message). The messages (flat ~150-char tokens) are built before the first round
 *   (since 2026-12-04; before, each round built its own just before the timer started, with concatenated
 *   tokens, and their promotion and flattening ran inside the timed part).
 * - two reference sides in the same rounds, to show where the engine's cost goes (since 2026-12-04):
 *   `engine.noDeviceLimitsRatio` (the same engine with `limits.device: []`: no per-device accounting) and
 *   `engine.minimalWrapperRatio` (no engine: one promise reaction and one outcome object per message, the
 *   least any wrapper that reports an outcome adds);
 * - the engine's own cost without the network (a send that answers at once): `engine.stubSendUsPerMsg`
 *   (the driver and send alone) and `engine.stubEngineUsPerMsg` (through the engine), µs per message;
 * - admission through the project-level bottleneck limiter: `limiter.admissionPerSec` (goal ≥ 100,000);
 * - heap bytes per tracked device with 1,000,000 distinct tokens: `limiter.bytesPerTarget` (goal ≤ 200).
 * Run: `npm run bench -- --only engine` (needs --expose-gc, which `npm run bench` passes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { loadBuilt } from './built.js';
import { median } from './median.js';
import { threadCpuUs } from './thread-cpu.js';

const { Admission, createSender } = await loadBuilt<typeof import('../../src/engine/index.js')>('engine/index');

export const name = 'engine';

const CONCURRENCY = 64;
const BODY = JSON.stringify({ message: { token: 'x'.repeat(152), notification: { title: 'Hi', body: 'There' } } });

/**
 * A ~150-char FCM-like token, as a flat string: tokens arrive from JSON or a database, not built by
 * concatenation (a concatenated string is flattened, copied, the first time the device table hashes it).
 */
function token(i: number): string {
  return Buffer.from(`${i.toString(36).padStart(11, 'c')}:APA91b${'Q'.repeat(120)}${i.toString(16).padStart(16, '0')}`, 'latin1').toString('latin1');
}

/**
 * Every round's messages, built before any round runs and collected into the old generation: the timed
 * part measures sending, not the promotion of 20,000 objects the bench allocated just before it (a
 * pipeline's messages arrive over time and mostly die young).
 */
function buildMessages(count: number, offset: number): { token: string }[] {
  return Array.from({ length: count }, (_, i) => ({ token: token(offset + i) }));
}

const ANSWER = '{"name":"projects/demo/messages/0:1700000000000000%31bd1c9631bd1c96"}';

async function startServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ANSWER);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => (server as Server).close(() => r())) };
}

/** The same server in a worker thread. */
async function startServerInWorker(): Promise<{ url: string; close(): Promise<void> }> {
  const code = `
    const { createServer } = require('node:http');
    const { parentPort } = require('node:worker_threads');
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(${JSON.stringify(ANSWER)});
      });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
    parentPort.on('message', () => server.close(() => process.exit(0)));
  `;
  const worker = new Worker(code, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.postMessage('close');
      await exited;
    },
  };
}

/** Process CPU (user + system, µs) per message of the last run: less sensitive to a busy machine than wall time. */
let lastCpuUsPerMsg = 0;
/** The same for the client thread alone. */
let lastClientCpuUsPerMsg = 0;

async function rawRun(pool: Pool, n: number): Promise<number> {
  let next = 0;
  const c0 = process.cpuUsage();
  const m0 = threadCpuUs();
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
  const rate = n / ((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  lastCpuUsPerMsg = (c.user + c.system) / n;
  lastClientCpuUsPerMsg = (threadCpuUs() - m0) / n;
  return rate;
}

/**
 * The sender both engine runs use: a new one each round, so its device table starts empty. `deviceLimits`
 * false: the reference side without per-device accounting.
 */
function benchSender(send: (m: { token: string }) => Promise<unknown>, deviceLimits = true) {
  return createSender(send, {
    provider: 'fcm',
    target: (m: { token: string }) => ({ project: 'demo', token: m.token }),
    // The project quota is raised so the bench measures the engine, not FCM's 600k/min;
    // the per-device windows are FCM's (from policies/fcm.json).
    limits: { concurrency: CONCURRENCY, project: [{ count: 1e9, perMs: 60_000 }], ...(deviceLimits ? {} : { device: [] }) },
  });
}

/** What an engine run sends through: the engine, the engine without device limits, or the minimal wrapper. */
type Side = 'engine' | 'noDeviceLimits' | 'minimalWrapper';

/** Calls `start(0..n-1)` with CONCURRENCY calls outstanding, each completion starting the next. */
function keepInFlight<T>(n: number, start: (i: number) => Promise<T>, each: (r: T) => void = () => {}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let outstanding = 0;
    let done = 0;
    const top = () => {
      while (outstanding < CONCURRENCY && next < n) {
        outstanding++;
        start(next++).then((r) => {
          each(r);
          outstanding--;
          if (++done === n) resolve();
          else top();
        }, reject);
      }
    };
    top();
  });
}

async function engineRun(pool: Pool, messages: readonly { token: string }[], side: Side = 'engine'): Promise<number> {
  const n = messages.length;
  const send = async (_m: { token: string }) => {
    const res = await pool.request({ path: '/v1/projects/demo/messages:send', method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const sender = side === 'minimalWrapper' ? undefined : benchSender(send, side === 'engine');
  // The minimal wrapper: the send's answer becomes an outcome in one reaction, with no classification,
  // limits or bookkeeping (a 2xx is delivered; the message id is read as the classifier would).
  const minimal = (m: { token: string }) =>
    send(m).then((r) => ({
      outcome: r.status >= 200 && r.status < 300 ? 'delivered' : 'gave-up',
      message: m,
      attempts: 1,
      verdicts: [] as unknown[],
      messageId: (JSON.parse(r.body) as { name?: string }).name,
    }));
  let bad = 0;
  const c0 = process.cpuUsage();
  const m0 = threadCpuUs();
  const t0 = performance.now();
  // The same concurrency as the raw loop.
  const start: (i: number) => Promise<{ outcome: string }> = sender ? (i) => sender.send(messages[i]!) : (i) => minimal(messages[i]!);
  await keepInFlight(n, start, (o) => {
    if (o.outcome !== 'delivered') bad++;
  });
  const rate = n / ((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  lastCpuUsPerMsg = (c.user + c.system) / n;
  lastClientCpuUsPerMsg = (threadCpuUs() - m0) / n;
  await sender?.close();
  if (bad) throw new Error(`${bad} ${side} sends were not delivered`);
  return rate;
}

/**
 * The engine's own cost, without the network: the same driver and concurrency, a send that answers at
 * once with the same 200 response, each message either sent directly or through a new engine (new
 * devices, as above). µs of wall time per message on one thread, so steadier than the loopback ratio.
 */
async function stubRun(messages: readonly { token: string }[], throughEngine: boolean): Promise<number> {
  const headers = { 'content-type': 'application/json' };
  const send = async (_m: { token: string }) => {
    await null; // answered on a later turn, as a response would be
    return { status: 200, headers, body: ANSWER };
  };
  const sender = throughEngine ? benchSender(send) : undefined;
  const t0 = performance.now();
  const start: (i: number) => Promise<unknown> = sender ? (i) => sender.send(messages[i]!) : (i) => send(messages[i]!);
  await keepInFlight(messages.length, start);
  const us = ((performance.now() - t0) * 1000) / messages.length;
  await sender?.close();
  return us;
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

/**
 * Heap bytes per tracked device, measured in a fresh child process (node --expose-gc) so that nothing
 * else in this run moves the heap: 1,000,000 distinct ~150-char tokens are created and held first (not
 * counted), then the store tracks each of them once.
 */
async function bytesPerTarget(count: number): Promise<{ bytes: number; storeBytes: number }> {
  const { execFileSync } = await import('node:child_process');
  const script = new URL('./engine-memory.child.ts', import.meta.url).pathname;
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, String(count)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; storeBytes: number };
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const inproc = process.env.PUSHBACK_BENCH_SERVER === 'inproc';
  const server = inproc ? await startServer() : await startServerInWorker();
  const url = server.url;
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const n = quick ? 3000 : 20_000;
  const rounds = quick ? 3 : 5;
  try {
    const warmUp = buildMessages(quick ? 1000 : 3000, 10_000_000);
    const perRound = Array.from({ length: rounds }, (_, r) => buildMessages(n, r * n));
    (globalThis as { gc?: () => void }).gc?.(); // `npm run bench` passes --expose-gc
    await rawRun(pool, warmUp.length); // warm-up: connections, JIT
    await engineRun(pool, warmUp);
    const raw: number[] = [];
    const eng: number[] = [];
    const rawCpu: number[] = [];
    const engCpu: number[] = [];
    const rawClient: number[] = [];
    const engClient: number[] = [];
    const noDevice: number[] = [];
    const noDeviceClient: number[] = [];
    const minimal: number[] = [];
    const minimalClient: number[] = [];
    for (let r = 0; r < rounds; r++) {
      raw.push(await rawRun(pool, n));
      rawCpu.push(lastCpuUsPerMsg);
      rawClient.push(lastClientCpuUsPerMsg);
      eng.push(await engineRun(pool, perRound[r]!));
      engCpu.push(lastCpuUsPerMsg);
      engClient.push(lastClientCpuUsPerMsg);
      // The reference sides, after the main pair (they keep no per-device state: the same messages serve).
      noDevice.push(await engineRun(pool, perRound[r]!, 'noDeviceLimits'));
      noDeviceClient.push(lastClientCpuUsPerMsg);
      minimal.push(await engineRun(pool, perRound[r]!, 'minimalWrapper'));
      minimalClient.push(lastClientCpuUsPerMsg);
      log(
        `  round ${r + 1}: raw ${Math.round(raw[r]!)} msgs/s, engine ${Math.round(eng[r]!)} msgs/s (ratio ${(eng[r]! / raw[r]!).toFixed(3)}; ` +
          `client CPU ${rawClient[r]!.toFixed(1)} / ${engClient[r]!.toFixed(1)} µs/msg); without device limits ${(noDevice[r]! / raw[r]!).toFixed(3)}, ` +
          `minimal wrapper ${(minimal[r]! / raw[r]!).toFixed(3)} (client CPU ${noDeviceClient[r]!.toFixed(1)} / ${minimalClient[r]!.toFixed(1)} µs/msg)`,
      );
    }
    const rawRate = median(raw);
    const engRate = median(eng);
    // Rounds alternate raw and engine; the ratio is the median of the per-round ratios (robust to load drift).
    const ratio = median(eng.map((e, i) => e / raw[i]!));
    const stubSend: number[] = [];
    const stubEngine: number[] = [];
    for (let r = 0; r < rounds; r++) {
      stubSend.push(await stubRun(perRound[r]!, false));
      stubEngine.push(await stubRun(buildMessages(n, 20_000_000 + r * n), true));
    }
    log(`  stub send: ${median(stubSend).toFixed(2)} µs/msg directly, ${median(stubEngine).toFixed(2)} through the engine`);
    const admission = await admissionRate(quick ? 300_000 : 1_000_000);
    log(`  admission: ${Math.round(admission)} msgs/s`);
    const mem = await bytesPerTarget(1_000_000);
    log(`  1,000,000 devices: ${mem.bytes.toFixed(1)} heap bytes each (tables ${mem.storeBytes.toFixed(1)})`);
    return {
      'engine.rawPerSec': Math.round(rawRate),
      'engine.enginePerSec': Math.round(engRate),
      'engine.overheadRatio': Number(ratio.toFixed(3)),
      'engine.concurrency': CONCURRENCY,
      'engine.server': inproc ? 'in-process' : 'worker thread',
      // CPU per message of the whole process (client, engine and the loopback server, in either thread).
      'engine.rawCpuUsPerMsg': Number(median(rawCpu).toFixed(1)),
      'engine.engineCpuUsPerMsg': Number(median(engCpu).toFixed(1)),
      // CPU per message of the client thread alone (undici, and the engine on the engine side).
      'engine.rawClientCpuUsPerMsg': Number(median(rawClient).toFixed(1)),
      'engine.engineClientCpuUsPerMsg': Number(median(engClient).toFixed(1)),
      // The reference sides (same rounds, ratios to the same raw runs): where the engine's cost goes.
      'engine.noDeviceLimitsRatio': Number(median(noDevice.map((e, i) => e / raw[i]!)).toFixed(3)),
      'engine.noDeviceLimitsClientCpuUsPerMsg': Number(median(noDeviceClient).toFixed(1)),
      'engine.minimalWrapperRatio': Number(median(minimal.map((e, i) => e / raw[i]!)).toFixed(3)),
      'engine.minimalWrapperClientCpuUsPerMsg': Number(median(minimalClient).toFixed(1)),
      // The engine alone: a send that answers at once, µs of one thread per message (medians of the rounds).
      'engine.stubSendUsPerMsg': Number(median(stubSend).toFixed(2)),
      'engine.stubEngineUsPerMsg': Number(median(stubEngine).toFixed(2)),
      'limiter.admissionPerSec': Math.round(admission),
      'limiter.bytesPerTarget': Number(mem.bytes.toFixed(1)),
    };
  } finally {
    await pool.close();
    await server.close();
  }
}
