import { describe, expect, it } from 'vitest';
import { FatalCircuit } from '../../src/engine/circuit.js';
import type { Verdict } from '../../src/types.js';

const v = (action: Verdict['action'], code = 'X'): Verdict => ({ provider: 'apns', code, action, retryAfterMs: null, known: true, reason: code });

describe('FatalCircuit', () => {
  it('a half-open probe answered with a retryable verdict (503, a reset) keeps the circuit open; the next probe waits another cool-down', () => {
    const c = new FatalCircuit(1000);
    expect(c.record('k', v('fatal', 'InvalidProviderToken'), 0)).toBe(true);
    expect(c.check('k', 999).kind).toBe('open');
    expect(c.check('k', 1000).kind).toBe('probe');
    expect(c.check('k', 1000).kind).toBe('open'); // one probe at a time
    c.record('k', v('retry', 'ServiceUnavailable'), 1500, true);
    expect(c.isOpen('k')).toBe(true);
    expect(c.check('k', 2499).kind).toBe('open');
    expect(c.check('k', 2500).kind).toBe('probe');
  });

  it('a probe answered with a verdict that shows the credential works closes it (delivered, a dead token, a bad request)', () => {
    for (const action of ['ok', 'drop-token', 'fix-request'] as const) {
      const c = new FatalCircuit(1000);
      c.record('k', v('fatal'), 0);
      expect(c.check('k', 1000).kind).toBe('probe');
      c.record('k', v(action), 1001, true);
      expect(c.isOpen('k'), action).toBe(false);
    }
  });

  it('a fatal answer to a request that left before the circuit opened changes nothing: the cool-down stands and the probe still decides', () => {
    const c = new FatalCircuit(1000);
    expect(c.record('k', v('fatal'), 0)).toBe(true);
    expect(c.record('k', v('fatal'), 500)).toBe(false); // an older request, while open: no new cool-down
    expect(c.check('k', 1000).kind).toBe('probe');
    expect(c.record('k', v('fatal'), 1001)).toBe(false); // another older one, while half-open
    c.record('k', v('ok'), 1002, true); // the probe
    expect(c.isOpen('k')).toBe(false);
    // A fatal probe re-opens it, with a new cool-down.
    c.record('k', v('fatal'), 2000);
    expect(c.check('k', 3000).kind).toBe('probe');
    expect(c.record('k', v('fatal'), 3001, true)).toBe(true);
    expect(c.check('k', 3999).kind).toBe('open');
    expect(c.check('k', 4001).kind).toBe('probe');
  });

  it("only the probe's own answer changes a half-open circuit: a 503 to a request that left before it opened does not", () => {
    const c = new FatalCircuit(1000);
    c.record('k', v('fatal'), 0);
    expect(c.check('k', 1000).kind).toBe('probe');
    c.record('k', v('retry', 'ServiceUnavailable'), 1001); // an older request
    c.record('k', v('ok'), 1002); // an older request: says nothing about the credential now
    expect(c.isOpen('k')).toBe(true);
    c.record('k', v('ok'), 1003, true); // the probe
    expect(c.isOpen('k')).toBe(false);
  });

  it('a probe answered with a credential-refresh verdict closes it: the refresh path decides (and re-opens it if the credential still fails)', () => {
    const c = new FatalCircuit(1000);
    c.record('k', v('fatal'), 0);
    expect(c.check('k', 1000).kind).toBe('probe');
    c.record('k', { ...v('retry', 'ExpiredProviderToken'), refreshCredential: true }, 1001, true);
    expect(c.isOpen('k')).toBe(false);
  });

  it('trip() opens it for a verdict that is not fatal itself (a credential that still fails after a refresh)', () => {
    const c = new FatalCircuit(1000);
    expect(c.trip('k', v('fatal', 'ExpiredProviderToken'), 0)).toBe(true);
    expect(c.trip('k', v('fatal', 'ExpiredProviderToken'), 1)).toBe(false); // already open
    expect(c.check('k', 10)).toMatchObject({ kind: 'open' });
  });
});
