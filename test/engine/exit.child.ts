/**
 * Child process of close.test.ts: uses the engine with every part switched on (bottleneck limiters,
 * device counters, a Retry-After retry, the prune hook with its valve), then closes it. It never calls process.exit:
 * the process must end on its own, which proves close() leaves no handle behind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { createSender } from '../../src/index.js';

let n = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    n++;
    if (n === 3) {
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: 'overloaded' } }));
    } else if (n % 5 === 0) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', message: 'gone', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name":"projects/demo/messages/1"}');
    }
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 4 });
let pruned = 0;
const sender = createSender(
  async (m: { token: string }) => {
    const r = await pool.request({ path: '/v1/projects/demo/messages:send', method: 'POST', body: JSON.stringify({ message: m }) });
    return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
  },
  {
    provider: 'fcm',
    target: (m) => ({ project: 'demo', token: m.token }),
    retry: { minDelayMs: 0, defaultRetryAfterMs: 0, initialDelayMs: 50 },
    prune: { flushMs: 60_000 },
    onDropToken: (b) => void (pruned += b.length),
  },
);
const outcomes = await sender.sendMany(Array.from({ length: 20 }, (_, i) => ({ token: `token-${i}-${'x'.repeat(140)}` })));
await sender.close();
await pool.close();
server.close();
process.stdout.write(JSON.stringify({ outcomes: outcomes.map((o) => o.outcome), pruned }) + '\n');
