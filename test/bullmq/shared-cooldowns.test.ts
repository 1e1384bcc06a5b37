import { afterAll, describe, expect, it, vi } from 'vitest';
import { SharedCoolDowns } from '../../src/bullmq/shared-cooldowns.js';
import { connect, removeKeys, uniqueName } from './redis-env.js';

const prefix = `${uniqueName('cool')}:`;
const redis = connect();
const made: SharedCoolDowns[] = [];
afterAll(async () => {
  for (const c of made) await c.close();
  await removeKeys(redis, prefix);
  await redis.quit();
});

function shared(onCoolDown?: (k: string, u: number) => void) {
  const c = new SharedCoolDowns({ redis, prefix, ...(onCoolDown ? { onCoolDown } : {}) });
  made.push(c);
  return c;
}

describe('SharedCoolDowns', () => {
  it('tells every worker at once, and a worker that starts later learns it from Redis', async () => {
    const seenB: [string, number][] = [];
    const a = shared();
    const b = shared((k, u) => seenB.push([k, u]));
    await Promise.all([a.ready, b.ready]);
    const until = Date.now() + 5_000;
    await a.publish('project-1', until);
    expect(a.until('project-1')).toBe(until);
    await vi.waitFor(() => expect(seenB).toEqual([['project-1', until]]));
    expect(b.until('project-1')).toBe(until);
    expect(b.until('project-2')).toBe(0);
    const late = shared();
    await late.ready;
    expect(late.until('project-1')).toBe(until);
    const pttl = await redis.pttl(`${prefix}cool:project-1`);
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
  });

  it('keeps the later of two cool-downs and forgets one that has passed', async () => {
    const a = shared();
    await a.ready;
    const now = Date.now();
    await a.publish('p', now + 3_000);
    await a.publish('p', now + 1_000);
    expect(a.until('p')).toBe(now + 3_000);
    await a.publish('past', now - 1);
    expect(a.until('past')).toBe(0);
  });
});
