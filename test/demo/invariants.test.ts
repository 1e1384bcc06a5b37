import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkCoolDowns,
  checkOneOutcomeEach,
  checkRateLimits,
  countOutcomes,
  deviceKey,
  maxRate,
  projectKey,
  type LoggedRequest,
} from '../../src/demo/invariants.js';

const req = (at: number, extra: Partial<LoggedRequest> = {}): LoggedRequest => ({ at, answeredAt: at + 1, provider: 'fcm', project: 'p', token: 't1', ...extra });

describe('checkOneOutcomeEach', () => {
  it('passes when every message has one known outcome', () => {
    expect(checkOneOutcomeEach(['a', 'b'], [{ id: 'a', outcome: 'delivered' }, { id: 'b', outcome: 'expired' }])).toEqual([]);
  });
  it('finds missing, duplicate, unknown and foreign outcomes', () => {
    const v = checkOneOutcomeEach(['a', 'b', 'c'], [
      { id: 'a', outcome: 'delivered' },
      { id: 'a', outcome: 'gave-up' },
      { id: 'b', outcome: 'lost' },
      { id: 'z', outcome: 'delivered' },
    ]);
    const details = v.map((x) => x.detail).join('\n');
    expect(details).toContain('a: 2 outcomes');
    expect(details).toContain('c: 0 outcomes');
    expect(details).toContain('b: unknown outcome "lost"');
    expect(details).toContain('z: outcome for a message never sent');
  });
});

describe('checkCoolDowns', () => {
  it('accepts a retry after the Retry-After and flags one before it', () => {
    const cause = req(0, { messageId: 'm1', status: 503, retryAfterMs: 1000 });
    expect(checkCoolDowns([cause, req(1002, { messageId: 'm1' })])).toEqual([]);
    const v = checkCoolDowns([cause, req(500, { messageId: 'm1' })]);
    expect(v).toHaveLength(1);
    expect(v[0]!.invariant).toBe('cool-down');
  });
  it('gives no in-flight grace to the message that was told to wait', () => {
    const cause = req(0, { messageId: 'm1', status: 503, retryAfterMs: 1000 });
    expect(checkCoolDowns([cause, req(10, { messageId: 'm1' })])).toHaveLength(1);
  });
  it('cools a device after a 429, with grace only for requests already in flight', () => {
    const cause = req(0, { messageId: 'm1', status: 429, retryAfterMs: 1000 });
    expect(checkCoolDowns([cause, req(20, { messageId: 'm2' })])).toEqual([]);
    expect(checkCoolDowns([cause, req(200, { messageId: 'm2' })])).toHaveLength(1);
    expect(checkCoolDowns([cause, req(200, { messageId: 'm2', token: 'other' })])).toEqual([]);
  });
  it('cools a project when the scopes say so', () => {
    const cause = req(0, { messageId: 'm1', status: 429, retryAfterMs: 1000 });
    const scopes = (r: LoggedRequest) => (r.status === 429 ? [`project:${r.provider}:${r.project}`] : []);
    expect(checkCoolDowns([cause, req(300, { messageId: 'm9', token: 'x' })], { scopes })).toHaveLength(1);
    expect(checkCoolDowns([cause, req(300, { messageId: 'm9', token: 'x', project: 'q' })], { scopes })).toEqual([]);
  });
  it('ignores requests that arrived before the cooling answer', () => {
    const cause = req(100, { messageId: 'm1', status: 429, retryAfterMs: 1000 });
    expect(checkCoolDowns([req(50, { messageId: 'm2' }), cause])).toEqual([]);
  });
});

describe('maxRate / checkRateLimits', () => {
  it('computes the densest sliding window per key', () => {
    const log = [0, 100, 200, 999, 1000, 1001, 5000].map((at) => req(at));
    expect(maxRate(log, deviceKey, { count: 10, perMs: 1000 }).max).toBe(5); // 100, 200, 999, 1000, 1001 within [100, 1100)
    expect(maxRate(log, deviceKey, { count: 10, perMs: 10 }).max).toBe(3); // 999, 1000, 1001
  });
  it('matches a brute-force count on random logs', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 2000 }), (times, perMs) => {
        const log = times.map((at) => req(at));
        let brute = 0;
        for (const t of times) brute = Math.max(brute, times.filter((u) => u >= t && u < t + perMs).length);
        expect(maxRate(log, projectKey, { count: 1, perMs }).max).toBe(brute);
      }),
    );
  });
  it('reports a limit broken and passes one kept', () => {
    const log = [0, 10, 20, 30].map((at) => req(at));
    expect(checkRateLimits(log, { device: [{ count: 4, perMs: 1000 }] })).toEqual([]);
    const v = checkRateLimits(log, { device: [{ count: 3, perMs: 1000 }], project: [{ count: 2, perMs: 1000 }] });
    expect(v.map((x) => x.invariant).sort()).toEqual(['device-rate', 'project-rate']);
  });
  it('keeps devices apart', () => {
    const log = [0, 1, 2].map((at, i) => req(at, { token: `t${i}` }));
    expect(checkRateLimits(log, { device: [{ count: 1, perMs: 1000 }] })).toEqual([]);
  });
});

describe('countOutcomes', () => {
  it('has every kind', () => {
    expect(countOutcomes([{ outcome: 'delivered' }, { outcome: 'delivered' }, { outcome: 'fatal' }])).toEqual({
      delivered: 2, 'dropped-token': 0, rejected: 0, fatal: 1, expired: 0, 'gave-up': 0,
    });
  });
});
