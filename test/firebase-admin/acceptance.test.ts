/**
 * Acceptance (issue 4): a multicast of 10,000 tokens through the wrapped real firebase-admin (default
 * HTTP/2 transport) to the local fake FCM server, where 5% of the tokens are dead, 10% get one 503 with
 * Retry-After: 1, and 2% have a payload FCM rejects. Everything is checked from the server's request log
 * and the hooks.
 */
import type { Message } from 'firebase-admin/messaging';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DropTokenEvent } from '../../src/engine/types.js';
import { wrapMessaging } from '../../src/firebase-admin/index.js';
import type { Outcome } from '../../src/types.js';
import { BAD_PAYLOAD_BODY, startFakeFcm, type FakeFcm } from '../helpers/fake-fcm.js';
import { createTestApp } from '../helpers/firebase-admin.js';

const N = 10_000;
const RETRY_AFTER_S = 1;

let f: FakeFcm;
beforeAll(async () => {
  nock.disableNetConnect(); // safety net: nothing may leave the machine
  f = await startFakeFcm();
});
afterAll(async () => {
  nock.enableNetConnect();
  await f.close();
});

describe('acceptance: 10,000-token multicast with dead tokens, 503s and bad payloads', () => {
  it('prunes every dead token once, retries every 503 once after its Retry-After, reports every bad payload, delivers the rest, in input order', async () => {
    const tokens = Array.from({ length: N }, (_, i) => `acc-${i.toString(36)}-${'x'.repeat(20)}`);
    // Deterministic spread: by index modulo 100.
    const kind = (i: number) => (i % 100 < 5 ? 'dead' : i % 100 < 15 ? 'busy' : i % 100 < 17 ? 'payload' : 'ok');
    const expected = tokens.map((_, i) => kind(i));
    const dead = tokens.filter((_, i) => expected[i] === 'dead');
    const busy = new Set(tokens.filter((_, i) => expected[i] === 'busy'));
    const payload = new Set(tokens.filter((_, i) => expected[i] === 'payload'));
    for (const t of dead) f.fake.markDead(t);
    const seen = new Set<string>();
    f.fake.script([
      {
        route: 'fcm',
        times: Infinity,
        where: (r) => r.token !== undefined && busy.has(r.token) && !seen.has(r.token) && seen.add(r.token) !== undefined,
        code: 'UNAVAILABLE',
        retryAfter: RETRY_AFTER_S,
      },
      { route: 'fcm', times: Infinity, where: (r) => r.token !== undefined && payload.has(r.token), status: 400, body: BAD_PAYLOAD_BODY },
    ]);

    const t = createTestApp();
    const dropped: DropTokenEvent[] = [];
    const fixes: Outcome<Message>[] = [];
    const w = wrapMessaging(t.messaging, {
      transport: 'http2',
      retry: { minDelayMs: 0, initialDelayMs: 5, maxDelayMs: 40 },
      onDropToken: (batch) => void dropped.push(...batch),
      onFixRequest: (o) => void fixes.push(o),
    });
    const res = await w.sendEachForMulticast({ tokens, notification: { title: 'Sale', body: 'Today only' }, data: { campaign: '42' } });
    await w.close();
    await t.close();

    // The merged BatchResponse: one response per input, in input order, counts that add up.
    expect(res.responses).toHaveLength(N);
    expect(res.outcomes.map((o) => (o.message as { token: string }).token)).toEqual(tokens);
    expect(res.successCount + res.failureCount).toBe(N);
    const okCount = expected.filter((k) => k === 'ok' || k === 'busy').length;
    expect(res.successCount).toBe(okCount);
    res.responses.forEach((r, i) => {
      const k = expected[i];
      if (r.success !== (k === 'ok' || k === 'busy')) throw new Error(`response ${i} (${k}) success=${r.success}`);
    });
    const outcomeOf: Record<string, string> = { ok: 'delivered', busy: 'delivered', dead: 'dropped-token', payload: 'rejected' };
    expect(res.outcomes.map((o) => o.outcome)).toEqual(expected.map((k) => outcomeOf[k]));

    // Requests counted at the server.
    const byToken = new Map<string, { t: number; doneAt?: number; status: number }[]>();
    for (const e of f.fake.log) {
      if (!e.token) continue;
      const list = byToken.get(e.token) ?? [];
      list.push(e);
      byToken.set(e.token, list);
    }
    let retriedEarly = 0;
    tokens.forEach((tok, i) => {
      const hits = byToken.get(tok) ?? [];
      const want = expected[i] === 'busy' ? 2 : 1;
      if (hits.length !== want) throw new Error(`${expected[i]} token ${i} was requested ${hits.length} times, expected ${want}`);
      if (want === 2 && hits[1]!.t - (hits[0]!.doneAt ?? hits[0]!.t) < RETRY_AFTER_S * 1000) retriedEarly++;
    });
    expect(retriedEarly).toBe(0);
    expect(f.fake.stats().requests).toBe(N + busy.size);

    // Every dead token passed to the hook exactly once; nothing else was.
    expect(dropped).toHaveLength(dead.length);
    expect(new Set(dropped.map((d) => d.token))).toEqual(new Set(dead));
    // Every bad payload reported.
    expect(fixes).toHaveLength(payload.size);
    expect(new Set(fixes.map((o) => (o.message as { token: string }).token))).toEqual(payload);
    expect(res.responses.filter((r) => r.error?.code === 'messaging/invalid-argument')).toHaveLength(payload.size);
  });
});
