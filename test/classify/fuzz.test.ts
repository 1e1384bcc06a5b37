import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import type { Verdict } from '../../src/types.js';
import { anyInput, errorArb, malformed, prototypePolluted, responseArb, trapInputs } from '../fixtures/classify-arbitraries.js';

/** 100k random inputs in total across the properties below. */
function check(input: unknown): boolean {
  let v: Verdict;
  try {
    v = classify(input, { now: 1_700_000_000_000 });
  } catch (err) {
    throw new Error(`classify threw: ${String(err)}`);
  }
  const why = malformed(v);
  if (why) throw new Error(`malformed verdict (${why}): ${JSON.stringify(v)}`);
  if (prototypePolluted()) throw new Error('Object.prototype was modified');
  return true;
}

describe('classify fuzz: never throws, always a well-formed verdict', () => {
  it('anything at all (40k)', () => {
    fc.assert(fc.property(anyInput, check), { numRuns: 40_000 });
  });
  it('random responses: hostile keys, random headers and bodies (35k)', () => {
    fc.assert(fc.property(responseArb, check), { numRuns: 35_000 });
  });
  it('random SDK and transport errors (25k)', () => {
    fc.assert(fc.property(errorArb, check), { numRuns: 25_000 });
  });
  it('throwing getters and proxies', () => {
    for (const input of trapInputs()) expect(check(input)).toBe(true);
  });
  it('per-token maps keep __proto__ and constructor as plain keys', () => {
    const v = classify({ provider: 'hms', status: 200, body: { code: '80100000', msg: '{"success":1,"failure":2,"illegal_tokens":["__proto__","constructor"]}' }, targets: ['__proto__', 'constructor', 'ok-token'] });
    expect(Object.getPrototypeOf(v.tokens)).toBeNull();
    expect(Object.keys(v.tokens!).sort()).toEqual(['__proto__', 'constructor', 'ok-token']);
    expect(v.tokens!['ok-token']!.action).toBe('ok');
    expect(v.tokens!['__proto__']!.action).not.toBe('ok');
    expect(prototypePolluted()).toBe(false);
  });
});
