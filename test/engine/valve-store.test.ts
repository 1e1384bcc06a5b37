import { describe, expect, it } from 'vitest';
import { MemoryValveStore } from '../../src/engine/valve-store.js';

const T0 = 1_800_000_000_000; // a multiple of the bucket width (60 s / 12 = 5 s)
const WINDOW = 60_000;

describe('MemoryValveStore', () => {
  it('counts a sliding window of 12 buckets, and its recent part (this bucket and the one before)', () => {
    const store = new MemoryValveStore();
    for (let i = 0; i < 12; i++) store.record('k', true, T0 + i * 5_000, WINDOW);
    expect(store.record('k', false, T0 + 59_999, WINDOW)).toEqual({ sends: 13, drops: 12, recent: { sends: 3, drops: 2 } });
    // At T0+60000 the first bucket has left the window; the recent part is buckets 11 and 12.
    expect(store.record('k', false, T0 + 60_000, WINDOW)).toEqual({ sends: 13, drops: 11, recent: { sends: 3, drops: 1 } });
    expect(store.record('k', false, T0 + 200_000, WINDOW)).toEqual({ sends: 1, drops: 0, recent: { sends: 1, drops: 0 } });
    expect(store.record('other', true, T0, WINDOW)).toEqual({ sends: 1, drops: 1, recent: { sends: 1, drops: 1 } });
  });

  it('keeps suspension per key', () => {
    const store = new MemoryValveStore();
    expect(store.isSuspended('k')).toBe(false);
    store.setSuspended('k', true);
    expect(store.isSuspended('k')).toBe(true);
    expect(store.isSuspended('other')).toBe(false);
  });
});
