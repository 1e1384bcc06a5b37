import { describe, expect, it } from 'vitest';
import { createSender } from '../../src/engine/index.js';
import { Semaphore } from '../../src/engine/semaphore.js';
import { classify, fcmOk } from './fixtures.js';

describe('Semaphore', () => {
  it('passes the slot over any number of aborted waiters in a loop (20,000 overflowed the stack when it recursed)', async () => {
    const sem = new Semaphore(1);
    expect(sem.acquire()).toBeNull();
    const ac = new AbortController();
    const aborted = Array.from({ length: 20_000 }, () => sem.acquire(ac.signal)!.then(() => 'granted', () => 'aborted'));
    const live = sem.acquire()!; // one waiter that did not abort, behind all of them
    ac.abort(new Error('shutdown'));
    expect(new Set(await Promise.all(aborted))).toEqual(new Set(['aborted']));
    expect(() => sem.release()).not.toThrow();
    await live; // it got the slot
    expect(sem.inFlight).toBe(1);
    sem.release();
    expect(sem.inFlight).toBe(0);
    expect(sem.available).toBe(true);
  });

  it('engine: 20,000 sends waiting for the only slot under one aborted signal leave the sender usable', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let n = 0;
    const s = createSender<{ id: number }>(
      async () => {
        if (n++ === 0) await gate;
        return fcmOk();
      },
      { provider: 'fcm', target: () => ({ project: 'p' }), classify, limits: { concurrency: 1, project: [], device: [] } },
    );
    const first = s.send({ id: 0 });
    const ac = new AbortController();
    const rest = Array.from({ length: 20_000 }, (_, i) => s.send({ id: i + 1 }, { signal: ac.signal }).then(() => 'sent', () => 'aborted'));
    ac.abort(new Error('shutdown'));
    expect(new Set(await Promise.all(rest))).toEqual(new Set(['aborted']));
    open();
    expect((await first).outcome).toBe('delivered');
    expect((await s.send({ id: -1 })).outcome).toBe('delivered');
    await s.close();
  });
});
