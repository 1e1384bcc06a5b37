import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError } from '../../../src/transport/frames/hpack.js';

const decodeAll = (d: HpackDecoder, hex: string): [string, string][] => {
  const buf = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const out: [string, string][] = [];
  d.decode(buf, 0, buf.length, (n, v) => out.push([n, v]));
  return out;
};

describe('HpackDecoder', () => {
  it('decodes the RFC 7541 C.3 request sequence (dynamic table across blocks)', () => {
    const d = new HpackDecoder();
    expect(decodeAll(d, '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(decodeAll(d, '8286 84be 5808 6e6f 2d63 6163 6865')).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(decodeAll(d, '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('decodes the RFC 7541 C.4.1 request (Huffman strings)', () => {
    expect(decodeAll(new HpackDecoder(), '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
  });

  it('evicts the oldest entries when the table is full, and honours size updates', () => {
    const d = new HpackDecoder(64);
    // Two literal-with-indexing entries of 32 + 2 bytes each fit in 64? 34 + 34 = 68 > 64: the first is evicted.
    decodeAll(d, '40 01 61 01 31'); // a: 1
    decodeAll(d, '40 01 62 01 32'); // b: 2
    expect(decodeAll(d, 'be')).toEqual([['b', '2']]); // index 62 is the newest
    expect(() => decodeAll(d, 'bf')).toThrow(HpackError); // index 63 was evicted
    // A size update to 0 empties the table.
    decodeAll(d, '20');
    expect(() => decodeAll(d, 'be')).toThrow(HpackError);
    // Above our SETTINGS_HEADER_TABLE_SIZE: a compression error.
    expect(() => decodeAll(d, '3f e2 1f')).toThrow(/above/);
  });

  it('throws HpackError (never anything else) on truncated or malformed blocks', () => {
    for (const hex of ['ff', '40', '4005', '0f', '00 85 f1 e3', '80', '00 01 61 81 00', '3f ff ff ff ff ff']) {
      expect(() => decodeAll(new HpackDecoder(), hex), hex).toThrow(HpackError);
    }
  });
});
