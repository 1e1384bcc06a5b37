import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryDeviceCounterStore } from '../../src/engine/device-store.js';
import { fcmToken } from './fixtures.js';
import { maxInSlidingWindow } from '../helpers/sliding-window.js';

const T0 = 1_767_268_800_000;
const FCM_DEVICE = [
  { count: 240, perMs: 60_000 },
  { count: 5000, perMs: 3_600_000 },
];

describe('MemoryDeviceCounterStore', () => {
  it('allows a burst up to the window count, then says how long to wait', () => {
    const s = new MemoryDeviceCounterStore();
    const t = fcmToken(1);
    for (let i = 0; i < 240; i++) expect(s.reserve(t, FCM_DEVICE, T0 + i)).toBe(0);
    // The burst sits in bucket 0 (7.5 s long): it leaves the reach only when bucket 9 starts.
    expect(s.reserve(t, FCM_DEVICE, T0 + 500)).toBe(9 * 7_500 - 500);
    expect(s.wait(t, FCM_DEVICE, T0 + 500)).toBe(9 * 7_500 - 500);
    // Another device is independent.
    expect(s.reserve(fcmToken(2), FCM_DEVICE, T0 + 500)).toBe(0);
    expect(s.reserve(t, FCM_DEVICE, T0 + 9 * 7_500 - 1)).toBe(1);
    expect(s.reserve(t, FCM_DEVICE, T0 + 9 * 7_500)).toBe(0);
  });

  it('a fixed window would let 2× through across its boundary; this store never does', () => {
    // The demo's measurement: 5 per second, sends just before and just after a window boundary.
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 5, perMs: 1000 }];
    const sent: number[] = [];
    for (const at of [0, 990, 991, 992, 993, 994, 1000, 1001, 1002, 1003, 1004, 1005, 1500, 1990]) {
      if (s.reserve('hot', w, T0 + at) === 0) sent.push(at);
    }
    expect(maxInSlidingWindow(sent, 1000)).toBeLessThanOrEqual(5);
    expect(sent.length).toBeGreaterThanOrEqual(5);
  });

  it('wait() reserves nothing', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 1, perMs: 1000 }];
    for (let i = 0; i < 5; i++) expect(s.wait('x', w, T0)).toBe(0);
    expect(s.size()).toBe(0);
    expect(s.reserve('x', w, T0)).toBe(0);
    expect(s.wait('x', w, T0 + 1)).toBeGreaterThan(0);
  });

  it('property: never more than `count` in any sliding window, whatever the arrivals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 10_000 }),
        (count, perMs, arrivals, offset) => {
          const s = new MemoryDeviceCounterStore();
          s.reserve('warm-up', [{ count, perMs }], T0); // the epoch
          const w = [{ count, perMs }];
          const sent: number[] = [];
          for (const at of arrivals.sort((a, b) => a - b)) if (s.reserve('d', w, T0 + offset + at) === 0) sent.push(at);
          expect(maxInSlidingWindow(sent, perMs)).toBeLessThanOrEqual(count);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('waiting exactly what it says always admits, and steady demand gets at least K/(K+1) of the rate', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 240, perMs: 60_000 }];
    let now = T0;
    const sent: number[] = [];
    while (now < T0 + 10 * 60_000) {
      const wait = s.reserve('d', w, now);
      if (wait === 0) sent.push(now);
      else expect(s.reserve('d', w, now + wait)).toBe(0), sent.push(now + wait);
      now = sent[sent.length - 1]! + 1;
    }
    expect(maxInSlidingWindow(sent, 60_000)).toBeLessThanOrEqual(240);
    expect(sent.length).toBeGreaterThanOrEqual(Math.floor((240 * 10 * 8) / 9));
  });

  it('enforces the longer window too (5,000 per hour)', () => {
    const s = new MemoryDeviceCounterStore();
    const t = fcmToken(3);
    const sent: number[] = [];
    for (let second = 0; second < 2 * 3600; second++) {
      const at = T0 + second * 1000;
      if (s.reserve(t, FCM_DEVICE, at) === 0) sent.push(at);
    }
    expect(maxInSlidingWindow(sent, 3_600_000)).toBeLessThanOrEqual(5000);
    expect(maxInSlidingWindow(sent, 60_000)).toBeLessThanOrEqual(240);
    expect(sent.length).toBeGreaterThan(5000); // the second hour sends again
  });

  it('keeps counts above 65,535 exact (4-byte counts when a window allows that many)', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 70_000, perMs: 60_000 }];
    for (let i = 0; i < 70_000; i++) expect(s.reserve('busy', w, T0)).toBe(0);
    expect(s.reserve('busy', w, T0)).toBeGreaterThan(0);
    expect(s.reserve('other', w, T0)).toBe(0);
  });

  it('a device keeps its count while the table grows around it', () => {
    const s = new MemoryDeviceCounterStore();
    const hot = fcmToken(0);
    for (let i = 0; i < 240; i++) expect(s.reserve(hot, FCM_DEVICE, T0)).toBe(0);
    const before = s.bytes;
    for (let i = 1; i <= 20_000; i++) expect(s.reserve(fcmToken(i), FCM_DEVICE, T0 + 1)).toBe(0);
    expect(s.bytes).toBeGreaterThan(before); // the table was rebuilt, larger
    expect(s.reserve(hot, FCM_DEVICE, T0 + 2)).toBe(9 * 7_500 - 2);
    // And every other device has exactly its one send: 239 more pass, the 240th more waits.
    const probe = fcmToken(12_345);
    for (let i = 0; i < 239; i++) expect(s.reserve(probe, FCM_DEVICE, T0 + 3)).toBe(0);
    expect(s.reserve(probe, FCM_DEVICE, T0 + 3)).toBeGreaterThan(0);
  });

  it('grows a few slots per call: devices not moved yet keep their counts, and the old table is let go', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 3, perMs: 60_000 }];
    const exactly = (n: number) => [{ count: n, perMs: 60_000 }];
    s.reserve('dev-0', w, T0); // sets the layout
    let n = 1;
    let before = s.bytes;
    // Until a growth starts: the new table (twice the size) and the old one are both held.
    while (s.bytes <= 2 * before) {
      before = s.bytes;
      expect(s.reserve(`dev-${n++}`, w, T0)).toBe(0);
    }
    const peak = s.bytes;
    expect(peak).toBe(3 * before);
    // Newest first, so the first lookups find devices the move has not reached: each holds exactly 1.
    let foundWhileMoving = 0;
    for (let d = n - 1; d >= 0; d--) {
      if (s.bytes === peak) foundWhileMoving++;
      expect(s.wait(`dev-${d}`, exactly(1), T0)).toBeGreaterThan(0);
      expect(s.wait(`dev-${d}`, exactly(2), T0)).toBe(0);
      expect(s.reserve(`dev-${d}`, w, T0)).toBe(0); // its second send, counted in the new table
    }
    expect(foundWhileMoving).toBeGreaterThan(10);
    expect(s.bytes).toBe(2 * before); // the move is done: only the new table is held
    expect(s.size()).toBe(n);
    // Every device: one more send passes, the next one waits.
    for (let d = 0; d < n; d++) {
      expect(s.reserve(`dev-${d}`, w, T0)).toBe(0);
      expect(s.reserve(`dev-${d}`, w, T0)).toBeGreaterThan(0);
    }
  });

  it('a table that shrinks moves its devices within capacity/32 calls, before the new table fills', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 3, perMs: 1_000 }];
    const exactly = (n: number) => [{ count: n, perMs: 1_000 }];
    s.reserve('first', w, T0);
    const slotBytes = s.bytes / 1024; // the smallest table has 1,024 slots
    for (let i = 0; i < 30_000; i++) s.reserve(`old-${i}`, w, T0);
    // Two seconds later all of them are idle; new devices arrive one per call until the table has
    // swept, shrunk, and let go of the old one.
    let shrunkAt = -1;
    let small = 0;
    let d = 0;
    for (; d < 200_000; d++) {
      const before = s.bytes;
      expect(s.reserve(`new-${d}`, w, T0 + 2_000)).toBe(0);
      if (shrunkAt < 0 && s.bytes > before) {
        small = s.bytes - before; // the new table, held beside the old one while devices move
        expect(small).toBeLessThan(before);
        shrunkAt = d;
      } else if (shrunkAt >= 0 && s.bytes === small) break;
    }
    expect(shrunkAt).toBeGreaterThan(0);
    expect(s.bytes).toBe(small);
    expect(d - shrunkAt).toBeLessThanOrEqual(small / slotBytes / 32 + 1);
    for (let k = 0; k <= d; k++) expect(s.wait(`new-${k}`, exactly(1), T0 + 2_000)).toBeGreaterThan(0);
  });

  it('sweeps a few slots per call, never the whole table in one call', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 3, perMs: 1_000 }];
    s.reserve('first', w, T0); // sets the layout
    const bytes = s.bytes;
    const capacity = 1024; // the smallest table
    // Just under the load at which a sweep starts (0.48 of the slots).
    let n = 1;
    while ((s.size() + 1) * 25 < capacity * 12) s.reserve(`old-${n++}`, w, T0);
    expect(s.bytes).toBe(bytes);
    // Two seconds later all of them are idle. New devices arrive one per call.
    let maxDrop = 0;
    let calls = 0;
    for (let d = 0; s.size() > 100 + d; d++) {
      const before = s.size();
      expect(s.reserve(`new-${d}`, w, T0 + 2_000)).toBe(0);
      maxDrop = Math.max(maxDrop, before + 1 - s.size());
      calls++;
    }
    expect(s.bytes).toBe(bytes); // swept in place, not grown
    expect(n).toBeGreaterThan(400);
    // Slot by slot: about capacity/64 calls, each evicting the idle devices of a few dozen slots.
    expect(calls).toBeGreaterThan(10);
    expect(maxDrop).toBeLessThan(n / 4);
  });

  it('keeps three windows per device apart, device from device', () => {
    const s = new MemoryDeviceCounterStore();
    const w = [
      { count: 3, perMs: 1_000 },
      { count: 5, perMs: 10_000 },
      { count: 7, perMs: 100_000 },
    ];
    const n = 3_000;
    // Device d wants d % 10 sends. It sends at T0 until refused, again 2 s later and 4 s later (the 1 s
    // window has passed each time, the 10 s window has not): the 1 s window caps each step at 3, the
    // 10 s window the total at 5.
    const sent = new Array<number>(n).fill(0);
    const perStep: number[][] = Array.from({ length: n }, () => []);
    for (let step = 0; step < 3; step++) {
      for (let d = 0; d < n; d++) {
        let now = 0;
        while (sent[d]! < d % 10 && s.reserve(`dev-${d}`, w, T0 + step * 2_000) === 0) {
          sent[d]!++;
          now++;
        }
        perStep[d]!.push(now);
      }
    }
    for (let d = 0; d < n; d++) {
      const wanted = d % 10;
      expect(sent[d]).toBe(Math.min(wanted, 5));
      expect(perStep[d]![0]).toBe(Math.min(wanted, 3));
    }
  });

  it('sweeps idle devices out in place under steady traffic: every live device keeps its exact count', () => {
    // 1 s window (buckets of 125 ms, a send is in reach for 1,125 ms). Every 400 ms, 300 new devices send
    // 1 to 3 times; older devices go idle. The table sweeps many times (in place, clusters wrapping
    // around its end included) and stops growing.
    const s = new MemoryDeviceCounterStore();
    const w = [{ count: 3, perMs: 1_000 }];
    const exactly = (n: number) => [{ count: n, perMs: 1_000 }];
    const sends = (d: number) => 1 + ((d * 7) % 3);
    const perStep = 300;
    let bytesAfterWarmUp = 0;
    for (let step = 0; step < 60; step++) {
      const now = T0 + step * 400;
      for (let d = step * perStep; d < (step + 1) * perStep; d++) {
        for (let k = 0; k < sends(d); k++) expect(s.reserve(`dev-${d}`, w, now)).toBe(0);
      }
      // This step's devices and the previous step's are in reach: each holds exactly its sends.
      for (let d = Math.max(0, step - 1) * perStep; d < (step + 1) * perStep; d++) {
        expect(s.wait(`dev-${d}`, exactly(sends(d)), now)).toBeGreaterThan(0);
        expect(s.wait(`dev-${d}`, exactly(sends(d) + 1), now)).toBe(0);
      }
      // Three steps back the sends are out of reach.
      if (step >= 3) expect(s.wait(`dev-${(step - 3) * perStep}`, exactly(1), now)).toBe(0);
      if (step === 10) bytesAfterWarmUp = s.bytes;
    }
    expect(bytesAfterWarmUp).toBeGreaterThan(0);
    expect(s.bytes).toBe(bytesAfterWarmUp); // steady traffic: swept in place, never grown
    expect(s.size()).toBeLessThanOrEqual(4 * perStep * 2);
  });

  it('expectedDevices: starts at the size it would grow to, so it never grows (or shrinks) for them', () => {
    const n = 20_000;
    const sized = new MemoryDeviceCounterStore({ expectedDevices: n });
    const grown = new MemoryDeviceCounterStore();
    sized.reserve(fcmToken(0), FCM_DEVICE, T0); // the layout is set by the first windows seen
    const start = sized.bytes;
    for (let i = 0; i < n; i++) {
      expect(sized.reserve(fcmToken(i + 1), FCM_DEVICE, T0)).toBe(0);
      grown.reserve(fcmToken(i + 1), FCM_DEVICE, T0);
      expect(sized.bytes).toBe(start);
    }
    expect(sized.bytes).toBe(grown.bytes); // the size growing reaches, not more
    // Two hours later every device is idle: sweeps keep the size, never below it.
    for (let i = 0; i < n; i++) sized.reserve(`later-${i}`, FCM_DEVICE, T0 + 7_200_000);
    expect(sized.bytes).toBe(start);
    expect(() => new MemoryDeviceCounterStore({ expectedDevices: -1 })).toThrow(RangeError);
    expect(() => new MemoryDeviceCounterStore({ expectedDevices: 1.5 })).toThrow(RangeError);
  });

  it('tracks many devices in bounded memory and evicts idle ones', () => {
    const s = new MemoryDeviceCounterStore();
    const n = 50_000;
    for (let i = 0; i < n; i++) s.reserve(fcmToken(i), FCM_DEVICE, T0);
    expect(s.size()).toBe(n);
    expect(s.bytes / n).toBeLessThan(200);
    // Each device still has its own count.
    for (let i = 0; i < 100; i++) expect(s.reserve(fcmToken(i), [{ count: 2, perMs: 60_000 }, { count: 5000, perMs: 3_600_000 }], T0)).toBe(0);
    // Two hours later the old devices are idle: new traffic evicts them when the table is swept.
    const later = T0 + 2 * 3_600_000 + 1;
    for (let i = 0; i < n; i++) s.reserve(`new-${i}`, FCM_DEVICE, later);
    expect(s.size()).toBeLessThanOrEqual(n);
    expect(s.size()).toBeGreaterThan(0);
  });

  it('answers exactly as a plain per-device model, through growth, sweeps, moves and shrinking', () => {
    // The model: per device and window, a count per bucket number in a Map (no table, nothing evicted),
    // with the semantics stated in the store's docs: a send is admitted while the buckets no-K .. no hold
    // fewer than `count`; the wait runs to the first bucket whose reach holds fewer. Idle devices the
    // store evicts answer as new ones, so every answer must be equal.
    const K = 8;
    const windows = [
      { count: 3, perMs: 1_000 },
      { count: 5, perMs: 4_000 },
    ];
    class Model {
      private epoch = Number.NaN;
      private readonly devices = new Map<string, Map<number, number>[]>();
      check(key: string, now: number, take: boolean): number {
        if (Number.isNaN(this.epoch)) this.epoch = now;
        const per = this.devices.get(key) ?? windows.map(() => new Map<number, number>());
        const nos = windows.map((w) => Math.max(0, Math.floor(((now - this.epoch) * K) / w.perMs)));
        let wait = 0;
        windows.forEach((w, i) => {
          const no = nos[i]!;
          const at = (b: number) => per[i]!.get(b) ?? 0;
          let sum = 0;
          for (let b = no - K; b <= no; b++) sum += at(b);
          if (sum < w.count) return;
          let m = 1;
          for (let b = no - K; sum >= w.count && b <= no; b++, m++) sum -= at(b);
          wait = Math.max(wait, this.epoch + Math.ceil(((no + m - 1) * w.perMs) / K) - now);
        });
        if (wait > 0 || !take) return wait;
        windows.forEach((_, i) => per[i]!.set(nos[i]!, (per[i]!.get(nos[i]!) ?? 0) + 1));
        this.devices.set(key, per);
        return 0;
      }
    }
    // Steps: a burst of new devices (grows the table), sends to devices seen before (a hot set and a wide
    // set, so some devices reach their limits), waits, and pauses long enough for devices to go idle
    // (sweeps, shrinking).
    const step = fc.oneof(
      fc.record({ kind: fc.constant('burst' as const), n: fc.integer({ min: 1, max: 2_500 }) }),
      fc.record({ kind: fc.constant('send' as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 400 }), hot: fc.boolean(), take: fc.boolean() }),
      fc.record({ kind: fc.constant('pause' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1_000, max: 12_000 })) }),
    );
    // Runs whose table grew, and whose table got smaller (a move ended, or a shrink): both must occur.
    let grew = 0;
    let shrank = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 40 }), (steps) => {
        const store = new MemoryDeviceCounterStore();
        const model = new Model();
        let now = T0;
        let seen = 0;
        const both = (key: string, take: boolean) => {
          const expected = model.check(key, now, take);
          const got = take ? store.reserve(key, windows, now) : store.wait(key, windows, now);
          if (got !== expected) throw new Error(`${take ? 'reserve' : 'wait'}(${key}) at +${now - T0} ms: store ${got}, model ${expected}`);
        };
        let bytes: number | undefined; // once the first device has set the layout
        let up = false;
        let down = false;
        for (const st of steps) {
          if (st.kind === 'pause') now += st.ms;
          else if (st.kind === 'burst') for (let i = 0; i < st.n; i++) both(`dev-${seen++}`, true);
          else if (seen > 0) {
            for (let i = 0; i < st.n; i++) {
              const d = st.hot ? (st.pick + (i % 7)) % seen : (st.pick + i * 7919) % seen;
              both(`dev-${d}`, st.take || i % 3 !== 0);
            }
          }
          if (bytes !== undefined && store.bytes > bytes) up = true;
          if (bytes !== undefined && store.bytes < bytes) down = true;
          if (seen > 0) bytes = store.bytes;
        }
        if (up) grew++;
        if (down) shrank++;
      }),
      { numRuns: 60 },
    );
    expect(grew).toBeGreaterThan(5);
    expect(shrank).toBeGreaterThan(5);
  });
});
