import type { Message } from 'firebase-admin/messaging';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { errorForOutcome, PushbackMessagingError } from '../../src/firebase-admin/errors.js';
import type { Outcome } from '../../src/types.js';

import { createTestApp } from '../helpers/firebase-admin.js';

/** A real firebase-admin error, as the SDK produces it (an invalid message: no request is made). */
async function sdkError(): Promise<Error & { code: string; toJSON(): object }> {
  const t = createTestApp();
  try {
    // firebase-admin throws this one synchronously.
    return await Promise.resolve()
      .then(() => t.messaging.send({} as Message))
      .then(
        () => {
          throw new Error('expected a rejection');
        },
        (e: unknown) => e as Error & { code: string; toJSON(): object },
      );
  } finally {
    await t.close();
  }
}

const TOKEN = `fcm-token:APA91b${'Q'.repeat(140)}`;
const outcome = (token: string): Outcome<unknown> => ({
  outcome: 'rejected',
  message: { token },
  attempts: 1,
  verdicts: [{ provider: 'firebase-admin', code: 'messaging/invalid-argument', action: 'fix-request', retryAfterMs: null, known: true, reason: 'bad' }],
  elapsedMs: 1,
});

describe('errorForOutcome', () => {
  it("one SDK error shared by several messages (a whole call's failure): each message gets its own copy carrying its own outcome", async () => {
    const shared = await sdkError();
    expect(shared.code).toMatch(/^messaging\//);
    const a = outcome('a');
    const b = outcome('b');
    const ea = errorForOutcome(shared, a) as typeof shared & { outcome: Outcome<unknown> };
    const eb = errorForOutcome(shared, b) as typeof shared & { outcome: Outcome<unknown> };
    expect(ea.outcome).toBe(a);
    expect(eb.outcome).toBe(b);
    expect(eb).not.toBe(ea);
    // The copy is the same kind of error, with the same code, message and toJSON.
    expect(Object.getPrototypeOf(eb)).toBe(Object.getPrototypeOf(shared));
    expect([eb.code, eb.message, eb.toJSON()]).toEqual([ea.code, ea.message, ea.toJSON()]);
    expect(Object.keys(eb)).not.toContain('outcome');
  });

  it('PushbackMessagingError keeps its outcome (and so the raw token) out of util.inspect, Object.keys and JSON', () => {
    const e = errorForOutcome(undefined, outcome(TOKEN)) as PushbackMessagingError;
    expect(e).toBeInstanceOf(PushbackMessagingError);
    expect(e.outcome?.message).toEqual({ token: TOKEN }); // still readable by code that asks for it
    expect(Object.keys(e)).not.toContain('outcome');
    expect(inspect(e, { depth: 10, showHidden: false })).not.toContain(TOKEN);
    expect(JSON.stringify(e)).not.toContain(TOKEN);
  });
});
