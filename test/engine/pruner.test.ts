import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender, PruneHookError } from '../../src/engine/index.js';
import type { DropTokenEvent, EngineEvent, SenderOptions } from '../../src/engine/types.js';
import { redactToken } from '../../src/redact.js';
import { apnsError, apnsOk, apnsToken, classify, fcmError, fcmOk, fcmToken, type RawResponse } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

interface Msg {
  token: string;
  credential?: string;
}

function opts(over: Partial<SenderOptions<Msg>> = {}): SenderOptions<Msg> {
  return {
    provider: 'fcm',
    target: (m) => ({ project: 'demo', token: m.token, credential: m.credential }),
    classify,
    limits: false,
    random: () => 0,
    ...over,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('prune safety valve', () => {
  for (const [provider, res, token] of [
    ['fcm', fcmError(403, 'SENDER_ID_MISMATCH'), fcmToken],
    ['apns', apnsError(400, 'BadDeviceToken'), apnsToken],
  ] as const) {
    it(`1,000 sends all failing with ${JSON.parse(res.body as string).reason ?? 'SENDER_ID_MISMATCH'} prune nothing and raise the alert (${provider})`, async () => {
      const pruned: DropTokenEvent[] = [];
      const onPruneSuspended = vi.fn();
      const events: EngineEvent[] = [];
      const s = createSender(() => res, opts({
        provider,
        onDropToken: (batch) => void pruned.push(...batch),
        onPruneSuspended,
        onEvent: (e) => events.push(e),
      }));
      const outcomes = await s.sendMany(Array.from({ length: 1000 }, (_, i) => ({ token: token(i) })));
      expect(outcomes.every((o) => o.outcome === 'dropped-token')).toBe(true);
      await vi.advanceTimersByTimeAsync(120_000);
      await s.close();
      expect(pruned).toHaveLength(0);
      expect(onPruneSuspended).toHaveBeenCalledTimes(1);
      expect(onPruneSuspended.mock.calls[0]![0]).toMatchObject({ key: `${provider}:demo`, sends: 100, drops: 100 });
      expect(events.filter((e) => e.type === 'prune-suspended')).toHaveLength(1);
      // Every condemned token is held, none lost.
      expect(new Set(s.quarantined!().map((e) => e.token)).size).toBe(1000);
    });
  }

  it('a human can release the quarantine to the hook, or discard it', async () => {
    const pruned: string[] = [];
    const s = createSender(() => apnsError(400, 'BadDeviceToken'), opts({ provider: 'apns', onDropToken: (b) => void pruned.push(...b.map((e) => e.token)) }));
    await s.sendMany(Array.from({ length: 200 }, (_, i) => ({ token: apnsToken(i) })));
    expect(pruned).toHaveLength(0);
    expect(await s.releaseQuarantine('apns:demo')).toBe(200);
    expect(new Set(pruned).size).toBe(200);
    expect(s.quarantined!()).toHaveLength(0);
    await s.sendMany(Array.from({ length: 200 }, (_, i) => ({ token: apnsToken(1000 + i) })));
    expect(await s.releaseQuarantine(undefined, { discard: true })).toBeGreaterThan(0);
    expect(s.quarantined!()).toHaveLength(0);
    await s.close();
  });

  it('prunes normally when drops are a small share, batched by size and by time', async () => {
    const batches: DropTokenEvent[][] = [];
    const dead = new Set(Array.from({ length: 250 }, (_, i) => fcmToken(i * 4)));
    const s = createSender((m: Msg) => (dead.has(m.token) ? fcmError(404, 'UNREGISTERED') : fcmOk()), opts({
      onDropToken: (b) => void batches.push(b),
      prune: { batchSize: 100, flushMs: 1000 },
    }));
    await s.sendMany(Array.from({ length: 1000 }, (_, i) => ({ token: fcmToken(i) })));
    await vi.advanceTimersByTimeAsync(0);
    // Size-triggered batches go out at once; the rest after flushMs.
    expect(batches.length).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(1000);
    const all = batches.flat();
    expect(all).toHaveLength(250);
    expect(new Set(all.map((e) => e.token))).toEqual(dead);
    expect(batches.every((b) => b.length <= 100)).toBe(true);
    expect(all[0]).toMatchObject({ provider: 'fcm', code: 'UNREGISTERED' });
    await s.close();
  });

  it('low volume: held until the valve can judge, at most windowMs, then pruned', async () => {
    const pruned: string[] = [];
    const s = createSender(() => apnsError(410, 'Unregistered', { timestamp: T0 - 5000 }), opts({
      provider: 'apns',
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
      prune: { valve: { windowMs: 60_000 } },
    }));
    const events: DropTokenEvent[] = [];
    const s2 = createSender(() => apnsError(410, 'Unregistered', { timestamp: T0 - 5000 }), opts({ provider: 'apns', onDropToken: (b) => void events.push(...b) }));
    await s.send({ token: apnsToken(1) });
    await s2.send({ token: apnsToken(2) });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(pruned).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(pruned).toEqual([apnsToken(1)]);
    await s2.close(); // close() flushes what is held
    expect(events.map((e) => e.token)).toEqual([apnsToken(2)]);
    expect(events[0]!.invalidSince).toBe(T0 - 5000);
    await s.close();
  });

  /**
   * An APNs sender after 1,000 healthy sends over 30 s; `breakIt()` makes every send answer BadDeviceToken
   * (a wrong environment), `fix()` ends that (tokens ending in "dead" still fail), `burst(tokens, per, everyMs)`
   * sends them `per` at a time every `everyMs`.
   */
  async function afterHealthyTraffic() {
    let broken = false;
    const pruned: string[] = [];
    let prunedAtTrip: number | undefined;
    const onPruneSuspended = vi.fn((_info: { sends: number; drops: number }) => void (prunedAtTrip ??= pruned.length));
    const s = createSender((m: Msg) => (broken || m.token.endsWith('dead') ? apnsError(400, 'BadDeviceToken') : apnsOk()), opts({
      provider: 'apns',
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
      onPruneSuspended,
    }));
    const burst = async (tokens: string[], per: number, everyMs: number) => {
      for (let k = 0; k < tokens.length; k += per) {
        await s.sendMany(tokens.slice(k, k + per).map((token) => ({ token })));
        await vi.advanceTimersByTimeAsync(everyMs);
      }
    };
    await burst(Array.from({ length: 1000 }, (_, i) => apnsToken(i)), 100, 3000);
    return { s, pruned, onPruneSuspended, prunedAtTrip: () => prunedAtTrip, burst, breakIt: () => void (broken = true), fix: () => void (broken = false) };
  }

  it('trips on the recent trend: a misconfiguration after healthy traffic does not wipe a window’s worth of tokens', async () => {
    // 1,000 healthy sends over 30 s, then the credential goes bad: 1,000 sends over the next 20 s all answer
    // BadDeviceToken. The whole 60 s window stays under 50% drops until its healthy sends have left it; the
    // recent part (the last two of its 12 buckets, 5 to 10 s) is over 50% after about 100 drops.
    const { s, pruned, onPruneSuspended, burst, breakIt } = await afterHealthyTraffic();
    breakIt();
    const bad = Array.from({ length: 1000 }, (_, i) => apnsToken(10_000 + i));
    await burst(bad, 20, 400);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(onPruneSuspended).toHaveBeenCalledTimes(1);
    const info = onPruneSuspended.mock.calls[0]![0];
    expect(info.drops / info.sends).toBeGreaterThan(0.5); // the counts that tripped it: the recent part's
    expect(info.sends).toBeLessThan(400);
    expect(pruned.length).toBeLessThanOrEqual(150); // not all 1,000
    // The figures the README quotes (deterministic: fake clock, fixed traffic).
    expect([info.drops, info.sends, pruned.length]).toEqual([101, 201, 60]);
    // Every condemned token is pruned or held: none lost, none twice.
    const held = s.quarantined!().map((e) => e.token);
    expect(new Set([...pruned, ...held])).toEqual(new Set(bad));
    expect(pruned.length + held.length).toBe(1000);
    await s.close();
  });

  it('once its recent part trips it, stays tripped while the sends still fail, also below minSends per two buckets', async () => {
    // 1,000 healthy sends over 30 s, then 12 failing sends a second: 60 per 5 s bucket, so the recent part
    // (two buckets) holds about 120 sends and, at each bucket's start, fewer than minSends (100), while the
    // whole window stays under 50%. The valve must not resume there and prune the next failures (found by a
    // review on 2026-12-04: it tripped 3 times and pruned 72 tokens after the first trip).
    const { s, pruned, onPruneSuspended, prunedAtTrip, burst, breakIt, fix } = await afterHealthyTraffic();
    breakIt();
    await burst(Array.from({ length: 240 }, (_, i) => apnsToken(10_000 + i)), 6, 500);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onPruneSuspended).toHaveBeenCalledTimes(1);
    expect(pruned.length).toBe(prunedAtTrip()); // nothing pruned after the trip
    expect(pruned.length + s.quarantined!().length).toBe(240);
    // Fixed: once the window and its recent part are healthy again, pruning resumes.
    fix();
    await vi.advanceTimersByTimeAsync(61_000);
    const before = pruned.length;
    await s.sendMany(Array.from({ length: 140 }, (_, i) => ({ token: apnsToken(20_000 + i) })));
    await s.sendMany(Array.from({ length: 10 }, (_, i) => ({ token: `${apnsToken(i)}dead` })));
    await vi.advanceTimersByTimeAsync(2000);
    expect(pruned.length - before).toBe(10);
    await s.close();
  });

  it('a healthy window resumes pruning; quarantined tokens stay held', async () => {
    let broken = true;
    const pruned: string[] = [];
    const s = createSender((m: Msg) => (broken || m.token.endsWith('dead') ? apnsError(400, 'BadDeviceToken') : apnsOk()), opts({
      provider: 'apns',
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
    }));
    await s.sendMany(Array.from({ length: 150 }, (_, i) => ({ token: apnsToken(i) })));
    expect(s.quarantined!().length).toBe(150);
    broken = false;
    await vi.advanceTimersByTimeAsync(61_000);
    // Drops while the valve is still suspended are quarantined; once the window is healthy, pruning resumes.
    await s.sendMany(Array.from({ length: 140 }, (_, i) => ({ token: apnsToken(i) })));
    await s.sendMany(Array.from({ length: 10 }, (_, i) => ({ token: `${apnsToken(i)}dead` })));
    await vi.advanceTimersByTimeAsync(2000);
    expect(pruned).toHaveLength(10);
    expect(s.quarantined!().length).toBe(150);
    await s.close();
  });

  it('counts per token for multi-target verdicts', async () => {
    const onPruneSuspended = vi.fn();
    const pruned: string[] = [];
    const events: EngineEvent[] = [];
    // A vendor response that lists 8 dead tokens of 10 in each request: 80% drop-token per token.
    const s = createSender(() => ({ status: 200, body: 'multi' }), opts({
      provider: 'xiaomi',
      target: () => ({ project: 'app' }),
      classify: () => ({
        provider: 'xiaomi', code: '0', action: 'ok', retryAfterMs: null, known: true, reason: 'ok',
        tokens: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`regid-${Math.random()}-${i}`, { action: i < 8 ? 'drop-token' : 'ok', code: i < 8 ? 'bad_regids' : '0' }])),
      }),
      onDropToken: (b) => void pruned.push(...b.map((e) => e.token)),
      onPruneSuspended,
      onEvent: (e) => events.push(e),
    }));
    await s.sendMany(Array.from({ length: 12 }, () => ({ token: '' })));
    await s.close();
    // Events carry the per-token map with redacted keys only.
    const quarantinedTokens = s.quarantined!().map((e) => e.token);
    const text = JSON.stringify(events);
    for (const t of quarantinedTokens) expect(text).not.toContain(t);
    expect(text).toContain(redactToken(quarantinedTokens[0]!));
    expect(onPruneSuspended).toHaveBeenCalledTimes(1); // 120 per-token sends, 96 drops
    expect(pruned).toHaveLength(0);
    expect(s.quarantined!()).toHaveLength(96);
  });

  it('valve: false prunes at once', async () => {
    const pruned: string[] = [];
    const s = createSender(() => apnsError(400, 'BadDeviceToken'), opts({ provider: 'apns', prune: { valve: false, flushMs: 10 }, onDropToken: (b) => void pruned.push(...b.map((e) => e.token)) }));
    await s.send({ token: apnsToken(5) });
    await vi.advanceTimersByTimeAsync(10);
    expect(pruned).toEqual([apnsToken(5)]);
    await s.close();
  });
});

describe('a token condemned again while it waits', () => {
  it('reaches the hook once per flush (pending or quarantined), and again after it left', async () => {
    const pruned: string[] = [];
    const s = createSender(() => apnsError(400, 'BadDeviceToken'), opts({ provider: 'apns', prune: { valve: false, flushMs: 10 }, onDropToken: (b) => void pruned.push(...b.map((e) => e.token)) }));
    const twice = apnsToken(7);
    const outcomes = await s.sendMany([{ token: twice }, { token: apnsToken(8) }, { token: twice }, { token: twice }]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['dropped-token', 'dropped-token', 'dropped-token', 'dropped-token']);
    await vi.advanceTimersByTimeAsync(10);
    expect(pruned.sort()).toEqual([twice, apnsToken(8)].sort());
    // Pruned: a later drop of the same token (the app did not delete it) is passed on again.
    await s.send({ token: twice });
    await vi.advanceTimersByTimeAsync(10);
    expect(pruned.filter((t) => t === twice)).toHaveLength(2);
    await s.close();
  });

  it('a token already in quarantine is not quarantined twice', async () => {
    const s = createSender(() => fcmError(403, 'SENDER_ID_MISMATCH'), opts({ onDropToken: () => {} }));
    const tokens = Array.from({ length: 150 }, (_, i) => ({ token: fcmToken(i % 120) }));
    await s.sendMany(tokens);
    await vi.advanceTimersByTimeAsync(120_000);
    await s.close();
    const held = s.quarantined!().map((e) => e.token);
    expect(held).toHaveLength(120);
    expect(new Set(held).size).toBe(120);
  });
});

describe('prune hook failures lose no token', () => {
  it('a throwing hook is retried and the tokens arrive', async () => {
    let calls = 0;
    const got: string[] = [];
    const s = createSender(() => fcmError(404, 'UNREGISTERED'), opts({
      prune: { valve: false, flushMs: 10 },
      onDropToken: (b) => {
        if (++calls < 3) throw new Error('db down');
        got.push(...b.map((e) => e.token));
      },
    }));
    await s.send({ token: fcmToken(1) });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
    expect(got).toEqual([fcmToken(1)]);
    await s.close();
  });

  it('a hook that keeps failing or hangs reports an error event and keeps the tokens in quarantine', async () => {
    const events: EngineEvent[] = [];
    let mode: 'hang' | 'throw' | 'ok' = 'hang';
    const got: string[] = [];
    const s = createSender(() => fcmError(404, 'UNREGISTERED'), opts({
      prune: { valve: false, flushMs: 10, hookTimeoutMs: 1000, hookAttempts: 3 },
      onEvent: (e) => events.push(e),
      onDropToken: (b) => {
        if (mode === 'hang') return new Promise(() => {});
        if (mode === 'throw') throw new Error('db down');
        got.push(...b.map((e) => e.token));
      },
    }));
    const tokens = [fcmToken(1), fcmToken(2), fcmToken(3)];
    await s.sendMany(tokens.map((token) => ({ token })));
    await vi.advanceTimersByTimeAsync(60_000);
    const errors = events.filter((e): e is Extract<EngineEvent, { type: 'error' }> => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBeInstanceOf(PruneHookError);
    expect((errors[0]!.error as PruneHookError).count).toBe(3);
    for (const t of tokens) expect(JSON.stringify(errors[0]!.error.message)).not.toContain(t);
    expect(s.quarantined!().map((e) => e.token).sort()).toEqual([...tokens].sort());
    // Still failing on release: back to quarantine, not lost.
    mode = 'throw';
    const r = s.releaseQuarantine();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await r).toBe(0);
    expect(s.quarantined!()).toHaveLength(3);
    mode = 'ok';
    expect(await s.releaseQuarantine()).toBe(3);
    expect(got.sort()).toEqual([...tokens].sort());
    await s.close();
  });

  it('close() flushes pending batches', async () => {
    const got: string[] = [];
    const s = createSender(() => fcmError(404, 'UNREGISTERED'), opts({ prune: { valve: false, flushMs: 60_000 }, onDropToken: async (b) => void got.push(...b.map((e) => e.token)) }));
    await s.send({ token: fcmToken(9) });
    expect(got).toHaveLength(0);
    await s.close();
    expect(got).toEqual([fcmToken(9)]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
