import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisValveStore } from '../../src/bullmq/valve-store.js';
import { connect, removeKeys, uniqueName } from './redis-env.js';

const prefix = `${uniqueName('valve')}:`;
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

const T0 = 1_800_000_000_000; // a multiple of the bucket width below
const WINDOW = 60_000;

describe('RedisValveStore', () => {
  it('counts sends and drops of one key across workers, atomically', async () => {
    const wa = new RedisValveStore({ redis: a, prefix });
    const wb = new RedisValveStore({ redis: b, prefix });
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => (i % 2 ? wa : wb).record('fcm:sa-1', i % 4 === 0, T0 + 10, WINDOW)),
    );
    const last = await wa.record('fcm:sa-1', false, T0 + 20, WINDOW);
    expect(last).toEqual({ sends: 401, drops: 100, recent: { sends: 401, drops: 100 } });
    // Every intermediate count is distinct: no two increments were lost or merged.
    expect(new Set(results.map((r) => r.sends)).size).toBe(400);
    expect(await wa.record('apns:key-2', true, T0, WINDOW)).toEqual({ sends: 1, drops: 1, recent: { sends: 1, drops: 1 } });
  });

  it('slides: buckets older than the window stop counting and are deleted', async () => {
    const store = new RedisValveStore({ redis: a, prefix, buckets: 10 });
    for (let i = 0; i < 10; i++) await store.record('slide', true, T0 + i * 6_000, WINDOW);
    // The recent part is this bucket and the one before: here buckets 8 and 9 (one drop each, and this send).
    expect(await store.record('slide', false, T0 + 59_999, WINDOW)).toEqual({ sends: 11, drops: 10, recent: { sends: 3, drops: 2 } });
    // At T0+60000 the first bucket (T0..T0+5999) has left the window; the recent part is buckets 9 and 10.
    expect(await store.record('slide', false, T0 + 60_000, WINDOW)).toEqual({ sends: 11, drops: 9, recent: { sends: 3, drops: 1 } });
    expect(await store.record('slide', false, T0 + 200_000, WINDOW)).toEqual({ sends: 1, drops: 0, recent: { sends: 1, drops: 0 } });
    const fields = await a.hlen(`${prefix}valve:w:slide`);
    expect(fields).toBeLessThanOrEqual(2 * 11);
    const pttl = await a.pttl(`${prefix}valve:w:slide`);
    expect(pttl).toBeGreaterThan(WINDOW - 1_000);
    expect(pttl).toBeLessThanOrEqual(WINDOW + 6_000);
  });

  it('shares suspension between workers until cleared', async () => {
    const wa = new RedisValveStore({ redis: a, prefix });
    const wb = new RedisValveStore({ redis: b, prefix });
    expect(await wb.isSuspended('fcm:wrong-project')).toBe(false);
    await wa.setSuspended('fcm:wrong-project', true);
    expect(await wb.isSuspended('fcm:wrong-project')).toBe(true);
    expect(await wb.suspendedKeys()).toEqual(['fcm:wrong-project']);
    expect(await a.pttl(`${prefix}valve:suspended:fcm:wrong-project`)).toBe(-1); // never expires by itself
    await wb.setSuspended('fcm:wrong-project', false);
    expect(await wa.isSuspended('fcm:wrong-project')).toBe(false);
  });

  it('rejects a nonsense window', async () => {
    const store = new RedisValveStore({ redis: a, prefix });
    await expect(store.record('k', true, T0, 0)).rejects.toThrow(/invalid valve window/);
  });
});

describe('RedisValveStore round trips', () => {
  it('answers the isSuspended that follows a record from that same call, then asks Redis again', async () => {
    const store = new RedisValveStore({ redis: a, prefix });
    const other = new RedisValveStore({ redis: b, prefix });
    await other.setSuspended('rt', true);
    expect(await store.record('rt', true, T0, WINDOW)).toEqual({ sends: 1, drops: 1, recent: { sends: 1, drops: 1 } });
    await other.setSuspended('rt', false); // after the record: the fresh answer is what the record saw
    expect(await store.isSuspended('rt')).toBe(true);
    expect(await store.isSuspended('rt')).toBe(false); // used once, then Redis
  });
});
