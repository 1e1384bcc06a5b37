import { describe, expect, it } from 'vitest';
import { getHeader } from '../../src/classify/headers.js';

describe('getHeader', () => {
  it('reads every header shape, any casing', () => {
    expect(getHeader({ 'Retry-After': '5' }, 'retry-after')).toBe('5');
    expect(getHeader({ 'RETRY-AFTER': ['6', '7'] }, 'retry-after')).toBe('6');
    expect(getHeader({ 'retry-after': 8 }, 'retry-after')).toBe('8');
    expect(getHeader(new Headers({ 'Retry-After': '9' }), 'retry-after')).toBe('9');
    expect(getHeader(new Map([['Retry-After', '10']]), 'retry-after')).toBe('10');
    expect(getHeader([['Retry-After', '11']], 'retry-after')).toBe('11');
    expect(getHeader(['content-type', 'x', 'Retry-After', '12'], 'retry-after')).toBe('12');
    expect(getHeader([Buffer.from('retry-after'), Buffer.from('13')], 'retry-after')).toBe('13');
    expect(getHeader({ ':status': 410 }, ':status')).toBe('410');
  });

  it('returns undefined for missing headers and hostile objects without throwing', () => {
    expect(getHeader({}, 'retry-after')).toBeUndefined();
    expect(getHeader(null, 'retry-after')).toBeUndefined();
    expect(getHeader('retry-after: 5', 'retry-after')).toBeUndefined();
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); }, get: () => { throw new Error('boom'); } });
    expect(getHeader(hostile, 'retry-after')).toBeUndefined();
    expect(getHeader({ get: () => { throw new Error('boom'); } }, 'retry-after')).toBeUndefined();
    expect(getHeader(JSON.parse('{"__proto__": {"retry-after": "5"}}'), 'retry-after')).toBeUndefined();
  });
});
