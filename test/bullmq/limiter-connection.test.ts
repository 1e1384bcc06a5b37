import { afterAll, describe, expect, it } from 'vitest';
import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { createLimiterConnection, normalizeBottleneckError, redisLimits } from '../../src/bullmq/limiter-connection.js';
import { connect, redisUrl, removeKeys, uniqueName } from './redis-env.js';

const name = uniqueName('lim');
const admin = connect();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await removeKeys(admin, `b_${name}`);
  await admin.quit();
});

function sharedConnection() {
  const connection = createLimiterConnection({ redis: redisUrl() });
  cleanups.push(() => connection.disconnect());
  return connection;
}

describe('createLimiterConnection (bottleneck on Redis 7)', () => {
  it('upstream bottleneck 2.19.5 cannot recover lost keys on this Redis (bottleneck #205): the bug is real', async () => {
    const connection = new Bottleneck.IORedisConnection({ client: new Redis(redisUrl()), Redis });
    cleanups.push(() => connection.disconnect());
    const id = `${name}-upstream`;
    const limiter = new Bottleneck({ id, datastore: 'ioredis', connection, clearDatastore: true, maxConcurrent: 5 });
    expect(await limiter.schedule(async () => 'first')).toBe('first');
    await admin.del(`b_${id}_settings`); // what a Redis restart, failover or eviction does
    await expect(limiter.schedule(async () => 'second')).rejects.toThrow('ERR SETTINGS_KEY_NOT_FOUND');
  });

  it('re-initialises a limiter whose keys vanished', async () => {
    const connection = sharedConnection();
    const id = `${name}-lost`;
    const limiter = new Bottleneck({ id, ...redisLimits({ connection }), maxConcurrent: 5 });
    expect(await limiter.schedule(async () => 'first')).toBe('first');
    await admin.del(`b_${id}_settings`);
    expect(await limiter.schedule(async () => 'second')).toBe('second');
    expect(await admin.exists(`b_${id}_settings`)).toBe(1);
  });

  it('re-registers a client that other processes timed out', async () => {
    const connection = sharedConnection();
    const id = `${name}-client`;
    const limiter = new Bottleneck({ id, ...redisLimits({ connection }), maxConcurrent: 5 });
    expect(await limiter.schedule(async () => 1)).toBe(1);
    await admin.del(`b_${id}_client_last_seen`); // as if this process had been paused > clientTimeout
    expect(await limiter.schedule(async () => 2)).toBe(2);
  });

  it('shares one reservoir between processes: weighted jobs never exceed it', async () => {
    const id = `${name}-shared`;
    const settings = { id, reservoir: 100, reservoirRefreshAmount: 100, reservoirRefreshInterval: 60_000 };
    const [c1, c2] = [sharedConnection(), sharedConnection()];
    const l1 = new Bottleneck({ ...settings, ...redisLimits({ connection: c1 }) });
    const l2 = new Bottleneck({ ...settings, ...redisLimits({ connection: c2 }) });
    let admitted = 0;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const l = i % 2 ? l1 : l2;
      jobs.push(l.schedule({ weight: 10, expiration: 5_000 }, async () => (admitted += 10)).catch(() => undefined));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(admitted).toBe(100);
    expect(await l1.currentReservoir()).toBe(0);
    await Promise.all([l1.stop({ dropWaitingJobs: true }), l2.stop({ dropWaitingJobs: true })]);
    await Promise.allSettled(jobs);
  });

  it('uses one connection pair for any number of limiters (bottleneck #74)', async () => {
    const clientName = `${name}-conn`;
    const connection = createLimiterConnection({ redis: { ...redisOptions(), connectionName: clientName } });
    cleanups.push(() => connection.disconnect());
    const limiters = Array.from({ length: 50 }, (_, i) => new Bottleneck({ id: `${name}-many-${i}`, ...redisLimits({ connection }), maxConcurrent: 2 }));
    await Promise.all(limiters.map((l, i) => l.schedule(async () => i)));
    const list = String(await admin.client('LIST'));
    expect(list.split('\n').filter((line) => line.includes(`name=${clientName}`))).toHaveLength(2);
  });

  it('leaves other errors alone', () => {
    expect(normalizeBottleneckError(new Error('ERR SETTINGS_KEY_NOT_FOUND'))?.message).toBe('SETTINGS_KEY_NOT_FOUND');
    expect(normalizeBottleneckError(new Error('ERR OVERWEIGHT:5:2'))?.message).toBe('OVERWEIGHT:5:2');
    expect(normalizeBottleneckError(new Error('ERR UNKNOWN_CLIENT'))?.message).toBe('UNKNOWN_CLIENT');
    expect(normalizeBottleneckError(new Error('ERR wrong number of arguments'))?.message).toBe('ERR wrong number of arguments');
    expect(normalizeBottleneckError(null)).toBeNull();
  });
});

function redisOptions() {
  const u = new URL(redisUrl());
  return { host: u.hostname, port: Number(u.port || 6379) };
}
