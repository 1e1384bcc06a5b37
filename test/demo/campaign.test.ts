import { describe, expect, it } from 'vitest';
import { campaignTokens, CONNECTION_FAULTS, createCampaign, DEFAULT_APPS, TRANSIENT_FAULTS } from '../../src/demo/campaign.js';

describe('createCampaign', () => {
  const c = createCampaign({ messages: 20_000, faultRate: 0.15, seed: 42 });

  it('is reproducible from its seed', () => {
    const again = createCampaign({ messages: 20_000, faultRate: 0.15, seed: 42 });
    expect(again.messages).toEqual(c.messages);
    expect([...again.faults]).toEqual([...c.faults]);
    expect(createCampaign({ messages: 20_000, faultRate: 0.15, seed: 43 }).messages).not.toEqual(c.messages);
  });

  it('has exactly the requested number of messages, with unique ids', () => {
    expect(c.messages).toHaveLength(20_000);
    expect(new Set(c.messages.map((m) => m.id)).size).toBe(20_000);
    for (const n of [0, 1, 7, 500]) expect(createCampaign({ messages: n, faultRate: 0.3, seed: 1 }).messages).toHaveLength(n);
  });

  it('uses realistic token shapes', () => {
    for (const m of c.messages.slice(0, 500)) {
      if (m.provider === 'fcm') expect(m.token).toMatch(/^[\w-]{22}:APA91b[\w-]{134}$/);
      else expect(m.token).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('sends to every app roughly in its share, interleaved', () => {
    for (const app of DEFAULT_APPS) {
      const k = c.messages.filter((m) => m.project === app.project).length;
      expect(Math.abs(k / 20_000 - app.share)).toBeLessThan(0.01);
    }
    const firstHundred = new Set(c.messages.slice(0, 100).map((m) => m.project));
    expect(firstHundred.size).toBeGreaterThanOrEqual(3);
  });

  it('injects every transient fault kind at about the fault rate', () => {
    const kinds = new Set([...c.faults.values()].flat().map((s) => s.kind));
    for (const k of [...TRANSIENT_FAULTS, ...CONNECTION_FAULTS]) expect(kinds.has(k)).toBe(true);
    expect(kinds.has('quota-project')).toBe(true);
    const connection = [...c.faults.values()].flat().filter((s) => s.kind === 'reset' || s.kind === 'goaway').length;
    expect(connection).toBeGreaterThan(0);
    expect(connection).toBeLessThan(30); // a few per campaign: each one hits everything on its connection
    const ordinary = c.messages.filter((m) => !c.deadTokens.has(m.token) && !c.hotTokens.has(m.token) && !m.bad && !m.ttlMs);
    const faulty = ordinary.filter((m) => c.faults.get(m.token)?.some((s) => s.kind !== 'reset' && s.kind !== 'goaway')).length;
    expect(faulty / ordinary.length).toBeGreaterThan(0.13);
    expect(faulty / ordinary.length).toBeLessThan(0.18);
  });

  it('keeps injected Retry-After within the configured range', () => {
    for (const steps of c.faults.values()) for (const s of steps) if (s.retryAfterS !== undefined) expect(s.retryAfterS).toBeGreaterThanOrEqual(1), expect(s.retryAfterS).toBeLessThanOrEqual(2);
  });

  it('scripts each faulty token for a single message, and hot devices get many messages', () => {
    const perToken = new Map<string, number>();
    for (const m of c.messages) perToken.set(m.token, (perToken.get(m.token) ?? 0) + 1);
    for (const t of c.faults.keys()) expect(perToken.get(t)).toBe(1);
    for (const t of c.hotTokens) expect(perToken.get(t)!).toBeGreaterThan(10);
    expect(campaignTokens(c).length).toBe(perToken.size);
  });

  it('derives its expectations from the plan', () => {
    const { exact, deliveredOrGaveUp } = c.expected;
    const sum = Object.values(exact).reduce((s, v) => s + (v ?? 0), 0) + deliveredOrGaveUp;
    expect(sum).toBe(20_000);
    expect(exact['dropped-token']).toBe(c.messages.filter((m) => c.deadTokens.has(m.token)).length);
    expect(exact.rejected).toBe(c.messages.filter((m) => m.bad).length);
    expect(exact.expired).toBe(c.messages.filter((m) => m.ttlMs).length);
    expect(exact.fatal).toBe(c.messages.filter((m) => m.project === 'com.acme.legacy').length);
    expect(c.expected.gaveUpAtLeast).toBeGreaterThan(0);
  });

  it('fault rate 0 injects no transient faults on ordinary messages', () => {
    const quiet = createCampaign({ messages: 2000, faultRate: 0, seed: 5 });
    const kinds = [...quiet.faults.values()].flat().map((s) => s.kind);
    expect(kinds.every((k) => ['quota-project', 'unavailable', 'reset', 'goaway'].includes(k))).toBe(true);
    expect(quiet.expected.gaveUpAtLeast).toBe(0);
  });
});
