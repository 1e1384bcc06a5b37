import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission } from '../../src/engine/admission.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('Admission (batched bottleneck jobs)', () => {
  it('coalesces messages that arrive together into one weighted job', async () => {
    const schedule = vi.spyOn(Bottleneck.prototype, 'schedule');
    const a = new Admission('t', [{ count: 1_000_000, perMs: 60_000 }]);
    await Promise.all(Array.from({ length: 5000 }, () => a.admit('project-1')));
    expect(schedule).toHaveBeenCalledTimes(1);
    expect(schedule.mock.calls[0]![0]).toMatchObject({ weight: 5000 });
    await a.close();
  });

  it('splits a batch that exceeds a window so no job can outweigh its reservoir', async () => {
    const schedule = vi.spyOn(Bottleneck.prototype, 'schedule');
    const a = new Admission('t', [{ count: 300, perMs: 60_000 }]);
    const admitted: number[] = [];
    const all = Array.from({ length: 500 }, (_, i) => a.admit('p')!.then(() => admitted.push(i)));
    await new Promise((r) => setTimeout(r, 200));
    expect(admitted).toHaveLength(300); // the reservoir holds 300 per minute
    expect(schedule.mock.calls.every((c) => ((c[0] as { weight: number }).weight ?? 0) <= 300)).toBe(true);
    await a.close();
    void all;
  });

  it('keys are independent; no windows means no limiter', async () => {
    const a = new Admission('t', [{ count: 10, perMs: 60_000 }]);
    await Promise.all(Array.from({ length: 10 }, () => a.admit('x')));
    let other = false;
    await a.admit('y')!.then(() => (other = true));
    expect(other).toBe(true);
    await a.close();
    expect(new Admission('none', []).admit('x')).toBeNull();
  });

  it('an aborted waiter rejects with the reason', async () => {
    const a = new Admission('t', [{ count: 1, perMs: 60_000 }]);
    await a.admit('p');
    const ac = new AbortController();
    const p = a.admit('p', ac.signal)!;
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await a.close();
  });
});
