import type { BatchResponse, Message } from 'firebase-admin/messaging';
import { describe, expect, it } from 'vitest';
import { sendEachSafe } from '../../src/firebase-admin/send-each.js';

const msgs: Message[] = [{ token: 'a' }, { token: 'b' }, { token: 'c' }];
const netErr = { code: 'app/network-error', message: 'session closed', toJSON: () => ({}) };

describe('sendEachSafe', () => {
  it('13.3+ session failure: keeps what pendingBatchResponse says succeeded, fails only the rest', async () => {
    const pending: BatchResponse = {
      successCount: 1,
      failureCount: 2,
      responses: [{ success: true, messageId: 'm-a' }, { success: false, error: netErr }, { success: false } as never],
    };
    const sessionError = Object.assign(new Error('GOAWAY'), { code: 'messaging/app/network-error', pendingBatchResponse: Promise.resolve(pending) });
    const r = await sendEachSafe({ sendEach: () => Promise.reject(sessionError) }, msgs, false);
    expect(r).toEqual([{ success: true, messageId: 'm-a' }, { success: false, error: netErr }, { success: false, error: sessionError }]);
  });

  it('a session error without (or with a broken) pendingBatchResponse fails every message with it', async () => {
    const e1 = Object.assign(new Error('x'), { pendingBatchResponse: Promise.reject(new Error('y')) });
    expect((await sendEachSafe({ sendEach: () => Promise.reject(e1) }, msgs, false)).map((x) => x.success)).toEqual([false, false, false]);
  });

  it('a synchronous throw that every part repeats fails every message with it, never throws', async () => {
    const boom = { code: 'messaging/invalid-argument', message: 'dryRun must be a boolean' };
    const r = await sendEachSafe(
      {
        sendEach: () => {
          throw boom;
        },
      },
      msgs,
      true,
    );
    expect(r).toEqual(msgs.map(() => ({ success: false, error: boom })));
  });

  it("a synchronous throw caused by one message (firebase-admin's deep copy of a circular message) fails only that message: the call is halved until the throw is isolated", async () => {
    const circular: Record<string, unknown> = { token: 'bad' };
    circular.self = circular;
    const batch: Message[] = Array.from({ length: 100 }, (_, i) => (i === 37 ? (circular as unknown as Message) : { token: `t${i}` }));
    const calls: number[] = [];
    const sent: string[] = [];
    let inFlight = 0;
    let most = 0;
    const boom = new RangeError('Maximum call stack size exceeded');
    const sdk = {
      sendEach: (ms: Message[]) => {
        calls.push(ms.length);
        if (ms.includes(circular as unknown as Message)) throw boom; // synchronously, before any request
        most = Math.max(most, ++inFlight);
        return new Promise<void>((r) => setImmediate(r)).then((): BatchResponse => {
          inFlight--;
          sent.push(...ms.map((m) => (m as { token: string }).token));
          return { successCount: ms.length, failureCount: 0, responses: ms.map((m) => ({ success: true as const, messageId: `id-${(m as { token: string }).token}` })) };
        });
      },
    };
    const r = await sendEachSafe(sdk, batch, false);
    expect(r).toHaveLength(100);
    r.forEach((x, i) => expect(x).toEqual(i === 37 ? { success: false, error: boom } : { success: true, messageId: `id-t${i}` }));
    expect(sent.sort()).toEqual(batch.filter((_, i) => i !== 37).map((m) => (m as { token: string }).token).sort());
    // One failing call per level of halving, plus one call per good half: about 2 × log2(100), one at a time.
    expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 1);
    expect(most).toBe(1);
  });

  it('a short or malformed BatchResponse fails the missing messages instead of losing them', async () => {
    const r = await sendEachSafe({ sendEach: async () => ({ successCount: 1, failureCount: 0, responses: [{ success: true, messageId: 'x' }] }) }, msgs, false);
    expect(r.map((x) => x.success)).toEqual([true, false, false]);
  });
});
