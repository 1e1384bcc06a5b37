/**
 * The fake provider server as a benchmark target: how many requests per second it answers on the success
 * path, so the sender benchmarks measure the senders and not the fake. Clients: undici HTTP/2 (one
 * Client, pipelining 100, idempotent POSTs) and raw node:http2, with the server in this process and in a
 * worker thread (startFakeProviderInWorker), which is how sender benchmarks should run it.
 */
import http2 from 'node:http2';
import { Client } from 'undici';
import { signApnsJwt, startFakeProvider, startFakeProviderInWorker } from '../../src/testing/index.js';

type Target = { url: string; ca: string };

export const name = 'testing';

/** Warms the JIT and the connection with a fifth of the run, then times `total` sends, 100 in flight. */
async function measure(send: (i: number) => Promise<void>, total: number): Promise<number> {
  const burst = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < count) await send(next++);
      }),
    );
  };
  await send(0);
  await burst(Math.ceil(total / 5));
  const t0 = performance.now();
  await burst(total);
  return (performance.now() - t0) / 1000;
}

async function undiciRun(fake: Target, total: number, path: (i: number) => string, headers: Record<string, string>, body: (i: number) => string): Promise<number> {
  const client = new Client(fake.url, { allowH2: true, pipelining: 100, connect: { ca: fake.ca } });
  const send = async (i: number) => {
    const r = await client.request({ method: 'POST', path: path(i), headers, body: body(i), idempotent: true });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
  };
  const secs = await measure(send, total);
  await client.close();
  return Math.round(total / secs);
}

async function nodeRun(fake: Target, total: number, headers: http2.OutgoingHttpHeaders): Promise<number> {
  const session = http2.connect(fake.url, { ca: fake.ca });
  const send = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': `/3/device/${i.toString(16).padStart(64, '0')}`, ...headers });
      req.on('response', (h) => (h[':status'] === 200 ? undefined : reject(new Error(`status ${h[':status']}`))));
      req.on('error', reject);
      req.on('end', resolve);
      req.resume();
      req.end('{"aps":{"alert":"hello"}}');
    });
  const secs = await measure(send, total);
  session.close();
  return Math.round(total / secs);
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const total = quick ? 5_000 : 50_000;
  const fake = await startFakeProvider({ log: false, countTokens: false });
  try {
    const apnsHeaders = { authorization: `bearer ${signApnsJwt({ ...fake.apnsKey! })}`, 'apns-topic': 'com.example.app', 'apns-push-type': 'alert' };
    const fcmHeaders = { authorization: 'Bearer bench', 'content-type': 'application/json' };
    const apnsUndici = await undiciRun(fake, total, (i) => `/3/device/${i.toString(16).padStart(64, '0')}`, apnsHeaders, () => '{"aps":{"alert":"hello"}}');
    log(`  apns via undici h2: ${apnsUndici} req/s`);
    const fcmUndici = await undiciRun(fake, total, () => '/v1/projects/bench/messages:send', fcmHeaders, (i) => JSON.stringify({ message: { token: `tok-${i}`, notification: { title: 'hello' } } }));
    log(`  fcm via undici h2: ${fcmUndici} req/s`);
    const apnsNode = await nodeRun(fake, total, apnsHeaders);
    log(`  apns via node:http2: ${apnsNode} req/s`);
    const worker = await startFakeProviderInWorker({ log: false, countTokens: false });
    const apnsWorker = await undiciRun(worker, total, (i) => `/3/device/${i.toString(16).padStart(64, '0')}`, { ...apnsHeaders, authorization: `bearer ${signApnsJwt({ ...worker.apnsKey! })}` }, () => '{"aps":{"alert":"hello"}}');
    log(`  apns via undici h2, server in a worker thread: ${apnsWorker} req/s`);
    await worker.close();
    const logged = await startFakeProvider();
    const apnsLogged = await undiciRun(logged, total, (i) => `/3/device/${i.toString(16).padStart(64, '0')}`, { ...apnsHeaders, authorization: `bearer ${signApnsJwt({ ...logged.apnsKey! })}` }, () => '{"aps":{"alert":"hello"}}');
    log(`  apns via undici h2, log and token counters on: ${apnsLogged} req/s`);
    await logged.close();
    return {
      'testing.apnsUndiciPerSec': apnsUndici,
      'testing.fcmUndiciPerSec': fcmUndici,
      'testing.apnsNodeHttp2PerSec': apnsNode,
      'testing.apnsLoggedPerSec': apnsLogged,
      'testing.apnsWorkerPerSec': apnsWorker,
      'testing.requests': total,
    };
  } finally {
    await fake.close();
  }
}
