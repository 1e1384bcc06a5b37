import { describe, expect, it } from 'vitest';
import { idsOf, jobIdFor, jobIdForContent, messagesOf, stableStringify } from '../../src/bullmq/job-data.js';

describe('job data and ids', () => {
  it('reads one message or a batch, and refuses other data', () => {
    expect(messagesOf({ message: { a: 1 }, id: 'x' })).toEqual([{ a: 1 }]);
    expect(idsOf({ message: { a: 1 }, id: 'x' })).toEqual(['x']);
    expect(messagesOf({ messages: [1, 2], ids: ['a', 'b'] })).toEqual([1, 2]);
    expect(idsOf({ messages: [1, 2] })).toEqual([]);
    expect(() => messagesOf({ foo: 1 })).toThrow(/not a pushback job/);
    expect(() => messagesOf(null)).toThrow(/not a pushback job/);
  });

  it('derives stable job ids BullMQ accepts', () => {
    expect(jobIdFor('order-42.push')).toBe('pb-order-42.push');
    const odd = jobIdFor('tenant:7/order 42');
    expect(odd).toMatch(/^pb-h[A-Za-z0-9_-]{22}$/);
    expect(jobIdFor('tenant:7/order 42')).toBe(odd);
    expect(jobIdFor('123')).toBe('pb-123'); // never a bare integer
    expect(jobIdFor('x'.repeat(500))).toMatch(/^pb-h/);
  });

  it('hashes content independently of key order, and differently for different content', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}');
    const one = jobIdForContent({ token: 't', notification: { title: 'Hi', body: 'there' } });
    expect(jobIdForContent({ notification: { body: 'there', title: 'Hi' }, token: 't' })).toBe(one);
    expect(jobIdForContent({ token: 't2', notification: { title: 'Hi', body: 'there' } })).not.toBe(one);
    expect(one).not.toContain(':');
  });
});
