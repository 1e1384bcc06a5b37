/**
 * The fake provider for test/bench/senders.bench.ts, in its own processes so the server's CPU is not
 * counted against the client under test. It runs as a cluster of 2 workers sharing one port (the primary
 * hands connections out in turn, so a client's 2 connections land on different workers), with one
 * certificate and one APNs key: one node:http2 server process tops out near 12,000 requests/s here
 * (~75 µs of CPU each), below what the fastest clients send, and a saturated server would measure
 * itself instead of the client. Each side of a comparison meets the same servers.
 */
import cluster from 'node:cluster';
import { generateApnsKey, startFakeProvider, testCertificate, type ApnsTestKey } from '../../src/testing/index.js';

const WORKERS = 2;

if (cluster.isPrimary) {
  const certificate = await testCertificate();
  const key = generateApnsKey();
  cluster.setupPrimary({ execArgv: process.execArgv });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ FAKE_SETUP: JSON.stringify({ certificate, key }) }));
  const urls = await Promise.all(workers.map((w) => new Promise<string>((resolve) => w.once('message', (m: { url: string }) => resolve(m.url)))));
  if (new Set(urls).size !== 1) throw new Error(`cluster workers listen on different ports: ${urls.join(', ')}`);
  process.send!({ url: urls[0], ca: certificate.cert, key, workers: WORKERS });
  process.on('disconnect', () => {
    for (const w of workers) w.disconnect();
    cluster.once('exit', () => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
} else {
  const { certificate, key } = JSON.parse(process.env.FAKE_SETUP!) as { certificate: { key: string; cert: string }; key: ApnsTestKey };
  const fake = await startFakeProvider({ log: false, countTokens: false, certificate, apnsKeys: [{ keyId: key.keyId, teamId: key.teamId, publicKey: key.publicKey }], h2c: false });
  process.send!({ url: fake.url });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
}
