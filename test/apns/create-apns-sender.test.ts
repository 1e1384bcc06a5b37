/**
 * The APNs sender inside the engine (createApnsSender), against the fake provider: outcomes follow the
 * shipped catalog, the 410 timestamp reaches the prune hook, ExpiredProviderToken refreshes once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApnsSender } from '../../src/apns/index.js';
import { catalog } from '../../src/catalog/catalog.js';
import { OUTCOME_OF, type DropTokenEvent } from '../../src/index.js';
import type { ApnsNotification, EngineOptions } from '../../src/apns/index.js';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';

let fake: FakeProvider;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({ now: () => Date.now() });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((s) => s.close()));
  fake.reset();
});

/** Fast retries so no test waits for real seconds. */
const quickRetry = { minDelayMs: 0, initialDelayMs: 1, maxDelayMs: 5 };

function make(engine: EngineOptions<ApnsNotification> = {}) {
  const key = fake.apnsKey!;
  const s = createApnsSender(
    { key: key.privateKey, keyId: key.keyId, teamId: key.teamId, environment: 'sandbox', topic: 'com.example.app', url: fake.url, tls: { ca: fake.ca } },
    { limits: false, retry: quickRetry, ...engine },
  );
  open.push(s);
  return s;
}

const tok = (s: string | number) => `cd${String(s).padStart(62, '0')}`;
const payload = { aps: { alert: 'hello' } };

describe('createApnsSender', () => {
  it('ends every APNs reason in the outcome its catalog action says', async () => {
    const entries = catalog().entries.filter((e) => e.provider === 'apns' && e.scope === 'server' && e.status !== null && e.status >= 400);
    expect(entries.length).toBeGreaterThanOrEqual(32);
    for (const e of entries) {
      // A fresh sender each time: a 429 cools its target down and a fatal opens the circuit.
      const s = make({ retry: { ...quickRetry, maxAttempts: 1 }, prune: { valve: false } });
      fake.script({ route: 'apns', token: tok(e.code), code: e.code, status: e.status! });
      const out = await s.send({ token: tok(e.code), payload });
      const expected = e.action === 'retry' ? 'gave-up' : OUTCOME_OF[e.action];
      expect(out.outcome, e.code).toBe(expected);
      expect(out.verdicts[0]!.code, e.code).toBe(e.code);
    }
  });

  it('delivers, with the apns-id as the message id', async () => {
    const s = make();
    const out = await s.send({ token: tok(1), payload, id: '2b4c6d8e-0000-4000-8000-000000000001' });
    expect(out).toMatchObject({ outcome: 'delivered', attempts: 1, messageId: '2b4c6d8e-0000-4000-8000-000000000001' });
  });

  it('hands the 410 timestamp to onDropToken as invalidSince', async () => {
    const dropped: DropTokenEvent[] = [];
    const s = make({ onDropToken: (batch) => void dropped.push(...batch), prune: { valve: false, flushMs: 1 } });
    const since = Date.now() - 3_600_000;
    fake.markDead(tok('gone'), { timestamp: since });
    const out = await s.send({ token: tok('gone'), payload });
    expect(out.outcome).toBe('dropped-token');
    await s.flush();
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ token: tok('gone'), provider: 'apns', code: 'Unregistered', invalidSince: since });
  });

  it('rejects an oversized payload as fix-request without a request', async () => {
    const fixes: unknown[] = [];
    const s = make({ onFixRequest: (o) => void fixes.push(o) });
    const out = await s.send({ token: tok(2), payload: { aps: { alert: 'x'.repeat(5000) } } });
    expect(out).toMatchObject({ outcome: 'rejected', attempts: 1 });
    expect(out.verdicts[0]!.code).toBe('PayloadTooLarge');
    expect(fake.stats().requests).toBe(0);
    await vi.waitFor(() => expect(fixes).toHaveLength(1));
  });

  it('ExpiredProviderToken: refreshes the JWT once and delivers on the retry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = make();
    await s.send({ token: tok(0), payload });
    const before = s.provider.tokens.current();
    vi.advanceTimersByTime(25 * 60_000);
    for (let i = 0; i < 10; i++) fake.script({ route: 'apns', token: tok(`e${i}`), code: 'ExpiredProviderToken' });
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.send({ token: tok(`e${i}`), payload })));
    expect(outs.map((o) => o.outcome + ':' + o.verdicts.map((v) => v.code).join('>'))).toEqual(Array(10).fill('delivered:ExpiredProviderToken>200'));
    expect(outs.every((o) => o.attempts === 2)).toBe(true);
    expect(s.provider.tokens.current().generation).toBe(before.generation + 1);
  });

  it('GOAWAY mid-burst through the engine: every notification delivered exactly once', async () => {
    const s = make();
    await s.send({ token: tok('warm'), payload });
    fake.reset();
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 10 }] });
    fake.script({ route: 'apns', transport: 'goaway', latencyMs: 2, where: (r) => r.streamId === 51, goaway: { lastStreamId: 51 } });
    const outs = await s.sendMany(Array.from({ length: 200 }, (_, i) => ({ token: tok(`g${i}`), payload })));
    expect(outs.every((o) => o.outcome === 'delivered')).toBe(true);
    const answered = fake.requests({ route: 'apns', status: 200 });
    expect(answered).toHaveLength(200);
    expect(fake.requests({ route: 'apns' }).some((e) => e.fault === 'refused-by-goaway')).toBe(true);
  });

  it('a timeout after the request was written ends flagged maybe-delivered (not retried without a collapse id)', async () => {
    const key = fake.apnsKey!;
    const s = createApnsSender(
      { key: key.privateKey, keyId: key.keyId, teamId: key.teamId, environment: 'sandbox', topic: 'com.example.app', url: fake.url, tls: { ca: fake.ca }, timeoutMs: 100 },
      { limits: false, retry: quickRetry },
    );
    open.push(s);
    await s.send({ token: tok('warm'), payload });
    fake.script({ route: 'apns', token: tok('slow'), transport: 'hang' });
    const out = await s.send({ token: tok('slow'), payload });
    expect(out.maybeDelivered).toBe(true);
    expect(out.outcome).not.toBe('delivered');
    expect(fake.requests({ token: tok('slow') })).toHaveLength(1);
  });
});
