/**
 * Wrap a plain HTTP send to a vendor push API with the pushback engine.
 *
 * The vendor here is Xiaomi Mi Push (`POST /v3/message/regid`, errors inside HTTP 200 bodies, dead
 * regIds listed in `data.bad_regids`); any provider in the catalog works the same way: write a send
 * function that returns `{ status, headers, body }`, tell the engine who the message goes to, and it
 * retries, rate-limits, cools down, prunes and reports.
 *
 * Runs against a tiny local server it starts itself: `npx tsx examples/generic-http.ts`
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createSender, redactToken, type DropTokenEvent } from '../src/index.js';

// ---- a fake Mi Push endpoint on loopback ------------------------------------------------------
let calls = 0;
const server = createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (raw += c));
  req.on('end', () => {
    calls++;
    const form = new URLSearchParams(raw);
    const regIds = (form.get('registration_id') ?? '').split(',');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (calls === 2) {
      // Xiaomi reports rate limits inside a 200: "API calls are too frequent".
      res.end(JSON.stringify({ result: 'error', code: 10027, reason: 'api call too frequent', description: '调用频率过快' }));
      return;
    }
    const bad = regIds.filter((r) => r.startsWith('dead'));
    res.end(JSON.stringify({ result: 'ok', code: 0, trace_id: `trace-${calls}`, data: { id: `scm${calls}`, bad_regids: bad.join(',') }, description: '成功' }));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---- the send function: plain undici, no retry logic of its own --------------------------------
interface Push {
  regIds: string[];
  title: string;
  description: string;
}

async function sendToXiaomi(push: Push, ctx: { signal: AbortSignal }) {
  const res = await request(`${base}/v3/message/regid`, {
    method: 'POST',
    signal: ctx.signal,
    headers: { authorization: 'key=APP_SECRET_FROM_YOUR_VAULT', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      registration_id: push.regIds.join(','),
      title: push.title,
      description: push.description,
      restricted_package_name: 'com.example.app',
      pass_through: '0',
    }).toString(),
  });
  // Hand the engine the raw response; `targets` lets the classifier tell which regIds were accepted.
  return { status: res.statusCode, headers: res.headers, body: await res.body.text(), targets: push.regIds };
}

// ---- the engine ------------------------------------------------------------------------------
const pruned: DropTokenEvent[] = [];
const sender = createSender(sendToXiaomi, {
  provider: 'xiaomi',
  target: () => ({ project: 'com.example.app', credential: 'xiaomi-app-1' }),
  retry: { minDelayMs: 200, initialDelayMs: 200 }, // short waits for the demo; the catalog default is 1 s
  prune: { valve: { minSends: 100 }, flushMs: 100 },
  onDropToken: (batch) => {
    // Your database delete goes here; throwing keeps the tokens (they are retried, never lost).
    pruned.push(...batch);
  },
  onEvent: (e) => {
    if (e.type === 'attempt') console.log(`attempt ${e.attempt}: ${e.verdict.code} (${e.verdict.action}) → ${e.decision.kind === 'retry' ? `retry in ${e.decision.delayMs} ms` : e.decision.outcome}`);
  },
});

const outcomes = await sender.sendMany([
  { regIds: ['regid-alice', 'regid-bob'], title: 'Hello', description: 'First batch' },
  { regIds: ['regid-carol', 'dead-regid-1', 'dead-regid-2'], title: 'Hello', description: 'Second batch' },
]);
await sender.close(); // flushes pending prune batches, clears timers
server.close();

for (const o of outcomes) console.log(`${o.message.description}: ${o.outcome} after ${o.attempts} attempt(s), message id ${o.messageId}`);
console.log(`pruned: ${pruned.map((e) => `${redactToken(e.token)} (${e.code})`).join(', ')}`);
