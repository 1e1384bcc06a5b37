import { describe, expect, it } from 'vitest';
import { goawayReason } from '../../src/transport/goaway-reason.js';

describe('goawayReason', () => {
  it("reads APNs' JSON reason", () => {
    expect(goawayReason(Buffer.from('{"reason":"Shutdown"}'))).toBe('Shutdown');
  });

  it('keeps non-JSON debug data, cut to 200 characters', () => {
    expect(goawayReason(Buffer.from('going away'))).toBe('going away');
    expect(goawayReason(Buffer.from('x'.repeat(500)))).toHaveLength(200);
    expect(goawayReason(Buffer.from('{"reason":42}'))).toBe('{"reason":42}');
  });

  it('has nothing to say for no data', () => {
    expect(goawayReason(undefined)).toBeUndefined();
    expect(goawayReason(Buffer.alloc(0))).toBeUndefined();
  });
});
