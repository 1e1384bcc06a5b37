import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisDeviceCounterStore } from '../../src/bullmq/device-store.js';
import { connect, removeKeys, uniqueName } from './redis-env.js';
import { maxInSlidingWindow } from '../helpers/sliding-window.js';

const prefix = `${uniqueName('dev')}:`;
let a: Redis;
let b: Redis;
/** Two stores on two connections: two workers sharing the same Redis state. */
let sa: RedisDeviceCounterStore;
let sb: RedisDeviceCounterStore;

beforeAll(() => {
  a = connect();
  b = connect();
  sa = new RedisDeviceCounterStore({ redis: a, prefix });
  sb = new RedisDeviceCounterStore({ redis: b, prefix });
});
afterAll(async () => {
  await removeKeys(a, prefix);
  await Promise.all([a.quit(), b.quit()]);
});

/** A bucket boundary of every window below (T0 * 8 is a multiple of each perMs). */
const T0 = 1_800_000_000_000;
const FCM_DEVICE = [
  { count: 240, perMs: 60_000 },
  { count: 5_000, perMs: 3_600_000 },
];
type Windows = readonly { count: number; perMs: number }[];

let devices = 0;
const fresh = (label: string): string => `${label}-${devices++}`;

/**
 * Drives reservations for one device at `arrivals` (sorted), alternating between the two workers, and
 * checks every answer: a refusal's wait is exact (a peek at at + wait - 1 still refuses, one at at + wait
 * admits). Returns the admitted times.
 */
async function drive(windows: Windows, arrivals: readonly number[], pick: (i: number) => RedisDeviceCounterStore = (i) => (i % 2 ? sb : sa)): Promise<number[]> {
  const key = fresh('drive');
  const sent: number[] = [];
  for (let i = 0; i < arrivals.length; i++) {
    const at = arrivals[i]!;
    const wait = await pick(i).reserve(key, windows, at);
    if (wait === 0) {
      sent.push(at);
      continue;
    }
    expect(wait).toBeGreaterThan(0);
    expect(await pick(i + 1).wait(key, windows, at + wait - 1)).toBeGreaterThan(0);
    expect(await pick(i + 1).wait(key, windows, at + wait)).toBe(0);
  }
  return sent;
}

function expectStrict(windows: Windows, sent: readonly number[]): void {
  for (const w of windows) expect(maxInSlidingWindow(sent, w.perMs)).toBeLessThanOrEqual(w.count);
}

describe('RedisDeviceCounterStore', () => {
  it('allows a burst up to the window count, then says exactly when the next send is allowed', async () => {
    const t = fresh('burst');
    for (let i = 0; i < 240; i++) expect(await sa.reserve(t, FCM_DEVICE, T0 + i)).toBe(0);
    // The burst sits in bucket 0 (7.5 s long): it leaves the reach only when bucket 9 starts.
    expect(await sa.reserve(t, FCM_DEVICE, T0 + 500)).toBe(9 * 7_500 - 500);
    expect(await sb.wait(t, FCM_DEVICE, T0 + 500)).toBe(9 * 7_500 - 500);
    // Another device is independent.
    expect(await sb.reserve(fresh('other'), FCM_DEVICE, T0 + 500)).toBe(0);
    expect(await sb.reserve(t, FCM_DEVICE, T0 + 9 * 7_500 - 1)).toBe(1);
    expect(await sb.reserve(t, FCM_DEVICE, T0 + 9 * 7_500)).toBe(0);
  });

  it('a fixed window or a token bucket would let up to 2× through; this store never does', async () => {
    // 5 per second, sends just before and just after a window boundary, then steady demand: a token bucket
    // of 5 per second admits the burst and then one every 200 ms (9 in [990, 1990]).
    const w = [{ count: 5, perMs: 1000 }];
    const at = [0, 990, 991, 992, 993, 994, 1000, 1001, 1002, 1003, 1004, 1005, 1200, 1400, 1500, 1600, 1800, 1990, 2200];
    const sent = await drive(
      w,
      at.map((x) => T0 + x),
    );
    expectStrict(w, sent);
    expect(sent.length).toBeGreaterThanOrEqual(5);
  });

  it('wait() reserves nothing', async () => {
    const w = [{ count: 1, perMs: 1000 }];
    const key = fresh('peek');
    for (let i = 0; i < 5; i++) expect(await sa.wait(key, w, T0)).toBe(0);
    expect(await a.exists(sa.keyOf(key))).toBe(0);
    expect(await sb.reserve(key, w, T0)).toBe(0);
    const before = await a.getBuffer(sa.keyOf(key));
    for (let i = 0; i < 5; i++) expect(await sa.wait(key, w, T0 + 1)).toBe(9 * 125 - 1);
    expect(await a.getBuffer(sa.keyOf(key))).toEqual(before);
    expect(await sa.reserve(key, w, T0 + 1)).toBe(9 * 125 - 1); // the same answer as the peek
  });

  it('applies every window: the longer one binds once the shorter one refills', async () => {
    const windows = [
      { count: 3, perMs: 1_000 },
      { count: 4, perMs: 60_000 },
    ];
    const t = fresh('two');
    for (let i = 0; i < 3; i++) expect(await sa.reserve(t, windows, T0)).toBe(0);
    expect(await sb.reserve(t, windows, T0)).toBe(9 * 125); // bucket 9 of 125 ms
    expect(await sb.reserve(t, windows, T0 + 9 * 125)).toBe(0); // 4th of the minute, still in its bucket 0
    // 5th: the per-minute window holds 4 in its bucket 0 (7.5 s), which leaves the reach at bucket 9.
    expect(await sa.reserve(t, windows, T0 + 2_000)).toBe(9 * 7_500 - 2_000);
    expect(await sa.wait(t, windows, T0 + 9 * 7_500)).toBe(0);
  });

  it('is atomic across clients: concurrent reservations never exceed the limit', async () => {
    const windows = [{ count: 100, perMs: 60_000 }];
    const t = fresh('race');
    const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => (i % 2 ? sa : sb).reserve(t, windows, T0)));
    expect(results.filter((r) => r === 0)).toHaveLength(100);
    expect(results.filter((r) => r > 0).every((r) => r === 9 * 7_500)).toBe(true);
  });

  it('property: never more than `count` in any sliding window, and every wait is exact (seeded random arrivals, two workers)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        async (count, perMs, arrivals, offset, workers) => {
          const w = [{ count, perMs }];
          const at = arrivals.sort((x, y) => x - y).map((x) => T0 + offset + x);
          const sent = await drive(w, at, (i) => (workers[i % workers.length] ? sb : sa));
          expectStrict(w, sent);
          expect(sent.length).toBeGreaterThanOrEqual(Math.min(count, arrivals.length));
        },
      ),
      { numRuns: 150, seed: 20_260_101, endOnFailure: true },
    );
  });

  it('property: two windows at once, including FCM-like ones, never exceed either', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 50, max: 2_000 }),
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 250 }),
        fc.integer({ min: 0, max: 100_000 }),
        async (count, perMs, times, arrivals, offset) => {
          const w = [
            { count, perMs },
            { count: count * times - 1, perMs: perMs * times * 3 },
          ];
          const sent = await drive(
            w,
            arrivals.sort((x, y) => x - y).map((x) => T0 + offset + x),
          );
          expectStrict(w, sent);
        },
      ),
      { numRuns: 60, seed: 7, endOnFailure: true },
    );
  });

  it('adversarial: a burst at the end of a window, then steady demand, from two workers', async () => {
    for (const w of [
      [{ count: 5, perMs: 1_000 }],
      [{ count: 7, perMs: 333 }],
      [{ count: 240, perMs: 60_000 }],
    ]) {
      const { count, perMs } = w[0]!;
      const at: number[] = [];
      // The burst in the last ms of a window (and of its last bucket), then one request every perMs/(2*count).
      for (let i = 0; i < count; i++) at.push(T0 + perMs - 1);
      const step = Math.max(1, Math.floor(perMs / (2 * count)));
      for (let t = T0 + perMs; t < T0 + 6 * perMs; t += step) at.push(t);
      const sent = await drive(w, at);
      expectStrict(w, sent);
      // The burst holds its bucket's reach; after it, steady demand gets at least K/(K+1) of the rate.
      expect(sent.length).toBeGreaterThanOrEqual(count + Math.floor((count * 3 * 8) / 9));
    }
  });

  it("enforces FCM's two windows (240 per minute, 5,000 per hour) over two hours of demand every 500 ms", async () => {
    const at: number[] = [];
    for (let i = 0; i < 240; i++) at.push(T0 + 59_999); // a burst at the end of a minute
    for (let t = T0 + 60_000; t < T0 + 2 * 3_600_000 + 60_000; t += 500) at.push(t);
    const sent = await drive(FCM_DEVICE, at);
    expectStrict(FCM_DEVICE, sent);
    expect(sent.length).toBeGreaterThan(5_000); // the second hour sends again
    expect(maxInSlidingWindow(sent, 3_600_000)).toBeGreaterThan(4_000); // the hourly window binds, and is used
  });

  it('a worker whose clock lags a little counts in the latest bucket (stricter); far behind or new windows start over', async () => {
    const w = [{ count: 2, perMs: 8_000 }]; // buckets of 1 s
    const t = fresh('skew');
    expect(await sa.reserve(t, w, T0 + 5_000)).toBe(0);
    expect(await sb.reserve(t, w, T0 + 3_500)).toBe(0); // 1.5 s behind: counted in bucket 5
    // Full: bucket 5's sends leave the reach at bucket 14, whatever the clock of the asker.
    expect(await sa.reserve(t, w, T0 + 5_000)).toBe(9_000);
    expect(await sb.reserve(t, w, T0 + 3_500)).toBe(10_500);
    expect(await sb.reserve(t, w, T0 + 14_000)).toBe(0);
    // More than a whole window behind the latest bucket: a clock jump or other windows; start over.
    expect(await sb.reserve(t, w, T0 - 20_000)).toBe(0);
    // Windows with another layout (count > 65535 takes 4-byte counts): the old state is dropped.
    expect(await sa.reserve(t, [{ count: 70_000, perMs: 8_000 }], T0 - 20_000)).toBe(0);
    expect(await a.strlen(sa.keyOf(t))).toBe(4 + 9 * 4);
  });

  it('counts above 65535 per window', async () => {
    const w = [{ count: 65_537, perMs: 60_000 }];
    const t = fresh('wide');
    const results = await Promise.all(Array.from({ length: 65_538 }, (_, i) => (i % 2 ? sa : sb).reserve(t, w, T0 + 1)));
    expect(results.filter((r) => r === 0)).toHaveLength(65_537);
    expect(await sa.wait(t, w, T0 + 1)).toBe(9 * 7_500 - 1);
  });

  it('hashes the key (no raw token in Redis) and expires it when every bucket in reach has passed', async () => {
    const token = 'dGhpcyBpcyBhIHZlcnkgbG9uZyBGQ00gdG9rZW4'.repeat(4);
    const now = Date.now();
    expect(await sa.reserve(token, [{ count: 10, perMs: 5_000 }], now)).toBe(0);
    const key = sa.keyOf(token);
    expect(key.startsWith(`${prefix}dev:`)).toBe(true);
    expect(key).not.toContain(token.slice(0, 20));
    expect(key.length).toBe(prefix.length + 4 + 22);
    const [, keys] = await a.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    expect(keys.some((k) => k.includes(token.slice(0, 20)))).toBe(false);
    // Buckets of 625 ms: the send's bucket leaves the reach when the 9th bucket after it starts.
    const end = Math.ceil(((Math.floor((now * 8) / 5_000) + 9) * 5_000) / 8);
    const pttl = await a.pttl(key);
    expect(pttl).toBeLessThanOrEqual(end - now);
    expect(pttl).toBeGreaterThan(end - Date.now() - 5);
    // Two windows: the longer one sets the lifetime.
    const two = [
      { count: 3, perMs: 800 },
      { count: 5, perMs: 4_000 },
    ];
    await sb.reserve(token, two, now);
    const end2 = Math.ceil(((Math.floor((now * 8) / 4_000) + 9) * 4_000) / 8);
    expect(await b.pttl(key)).toBeLessThanOrEqual(end2 - now);
    expect(await b.pttl(key)).toBeGreaterThan(end2 - Date.now() - 5);
  });

  it('idle devices cost nothing: the key is gone once the window has passed (real time)', async () => {
    const w = [{ count: 2, perMs: 200 }];
    const key = fresh('idle');
    let now = Date.now();
    expect(await sa.reserve(key, w, now)).toBe(0);
    expect(await sb.reserve(key, w, now)).toBe(0);
    expect(await sa.reserve(key, w, Date.now())).toBeGreaterThan(0);
    expect(await a.exists(sa.keyOf(key))).toBe(1);
    await new Promise((r) => setTimeout(r, 260)); // 9 buckets of 25 ms at most, plus slack
    expect(await a.exists(sa.keyOf(key))).toBe(0);
    now = Date.now();
    expect(await sb.reserve(key, w, now)).toBe(0);
  });

  it("memory per device key with FCM's two windows (MEMORY USAGE)", async () => {
    // A prefix as long as the default `pushback:` so the figure is the one a deployment sees.
    const own = `pb${uniqueName('m').slice(-6)}:`;
    expect(own.length).toBe('pushback:'.length);
    const store = new RedisDeviceCounterStore({ redis: a, prefix: own });
    const now = Date.now();
    let total = 0;
    const n = 50;
    for (let i = 0; i < n; i++) {
      const token = `bench-device-token-${'x'.repeat(140)}-${i}`;
      for (let j = 0; j <= i; j++) await store.reserve(token, FCM_DEVICE, now + j * 100);
      expect(await a.strlen(store.keyOf(token))).toBe(44); // 2 × (4-byte bucket number + 9 × 2-byte counts)
      total += Number(await a.memory('USAGE', store.keyOf(token)));
    }
    // 136 bytes with redis-server 7.0.15 (jemalloc): the 44-byte value is stored inline (embstr).
    expect(total / n).toBeLessThanOrEqual(150);
    await removeKeys(a, own);
  });

  it('counts tracked devices and rejects nonsense windows', async () => {
    const own = `${uniqueName('devsize')}:`;
    const store = new RedisDeviceCounterStore({ redis: a, prefix: own });
    for (let i = 0; i < 25; i++) await store.reserve(`t${i}`, [{ count: 1, perMs: 60_000 }], Date.now());
    expect(await store.size()).toBe(25);
    await expect(store.reserve('x', [{ count: 0, perMs: 1000 }], T0)).rejects.toThrow(/invalid rate window/);
    await expect(store.wait('x', [{ count: 1, perMs: 0 }], T0)).rejects.toThrow(/invalid rate window/);
    expect(await store.reserve('x', [], T0)).toBe(0);
    expect(await store.wait('x', [], T0)).toBe(0);
    await removeKeys(a, own);
  });
});
