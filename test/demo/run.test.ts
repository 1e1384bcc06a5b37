import { describe, expect, it } from 'vitest';
import type { LoggedRequest } from '../../src/demo/invariants.js';
import { receivedOnly } from '../../src/demo/run.js';

const req = (at: number, answeredAt: number | undefined, status?: number, retryAfterMs?: number): LoggedRequest => ({
  at,
  provider: 'fcm',
  project: 'p',
  messageId: 'm1',
  ...(answeredAt !== undefined ? { answeredAt } : {}),
  ...(status !== undefined ? { status } : {}),
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});

describe('receivedOnly', () => {
  it('keeps a Retry-After the client read', () => {
    const server = [req(10, 12, 503, 2000)];
    const client = [req(5, 14, 503)];
    expect(receivedOnly(server, client)[0]!.retryAfterMs).toBe(2000);
  });

  it('drops a Retry-After whose answer died with its connection, even when a later attempt reads the same status', () => {
    // The server answered 503 at 0, the connection died before the client read it (attempt ends without a
    // status at 50); the next attempt, 641 ms later, gets another 503 within a second of the first answer.
    const server = [req(0, 0, 503, 2000), req(666, 666, 503, 1000)];
    const client = [req(-11, 50), req(641, 676, 503)];
    const out = receivedOnly(server, client);
    expect(out[0]!.retryAfterMs).toBeUndefined();
    expect(out[1]!.retryAfterMs).toBe(1000);
  });
});
