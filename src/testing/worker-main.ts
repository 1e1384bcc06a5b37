/** Runs a fake provider inside a worker thread for `startFakeProviderInWorker` and answers its calls. */
import { parentPort, workerData } from 'node:worker_threads';
import type { FakeProvider, FakeProviderOptions } from './api.js';
import { startFakeProvider } from './server.js';

interface Call {
  id: number;
  method: string;
  args: unknown[];
}

const port = parentPort!;
const fake: FakeProvider = await startFakeProvider(workerData as FakeProviderOptions);

port.on('message', async (call: Call) => {
  try {
    const target = fake as unknown as Record<string, (...a: unknown[]) => unknown>;
    if (call.method === 'log') return port.postMessage({ id: call.id, result: fake.log.slice() });
    const fn = target[call.method];
    if (typeof fn !== 'function') throw new Error(`unknown method ${call.method}`);
    const result = await fn.apply(fake, call.args);
    port.postMessage({ id: call.id, result });
    if (call.method === 'close') port.close();
  } catch (err) {
    port.postMessage({ id: call.id, error: String((err as Error)?.message ?? err) });
  }
});

port.postMessage({
  ready: {
    url: fake.url,
    http1Url: fake.http1Url,
    h2cUrl: fake.h2cUrl,
    port: fake.port,
    http1Port: fake.http1Port,
    h2cPort: fake.h2cPort,
    ca: fake.ca,
    apnsKey: fake.apnsKey,
  },
});
