/**
 * The same admission limiters on Redis (`limits.bottleneck: { datastore: 'ioredis' }`), as the BullMQ
 * adapter runs them: two processes' worth of senders share one project window. Needs a real Redis:
 * `REDIS_URL` (set by `.ci/run`; locally `redis-server --port 6390 --save '' --appendonly no --daemonize yes`
 * and `REDIS_URL=redis://127.0.0.1:6390`). Missing → the file fails loudly, it never skips.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/engine/admission.js';

function redisOptions(): { host: string; port: number } {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: the distributed-limit test needs a real Redis (see the header of this file)');
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) throw new Error(`REDIS_URL must be loopback, got ${u.hostname}`);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

describe('Admission on Redis', () => {
  it('two limiters sharing a Redis window admit no more than the window between them', async () => {
    const id = `pbtest-admission-${process.pid}-${randomBytes(3).toString('hex')}`;
    const shared = { datastore: 'ioredis', clientOptions: redisOptions(), id, clearDatastore: false };
    const a = new Admission('a', [{ count: 500, perMs: 60_000 }], shared);
    const b = new Admission('b', [{ count: 500, perMs: 60_000 }], shared);
    let admitted = 0;
    await Promise.all(Array.from({ length: 300 }, () => a.admit('project-1')!.then(() => admitted++)));
    await Promise.all(Array.from({ length: 150 }, () => b.admit('project-1')!.then(() => admitted++)));
    expect(admitted).toBe(450);
    // 50 permits are left in the shared window: a batch of 100 from either process waits for the refresh.
    void Array.from({ length: 100 }, () => a.admit('project-1')!.then(() => admitted++, () => undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect(admitted).toBe(450);
    // Another project has its own window.
    await Promise.all(Array.from({ length: 100 }, () => a.admit('project-2')));
    await a.close();
    await b.close();
  });
});
