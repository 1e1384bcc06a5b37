/**
 * The FCM sender inside the engine (createFcmSender), against the fake provider.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFcmSender, type EngineOptions, type FcmMessage } from '../../src/fcm/index.js';
import type { DropTokenEvent } from '../../src/index.js';
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
  await Promise.all(open.splice(0).map((s) => s.close()));
  fake.reset();
  fake.setFcmAccessTokens(undefined);
});

/** Fast retries so no test waits for real seconds (FCM's own floor is 10 s). */
const quickRetry = { minDelayMs: 0, initialDelayMs: 1, maxDelayMs: 5 };

function make(engine: EngineOptions<FcmMessage> = {}, getAccessToken = vi.fn(async () => ({ access_token: 'at-1', expires_in: 3600 }))) {
  const s = createFcmSender({ projectId: 'demo-project', credential: { getAccessToken }, url: fake.url, tls: { ca: fake.ca } }, { limits: false, retry: quickRetry, ...engine });
  open.push(s);
  return { s, getAccessToken };
}

describe('createFcmSender', () => {
  it('delivers with the message name as message id', async () => {
    const { s } = make();
    const out = await s.send({ token: 'a', notification: { title: 't' } });
    expect(out).toMatchObject({ outcome: 'delivered', attempts: 1, messageId: expect.stringMatching(/^projects\/demo-project\/messages\//) });
  });

  it('a 401 refreshes the access token once for concurrent sends, then delivers', async () => {
    let n = 0;
    const getAccessToken = vi.fn(async () => ({ access_token: `at-${++n}`, expires_in: 3600 }));
    const { s } = make({}, getAccessToken);
    fake.setFcmAccessTokens(['at-2']);
    const outs = await Promise.all(Array.from({ length: 15 }, (_, i) => s.send({ token: `u${i}`, data: { i: String(i) } })));
    expect(outs.map((o) => o.outcome)).toEqual(Array(15).fill('delivered'));
    expect(outs.every((o) => o.verdicts[0]!.code === 'UNAUTHENTICATED')).toBe(true);
    expect(getAccessToken).toHaveBeenCalledTimes(2);
  });

  it('Retry-After reaches the verdict and the decision waits at least that long', async () => {
    const { s } = make();
    fake.script({ route: 'fcm', token: 'q', code: 'QUOTA_EXCEEDED', quota: 'device', retryAfter: 42 });
    const step = await s.attempt({ token: 'q', data: { k: 'v' } }, { attempt: 1, startedAt: Date.now() });
    expect(step.verdict).toMatchObject({ code: 'QUOTA_EXCEEDED', action: 'retry', status: 429 });
    expect(step.verdict.retryAfterMs).toBeGreaterThanOrEqual(41_000);
    expect(step.decision.kind).toBe('retry');
    if (step.decision.kind === 'retry') expect(step.decision.delayMs).toBeGreaterThanOrEqual(42_000);
  });

  it('drops an unregistered token through onDropToken', async () => {
    const dropped: DropTokenEvent[] = [];
    const { s } = make({ onDropToken: (b) => void dropped.push(...b), prune: { valve: false, flushMs: 1 } });
    fake.markDead('dead-token');
    const out = await s.send({ token: 'dead-token', data: { k: 'v' } });
    expect(out.outcome).toBe('dropped-token');
    await s.flush();
    expect(dropped.map((d) => [d.token, d.code])).toEqual([['dead-token', 'UNREGISTERED']]);
  });

  it('retries a 503 and delivers', async () => {
    const { s } = make();
    fake.script({ route: 'fcm', token: 'busy', code: 'UNAVAILABLE', times: 2 });
    const out = await s.send({ token: 'busy', data: { k: 'v' } });
    expect(out).toMatchObject({ outcome: 'delivered', attempts: 3 });
  });

  it('a bad payload field is rejected (fix-request), not pruned', async () => {
    const dropped: DropTokenEvent[] = [];
    const { s } = make({ onDropToken: (b) => void dropped.push(...b), prune: { valve: false, flushMs: 1 } });
    const out = await s.send({ token: 'ok-token', data: { n: 5 as unknown as string } });
    expect(out.outcome).toBe('rejected');
    await s.flush();
    expect(dropped).toHaveLength(0);
  });
});
