/** `Sender.coolDownUntil`: a cool-down learned from outside (another worker's 429) holds this engine too. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSender } from '../../src/engine/index.js';
import type { EngineEvent } from '../../src/engine/types.js';

interface M {
  token: string;
  project: string;
}

afterEach(() => vi.useRealTimers());

function engine(sent: number[], events: EngineEvent[] = []) {
  return createSender<M>(
    () => {
      sent.push(Date.now());
      return { status: 200, headers: {}, body: '{"name":"projects/p/messages/1"}' };
    },
    {
      provider: 'fcm',
      target: (m) => ({ project: m.project, token: m.token }),
      limits: false, // no bottleneck timers under fake timers; cool-downs work without limits
      retry: { minDelayMs: 0 },
      prune: { valve: false },
      onEvent: (e) => events.push(e),
    },
  );
}

describe('coolDownUntil', () => {
  it('defers attempt() for the cooled project without counting an attempt, and leaves other projects alone', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const sent: number[] = [];
    const events: EngineEvent[] = [];
    const s = engine(sent, events);
    s.coolDownUntil!({ project: 'p1' }, Date.now() + 1_500);
    const held = await s.attempt({ project: 'p1', token: 't1' }, { attempt: 0, startedAt: Date.now() });
    expect(held.verdict.code).toBe('PUSHBACK_WAIT');
    expect(held.decision).toMatchObject({ kind: 'retry', delayMs: 1_500 });
    expect(held.state?.attempt).toBe(0);
    const other = await s.attempt({ project: 'p2', token: 't2' }, { attempt: 0, startedAt: Date.now() });
    expect(other.decision).toMatchObject({ kind: 'stop', outcome: 'delivered' });
    expect(sent).toHaveLength(1);
    expect(events.find((e) => e.type === 'cool-down')).toMatchObject({ key: 'project:p1', untilMs: Date.now() + 1_500 });
    await s.close();
  });

  it('send() waits until the cool-down ends, to the millisecond; a shorter one does not shorten it', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const sent: number[] = [];
    const s = engine(sent);
    const t0 = Date.now();
    s.coolDownUntil!({ project: 'p1' }, t0 + 2_000);
    s.coolDownUntil!({ project: 'p1' }, t0 + 500);
    const p = s.send({ project: 'p1', token: 't1' });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await p).outcome).toBe('delivered');
    expect(sent).toEqual([t0 + 2_000]);
    await s.close();
  });

  it('a device cool-down holds only that token', async () => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    const sent: number[] = [];
    const s = engine(sent);
    s.coolDownUntil!({ project: 'p1', token: 'hot' }, Date.now() + 1_000);
    const hot = await s.attempt({ project: 'p1', token: 'hot' }, { attempt: 0, startedAt: Date.now() });
    const cold = await s.attempt({ project: 'p1', token: 'cold' }, { attempt: 0, startedAt: Date.now() });
    expect(hot.verdict.code).toBe('PUSHBACK_WAIT');
    expect(cold.decision).toMatchObject({ kind: 'stop', outcome: 'delivered' });
    await s.close();
  });
});
