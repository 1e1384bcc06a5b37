import { describe, expect, it } from 'vitest';
import { decodeBody, MAX_BODY_BYTES } from '../../src/classify/body.js';

describe('decodeBody', () => {
  it('parses JSON strings, Buffers and ArrayBuffers, and passes objects through', () => {
    expect(decodeBody('{"a":1}').json).toEqual({ a: 1 });
    expect(decodeBody('\uFEFF  {"a":1}').json).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from('{"a":2}')).json).toEqual({ a: 2 });
    expect(decodeBody(new TextEncoder().encode('[1]').buffer).json).toEqual([1]);
    const obj = { a: 3 };
    expect(decodeBody(obj).json).toBe(obj);
  });

  it('keeps HTML and broken JSON as text, and tolerates invalid UTF-8', () => {
    expect(decodeBody('<html>502 Bad Gateway</html>')).toMatchObject({ json: undefined, text: '<html>502 Bad Gateway</html>' });
    expect(decodeBody('{"a":').text).toBe('{"a":');
    const bad = decodeBody(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    expect(bad.json).toEqual({ '\uFFFD\uFFFD': 1 });
  });

  it('does not read bodies above the cap', () => {
    expect(decodeBody('x'.repeat(MAX_BODY_BYTES + 1)).tooLarge).toBe(true);
    expect(decodeBody(Buffer.alloc(MAX_BODY_BYTES + 1)).tooLarge).toBe(true);
  });
});
