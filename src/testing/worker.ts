import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FaultRule, RandomFaultOptions } from './faults.js';
import type { ApnsTestKey } from './jwt.js';
import type { RateLimits } from './rate.js';
import type { LogEntry, LogFilter, MaxRateOptions, Stats } from './recorder.js';
import type { FakeProviderOptions, MarkDeadOptions } from './api.js';
import type { FakeResponse } from './shapes/index.js';

/** Options that can cross a thread boundary: no functions (`now`, function vendor responses). */
export type WorkerFakeOptions = Omit<FakeProviderOptions, 'now' | 'vendorResponses'> & { vendorResponses?: Record<string, FakeResponse> };

/** A fault rule without a predicate: rules are sent to the worker by structured clone. */
export type WorkerFaultRule = Omit<FaultRule, 'where'>;

/**
 * The fake provider running in a worker thread: the same server and the same methods, made async. Use it
 * for benchmarks, so the server does not share an event loop (and a core) with the client under test.
 */
export interface WorkerFakeProvider {
  readonly url: string;
  readonly http1Url: string;
  readonly h2cUrl: string | undefined;
  readonly port: number;
  readonly http1Port: number;
  readonly h2cPort: number | undefined;
  readonly ca: string;
  readonly apnsKey: ApnsTestKey | undefined;
  stats(): Promise<Stats>;
  log(): Promise<LogEntry[]>;
  requests(filter?: LogFilter): Promise<LogEntry[]>;
  maxRate(options: MaxRateOptions): Promise<{ key: string | undefined; count: number }>;
  script(rules: WorkerFaultRule | readonly WorkerFaultRule[]): Promise<void>;
  setFaults(options: RandomFaultOptions | null): Promise<void>;
  markDead(token: string, options?: MarkDeadOptions): Promise<void>;
  revive(token: string): Promise<void>;
  setLimits(route: string, limits: RateLimits | undefined): Promise<void>;
  setVendorResponse(provider: string, response: FakeResponse | undefined): Promise<void>;
  setFcmAccessTokens(tokens: readonly string[] | undefined): Promise<void>;
  setMaxConcurrentStreams(n: number): Promise<void>;
  goawayAll(): Promise<void>;
  dropConnections(): Promise<void>;
  reset(): Promise<void>;
  /** Closes the server, then ends the worker. */
  close(): Promise<void>;
}

type Ready = Pick<WorkerFakeProvider, 'url' | 'http1Url' | 'h2cUrl' | 'port' | 'http1Port' | 'h2cPort' | 'ca' | 'apnsKey'>;

/**
 * From dist the worker runs `worker-main.js`. From the TypeScript sources (tests, tsx) it first registers
 * tsx's loader in the worker (a worker does not inherit the parent's module hooks), then imports the .ts.
 */
function spawnWorker(options: WorkerFakeOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker-main.js', import.meta.url), { workerData: options });
  // The ESM entry of tsx/esm/api, found next to the CommonJS one `require.resolve` gives.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const main = new URL('./worker-main.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(main)}); });`;
  return new Worker(boot, { eval: true, workerData: options });
}

/** Starts the fake provider in a worker thread (takes ~100 ms more than in-process). */
export async function startFakeProviderInWorker(options: WorkerFakeOptions = {}): Promise<WorkerFakeProvider> {
  const worker = spawnWorker(options);
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`fake provider worker exited with code ${code}`)));
    worker.on('message', (msg: { ready?: Ready; id?: number; result?: unknown; error?: string }) => {
      if (msg.ready) return resolve(msg.ready);
      const w = waiting.get(msg.id!);
      if (!w) return;
      waiting.delete(msg.id!);
      if (msg.error !== undefined) w.reject(new Error(msg.error));
      else w.resolve(msg.result);
    });
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`fake provider worker exited with code ${code}`)));

  const call = <T>(method: string, ...args: unknown[]): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = ++seq;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });
  };
  let closed: Promise<void> | undefined;
  return {
    ...ready,
    stats: () => call('stats'),
    log: () => call('log'),
    requests: (filter) => call('requests', filter),
    maxRate: (o) => call('maxRate', o),
    script: (rules) => call('script', rules),
    setFaults: (o) => call('setFaults', o),
    markDead: (token, o) => call('markDead', token, o),
    revive: (token) => call('revive', token),
    setLimits: (route, limits) => call('setLimits', route, limits),
    setVendorResponse: (provider, response) => call('setVendorResponse', provider, response),
    setFcmAccessTokens: (tokens) => call('setFcmAccessTokens', tokens),
    setMaxConcurrentStreams: (n) => call('setMaxConcurrentStreams', n),
    goawayAll: () => call('goawayAll'),
    dropConnections: () => call('dropConnections'),
    reset: () => call('reset'),
    close() {
      closed ??= (async () => {
        await call('close').catch(() => undefined);
        worker.removeAllListeners('exit');
        worker.removeAllListeners('error');
        await worker.terminate();
        failure = new Error('fake provider worker closed');
      })();
      return closed;
    },
  };
}
