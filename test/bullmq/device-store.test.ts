import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisDeviceCounterStore } from '../../src/bullmq/device-store.js';
import { connect, removeKeys, uniqueName } from './redis-env.js';

const prefix = `${uniqueName('dev')}:`;
let a: Redis;
let b: Redis;

beforeAll(() => {
  a = connect();
  b = connect();
});
afterAll(async () => {
  await removeKeys(a, prefix);
  await Promise.all([a.quit(), b.quit()]);
});

const T0 = 1_800_000_000_000;
const FCM_DEVICE = [
  { count: 240, perMs: 60_000 },
  { count: 5_000, perMs: 3_600_000 },
];

describe('RedisDeviceCounterStore', () => {
  it('allows a burst of `count`, then says exactly when the next send is allowed', async () => {
    const store = new RedisDeviceCounterStore({ redis: a, prefix });
    for (let i = 0; i < 240; i++) expect(await store.reserve('tok-burst', FCM_DEVICE, T0)).toBe(0);
    // GCRA: one send per 60000/240 = 250 ms after the burst.
    expect(await store.reserve('tok-burst', FCM_DEVICE, T0)).toBe(250);
    expect(await store.reserve('tok-burst', FCM_DEVICE, T0 + 249)).toBe(1);
    expect(await store.reserve('tok-burst', FCM_DEVICE, T0 + 250)).toBe(0);
    expect(await store.reserve('tok-burst', FCM_DEVICE, T0 + 250)).toBe(250);
  });

  it('applies every window: the hourly one binds once the per-minute one refills', async () => {
    const store = new RedisDeviceCounterStore({ redis: a, prefix });
    const windows = [
      { count: 3, perMs: 1_000 },
      { count: 4, perMs: 60_000 },
    ];
    for (let i = 0; i < 3; i++) expect(await store.reserve('tok-two', windows, T0)).toBe(0);
    expect(await store.reserve('tok-two', windows, T0)).toBe(334); // 1000/3 rounded up
    expect(await store.reserve('tok-two', windows, T0 + 1_000)).toBe(0); // 4th of the minute
    // 5th: the per-minute bucket (15 s per send) holds it until T0 + 15000.
    expect(await store.reserve('tok-two', windows, T0 + 2_000)).toBe(13_000);
  });

  it('is atomic across clients: concurrent reservations never exceed the limit', async () => {
    const sa = new RedisDeviceCounterStore({ redis: a, prefix });
    const sb = new RedisDeviceCounterStore({ redis: b, prefix });
    const windows = [{ count: 100, perMs: 60_000 }];
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => (i % 2 ? sa : sb).reserve('tok-race', windows, T0)),
    );
    expect(results.filter((r) => r === 0)).toHaveLength(100);
    expect(results.filter((r) => r > 0).every((r) => r === 600)).toBe(true);
  });

  it('hashes the key (no raw token in Redis) and expires it when its state is back to "never seen"', async () => {
    const store = new RedisDeviceCounterStore({ redis: a, prefix });
    const token = 'dGhpcyBpcyBhIHZlcnkgbG9uZyBGQ00gdG9rZW4'.repeat(4);
    const now = Date.now();
    expect(await store.reserve(token, [{ count: 10, perMs: 5_000 }], now)).toBe(0);
    const key = store.keyOf(token);
    expect(key.startsWith(`${prefix}dev:`)).toBe(true);
    expect(key).not.toContain(token.slice(0, 20));
    expect(key.length).toBe(prefix.length + 4 + 22);
    const [, keys] = await a.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    expect(keys.some((k) => k.includes(token.slice(0, 20)))).toBe(false);
    // One send of 10 per 5000 ms moves the TAT 500 ms ahead: the key lives 500 ms.
    const pttl = await a.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(500);
    const bytes = Number(await a.memory('USAGE', key));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(200);
  });

  it('counts tracked devices and rejects nonsense windows', async () => {
    const own = `${uniqueName('devsize')}:`;
    const store = new RedisDeviceCounterStore({ redis: a, prefix: own });
    for (let i = 0; i < 25; i++) await store.reserve(`t${i}`, [{ count: 1, perMs: 60_000 }], Date.now());
    expect(await store.size()).toBe(25);
    await expect(store.reserve('x', [{ count: 0, perMs: 1000 }], T0)).rejects.toThrow(/invalid rate window/);
    expect(await store.reserve('x', [], T0)).toBe(0);
    await removeKeys(a, own);
  });
});
