/**
 * Misconfiguration storm: every send fails with a "drop this token" code because the configuration is
 * wrong, not the tokens (FCM SENDER_ID_MISMATCH: tokens of another Firebase project; APNs
 * BadDeviceToken: production tokens sent to the sandbox host). The prune safety valve must hold every
 * token back from onDropToken and raise the alert. Real senders against the fake server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apnsSender } from '../../src/apns/index.js';
import { createApnsToken, createFcmToken } from './tokens.js';
import { createSender } from '../../src/engine/index.js';
import type { DropTokenEvent, EngineEvent } from '../../src/engine/types.js';
import { fcmSender } from '../../src/fcm/index.js';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ fcmAccessTokens: ['storm-token'], tokenPattern: { apns: /^sandbox:/ } });
});
afterAll(() => fake.close());

async function storm(provider: 'fcm' | 'apns', n: number) {
  const dropped: DropTokenEvent[] = [];
  const alerts: { key: string; sends: number; drops: number; quarantined: number }[] = [];
  const events: EngineEvent[] = [];
  const tls = { ca: fake.ca };
  const common = {
    retry: { minDelayMs: 0, maxAttempts: 3 },
    onDropToken: (batch: DropTokenEvent[]) => void dropped.push(...batch),
    onPruneSuspended: (info: (typeof alerts)[number]) => void alerts.push(info),
    onEvent: (e: EngineEvent) => void events.push(e),
  };
  let outcomes;
  let held = 0;
  if (provider === 'fcm') {
    // Every FCM request answers 403 SENDER_ID_MISMATCH.
    fake.script({ route: 'fcm', code: 'SENDER_ID_MISMATCH', times: Infinity });
    const s = fcmSender({ projectId: 'wrong-project', credential: { getAccessToken: () => 'storm-token' }, url: fake.url, tls });
    const engine = createSender((m: { token: string }, ctx) => s.send({ token: m.token, data: { k: 'v' } }, ctx), { provider: 'fcm', target: (m) => s.target({ token: m.token }), ...common });
    outcomes = await engine.sendMany(Array.from({ length: n }, () => ({ token: createFcmToken() })));
    await engine.flush();
    held = await engine.releaseQuarantine(undefined, { discard: true });
    await engine.close();
    await s.close();
  } else {
    // The server only accepts sandbox tokens: every production token is BadDeviceToken (the wrong host).
    const k = fake.apnsKey!;
    const s = apnsSender({ key: k.privateKey, keyId: k.keyId, teamId: k.teamId, environment: 'sandbox', topic: 'com.acme.app', url: fake.url, tls });
    const engine = createSender((m: { token: string }, ctx) => s.send({ token: m.token, payload: { aps: { alert: 'hi' } } }, ctx), { provider: 'apns', target: (m) => s.target({ token: m.token, payload: {} }), ...common });
    outcomes = await engine.sendMany(Array.from({ length: n }, () => ({ token: createApnsToken() })));
    await engine.flush();
    held = await engine.releaseQuarantine(undefined, { discard: true });
    await engine.close();
    await s.close();
  }
  fake.reset();
  return { outcomes, dropped, alerts, events, held };
}

describe('misconfiguration storm: 1,000 sends, every token condemned by a wrong configuration', () => {
  for (const provider of ['fcm', 'apns'] as const) {
    it(`${provider}: no token reaches the prune hook, and the alert fires`, async () => {
      const { outcomes, dropped, alerts, events, held } = await storm(provider, 500);
      expect(outcomes).toHaveLength(500);
      expect(outcomes.every((o) => o.outcome === 'dropped-token')).toBe(true);
      expect(outcomes[0]!.verdicts[0]!.code).toBe(provider === 'fcm' ? 'SENDER_ID_MISMATCH' : 'BadDeviceToken');
      expect(dropped).toEqual([]);
      expect(alerts.length).toBeGreaterThanOrEqual(1);
      expect(alerts[0]!.drops / alerts[0]!.sends).toBeGreaterThan(0.5);
      expect(events.some((e) => e.type === 'prune-suspended')).toBe(true);
      // Quarantined, not lost: the valve holds every condemned token until a human releases or discards them.
      expect(held).toBe(500);
    });
  }
});
