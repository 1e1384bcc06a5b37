/**
 * The processor with real parts: BullMQ on a real Redis, the real engine, undici to the fake FCM server.
 */
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import type { DropTokenEvent } from '../../src/engine/types.js';
import {
  createPushbackWorker,
  enqueueBatch,
  enqueueMessage,
  enqueueMulticast,
  type JobOutcome,
  type JobProgress,
  type JobResult,
  type PushJobData,
  type PushbackWorker,
  type RunInfo,
} from '../../src/bullmq/index.js';
import { createProcessor } from '../../src/bullmq/processor.js';
import { connect, removeKeys, uniqueName } from './redis-env.js';
import { workerSender, type TestMessage } from './fcm-fixture.js';

const name = uniqueName('proc');
const prefix = `${name}:`;
let redis: Redis;
let fake: FakeProvider;
let queue: Queue<PushJobData<TestMessage>, JobResult>;
let events: QueueEvents;
const running: PushbackWorker<TestMessage>[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = connect();
  fake = await startFakeProvider();
  queue = new Queue(name, { connection: redis });
  events = new QueueEvents(name, { connection: redis.duplicate() });
  await events.waitUntilReady();
});

afterEach(async () => {
  for (const w of running.splice(0)) await w.close();
  for (const c of closers.splice(0)) await c();
  await queue.drain(true);
  fake.reset();
});

afterAll(async () => {
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await removeKeys(redis, prefix);
  await fake.close();
  await redis.quit();
});

let seq = 0;
const project = () => `${name}-p${++seq}`;
const msg = (p: string, token: string, extra: Partial<TestMessage> = {}): TestMessage => ({ project: p, token, n: ++seq, ...extra });

async function startWorker(opts: { concurrency?: number; onDropToken?: (b: DropTokenEvent[]) => unknown; onRun?: (i: RunInfo) => void; retry?: object } = {}) {
  const s = workerSender({
    url: fake.http1Url,
    redis,
    prefix,
    retry: { jitter: 'none', ...opts.retry },
    ...(opts.onDropToken ? { onDropToken: opts.onDropToken } : {}),
  });
  closers.push(() => s.closeTransport()); // the worker's close() closes the sender
  const w = await createPushbackWorker<TestMessage>(name, {
    connection: redis.duplicate({ maxRetriesPerRequest: null }),
    redis,
    prefix,
    sender: s.sender,
    provider: 'fcm',
    target: (m) => ({ project: m.project, token: m.token }),
    retry: { maxAttempts: 8 },
    concurrency: opts.concurrency ?? 4,
    ...(opts.onRun ? { onRun: opts.onRun } : {}),
    worker: { lockDuration: 5_000 },
  });
  running.push(w);
  return w;
}

describe('processor', () => {
  it('delivers one message; the job returns its outcome', async () => {
    await startWorker();
    const p = project();
    const job = await enqueueMessage(queue, msg(p, 'tok-ok'), { id: `ok-${p}` });
    const result = (await job.waitUntilFinished(events, 10_000)) as JobOutcome;
    expect(result).toMatchObject({ outcome: 'delivered', attempts: 1, index: 0, id: `ok-${p}` });
    expect(result.messageId).toMatch(new RegExp(`^projects/${p}/messages/\\d+$`));
    expect(fake.requests({ project: p })).toHaveLength(1);
  });

  it('retries through BullMQ delayed for exactly the engine delay, without holding the worker', async () => {
    const runs: RunInfo[] = [];
    await startWorker({ concurrency: 1, onRun: (i) => runs.push(i), retry: { initialDelayMs: 300, maxDelayMs: 300 } });
    const p = project();
    fake.script({ route: 'fcm', project: p, token: 'tok-503', code: 'UNAVAILABLE', times: 1 });
    const slow = await enqueueMessage(queue, msg(p, 'tok-503'));
    const other = await enqueueMessage(queue, msg(p, 'tok-other'));
    const [a, b] = await Promise.all([slow.waitUntilFinished(events, 10_000), other.waitUntilFinished(events, 10_000)]);
    expect(a).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect((a as JobOutcome).verdicts.map((v) => v.code)).toEqual(['UNAVAILABLE', '200']);
    expect(b).toMatchObject({ outcome: 'delivered', attempts: 1 });
    const [first, second] = fake.requests({ token: 'tok-503', project: p });
    // jitter 'none': the engine delay is exactly 300 ms; BullMQ promotes the job no earlier.
    expect(second!.t - first!.doneAt!).toBeGreaterThanOrEqual(300);
    // With concurrency 1, the other job ran while this one waited in the delayed set.
    const otherReq = fake.requests({ token: 'tok-other', project: p })[0]!;
    expect(otherReq.t).toBeLessThan(second!.t);
    expect(runs.find((r) => r.next === 'delay')).toMatchObject({ delayMs: 300, attempted: 1 });
    const state = await (await queue.getJob(slow.id!))!.getState();
    expect(state).toBe('completed');
  });

  it('a project-level 429 pauses every worker of the queue for the Retry-After', async () => {
    await startWorker({ concurrency: 2 });
    await startWorker({ concurrency: 2 });
    const p = project();
    fake.script({ route: 'fcm', project: p, code: 'QUOTA_EXCEEDED', retryAfter: 1, times: 1 });
    const first = await enqueueMessage(queue, msg(p, 'tok-429'));
    await first.waitUntilFinished(events, 10_000);
    const [limited] = fake.requests({ project: p, status: 429 });
    expect(limited).toBeDefined();
    // Jobs enqueued during the cool-down wait for it, whichever worker takes them.
    const later = await Promise.all(Array.from({ length: 6 }, (_, i) => enqueueMessage(queue, msg(p, `tok-later-${i}`))));
    await Promise.all(later.map((j) => j.waitUntilFinished(events, 10_000)));
    const after = fake.requests({ project: p }).filter((e) => e !== limited);
    expect(after).toHaveLength(7);
    for (const e of after) expect(e.t).toBeGreaterThanOrEqual(limited!.doneAt! + 1_000);
  });

  it('fix-request fails the job at once with UnrecoverableError carrying the verdict', async () => {
    await startWorker();
    const p = project();
    fake.script({ route: 'fcm', project: p, status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid value at message.data' , details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data', description: 'bad' }] }] } } });
    const job = await enqueueMessage(queue, msg(p, 'tok-bad-payload'));
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/rejected: INVALID_ARGUMENT \(HTTP 400\)/);
    const failed = (await queue.getJob(job.id!))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    const progress = failed.progress as JobProgress;
    expect(progress.failed).toBe(true);
    expect(progress.messages[0]!.outcome).toMatchObject({ outcome: 'rejected', attempts: 1 });
    expect(failed.failedReason).not.toContain('tok-bad-payload');
  });

  it('drop-token reaches the prune hook with the raw token; the valve counts in Redis', async () => {
    const pruned: DropTokenEvent[] = [];
    await startWorker({ onDropToken: (b) => void pruned.push(...b) });
    const p = project();
    fake.markDead('tok-dead-1');
    const job = await enqueueMessage(queue, msg(p, 'tok-dead-1'));
    const result = await job.waitUntilFinished(events, 10_000);
    expect(result).toMatchObject({ outcome: 'dropped-token', attempts: 1 });
    // The send was counted in the shared valve window (which expires 330 ms after its last send here).
    expect(await redis.exists(`${prefix}valve:w:fcm:${p}`)).toBe(1);
    // Below the valve's minSends the engine holds condemned tokens up to the valve window (300 ms here).
    await vi.waitFor(() => expect(pruned.map((e) => [e.token, e.code])).toEqual([['tok-dead-1', 'UNREGISTERED']]), { timeout: 3_000 });
  });

  it('a batch retries only its unfinished messages', async () => {
    await startWorker();
    const p = project();
    fake.script({ route: 'fcm', project: p, token: 'b-2', code: 'INTERNAL', times: 2 });
    fake.markDead('b-3');
    const job = await enqueueBatch(queue, [msg(p, 'b-1'), msg(p, 'b-2'), msg(p, 'b-3')], { ids: ['m1', 'm2', 'm3'] });
    const result = (await job.waitUntilFinished(events, 10_000)) as JobOutcome[];
    expect(result.map((o) => [o.id, o.outcome, o.attempts])).toEqual([
      ['m1', 'delivered', 1],
      ['m2', 'delivered', 3],
      ['m3', 'dropped-token', 1],
    ]);
    expect(fake.requests({ project: p, token: 'b-1' })).toHaveLength(1);
    expect(fake.requests({ project: p, token: 'b-2' })).toHaveLength(3);
    expect(fake.requests({ project: p, token: 'b-3' })).toHaveLength(1);
  });

  it('a message past its deadline ends expired without a request', async () => {
    await startWorker();
    const p = project();
    const job = await enqueueMessage(queue, { ...msg(p, 'tok-late'), deadline: Date.now() - 1 } as TestMessage);
    const result = await job.waitUntilFinished(events, 10_000);
    expect(result).toMatchObject({ outcome: 'expired', attempts: 0 });
    expect((result as JobOutcome).verdicts.at(-1)?.code).toBe('PUSHBACK_EXPIRED');
    expect(fake.requests({ project: p })).toHaveLength(0);
  });
});

describe('enqueue helpers', () => {
  it('re-enqueueing the same message or id adds no job', async () => {
    const p = project();
    const a = await enqueueMessage(queue, msg(p, 'tok-idem', { n: 1 }), { id: 'order:42' });
    const b = await enqueueMessage(queue, msg(p, 'tok-idem', { n: 2 }), { id: 'order:42' });
    expect(b.id).toBe(a.id);
    const m = { project: p, token: 'tok-hash', n: 7 };
    const c = await enqueueMessage(queue, m);
    const d = await enqueueMessage(queue, { n: 7, token: 'tok-hash', project: p });
    expect(d.id).toBe(c.id);
    const e = await enqueueMessage(queue, m, { idempotent: false });
    expect(e.id).not.toBe(c.id);
    expect(await queue.getJobCountByTypes('wait', 'prioritized', 'delayed')).toBe(3);
  });

  it('splits a multicast into batch jobs, idempotently', async () => {
    const p = project();
    const tokens = Array.from({ length: 250 }, (_, i) => `mc-${i}`);
    const jobs = await enqueueMulticast<{ tokens: string[]; project: string }, TestMessage>(queue, { tokens, project: p }, { id: `mc-${p}`, chunkSize: 100 });
    expect(jobs.map((j) => (j.data as { messages: unknown[] }).messages.length)).toEqual([100, 100, 50]);
    expect((jobs[2]!.data as { messages: TestMessage[]; ids: string[] }).messages[49]).toEqual({ project: p, token: 'mc-249' });
    expect((jobs[2]!.data as { ids: string[] }).ids[49]).toBe(`mc-${p}:249`);
    const again = await enqueueMulticast<{ tokens: string[]; project: string }, TestMessage>(queue, { tokens, project: p }, { id: `mc-${p}`, chunkSize: 100 });
    expect(again.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    expect(await queue.getJobCountByTypes('wait')).toBe(3);
    const unnamed = await enqueueMulticast(queue as unknown as Queue, { tokens: ['x', 'y'], project: p });
    const unnamedAgain = await enqueueMulticast(queue as unknown as Queue, { tokens: ['x', 'y'], project: p });
    expect(unnamedAgain[0]!.id).toBe(unnamed[0]!.id);
  });
});

export type { Job };

describe('processor with a Sender of your own', () => {
  it('leaves no listener on the job’s signal when the sender’s attempt() throws synchronously', async () => {
    const process = createProcessor<{ token: string }>({
      sender: { attempt: () => { throw new Error('sync throw'); } } as never,
      provider: 'fcm',
      target: (m) => ({ project: 'p', token: m.token }),
    });
    const ac = new AbortController();
    const job = { id: 'j1', data: { message: { token: 't' } }, progress: 0, attemptsStarted: 1, timestamp: Date.now(), updateProgress: async () => {}, updateData: async () => {} } as never;
    await expect(process(job, 'tok', ac.signal)).rejects.toThrow('sync throw');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
