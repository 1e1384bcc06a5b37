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

  it('a synchronous throw fails every message with it, never throws', async () => {
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

  it('a short or malformed BatchResponse fails the missing messages instead of losing them', async () => {
    const r = await sendEachSafe({ sendEach: async () => ({ successCount: 1, failureCount: 0, responses: [{ success: true, messageId: 'x' }] }) }, msgs, false);
    expect(r.map((x) => x.success)).toEqual([true, false, false]);
  });
});
