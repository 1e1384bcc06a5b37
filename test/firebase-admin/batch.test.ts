import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunk, expandMulticast, mergeInOrder, toBatchResponse } from '../../src/firebase-admin/batch.js';

describe('partial-batch helpers', () => {
  it('chunk keeps order and sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 2000 }), fc.integer({ min: 1, max: 600 }), (xs, size) => {
        const parts = chunk(xs, size);
        expect(parts.flat()).toEqual(xs);
        expect(parts.every((p) => p.length >= 1 && p.length <= size)).toBe(true);
        expect(parts.length).toBe(Math.ceil(xs.length / size));
      }),
    );
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });

  it('expandMulticast builds one message per token with the shared fields', () => {
    const msgs = expandMulticast({ tokens: ['a', 'b'], data: { k: 'v' }, android: { ttl: 1000 } });
    expect(msgs).toEqual([
      { token: 'a', data: { k: 'v' }, android: { ttl: 1000 }, apns: undefined, notification: undefined, webpush: undefined, fcmOptions: undefined },
      { token: 'b', data: { k: 'v' }, android: { ttl: 1000 }, apns: undefined, notification: undefined, webpush: undefined, fcmOptions: undefined },
    ]);
  });

  it('mergeInOrder restores input order from scattered parts, and refuses holes or duplicates', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 300 }).map((xs) => xs.map((_, i) => i)), fc.nat(), (idx, seed) => {
        const shuffled = [...idx].sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
        const half = Math.floor(shuffled.length / 2);
        const parts = [shuffled.slice(0, half), shuffled.slice(half)].map((indices) => ({ indices, results: indices.map((i) => `r${i}`) }));
        expect(mergeInOrder(idx.length, parts)).toEqual(idx.map((i) => `r${i}`));
      }),
    );
    expect(() => mergeInOrder(2, [{ indices: [0], results: ['x'] }])).toThrow(/no result for index 1/);
    expect(() => mergeInOrder(1, [{ indices: [0, 0], results: ['x', 'y'] }])).toThrow(/given twice/);
  });

  it('toBatchResponse counts add up', () => {
    const r = toBatchResponse([{ success: true, messageId: 'm' }, { success: false, error: { code: 'x', message: 'y', toJSON: () => ({}) } }]);
    expect(r).toMatchObject({ successCount: 1, failureCount: 1 });
    expect(r.successCount + r.failureCount).toBe(r.responses.length);
  });
});
