import { describe, expect, it } from 'vitest';
import { SlotRing } from '../../src/transport/slot-ring.js';

interface S {
  id: number;
  alive: boolean;
  probing: boolean;
  warming?: Promise<void> | undefined;
}

function ring(size: number) {
  const opened: number[] = [];
  let ids = 0;
  const r = new SlotRing<S>(
    size,
    (s): s is S => s !== undefined && s.alive,
    (i) => {
      opened.push(i);
      const s: S = { id: ids++, alive: true, probing: false };
      r.slots[i] = s;
      return s;
    },
  );
  return { r, opened };
}

describe('SlotRing', () => {
  it('opens every empty slot before reusing one, then goes round', async () => {
    const { r, opened } = ring(3);
    expect(r.pick()).toBeUndefined();
    const first = [await r.acquire(), await r.acquire(), await r.acquire()];
    expect(opened).toEqual([0, 1, 2]);
    expect(first.map((s) => s.id)).toEqual([0, 1, 2]);
    expect([r.pick()!.id, r.pick()!.id, r.pick()!.id, r.pick()!.id]).toEqual([0, 1, 2, 0]);
  });

  it('reopens a dead slot instead of picking a live one', async () => {
    const { r, opened } = ring(2);
    await r.acquire();
    await r.acquire();
    r.slots[1]!.alive = false;
    expect(r.pick()).toBeUndefined();
    await r.acquire();
    expect(opened).toEqual([0, 1, 1]);
  });

  it('skips warming and probed connections; takes a probed one only when no other is warm', async () => {
    const { r } = ring(2);
    await r.acquire();
    await r.acquire();
    r.slots[0]!.probing = true;
    expect(r.pick()!.id).toBe(1);
    expect(r.pick()!.id).toBe(1);
    let warmed!: () => void;
    r.slots[1]!.warming = new Promise<void>((res) => (warmed = res));
    expect(r.pick()).toBeUndefined();
    expect((await r.acquire()).id).toBe(0); // the probed one: nothing warm
    r.slots[0]!.probing = false;
    r.slots[0]!.warming = new Promise<void>(() => {}); // never warms
    let got: S | undefined;
    const waiting = r.acquire().then((s) => (got = s));
    await Promise.resolve();
    expect(got).toBeUndefined(); // both warming: it waits
    r.slots[1]!.warming = undefined;
    warmed();
    await waiting;
    expect(got!.id).toBe(1);
  });
});
