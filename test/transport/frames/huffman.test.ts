import { describe, expect, it } from 'vitest';
import { EOS, huffmanCodes, huffmanDecode } from '../../../src/transport/frames/huffman.js';

describe('HPACK Huffman code', () => {
  const { codes, lengths } = huffmanCodes();

  it('rebuilds the codes of RFC 7541 Appendix B from the code lengths', () => {
    // [symbol, code, bits] as printed in the RFC.
    const rfc: [number, number, number][] = [
      [0, 0x1ff8, 13],
      [1, 0x7fffd8, 23],
      [2, 0xfffffe2, 28],
      [10, 0x3ffffffc, 30],
      [32, 0x14, 6],
      [48, 0x0, 5],
      [97, 0x3, 5],
      [116, 0x9, 5],
      [254, 0x7fffff0, 27],
      [255, 0x3ffffee, 26],
      [EOS, 0x3fffffff, 30],
    ];
    for (const [sym, code, bits] of rfc) expect([sym, codes[sym], lengths[sym]]).toEqual([sym, code, bits]);
  });

  it('is a prefix code over all 257 symbols (Kraft sum exactly 1)', () => {
    expect(lengths).toHaveLength(257);
    expect(lengths.reduce((sum, l) => sum + 2 ** -l, 0)).toBe(1);
  });

  it('decodes the RFC 7541 C.4.1 example', () => {
    const buf = Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex');
    expect(huffmanDecode(buf, 0, buf.length)).toBe('www.example.com');
  });

  it('decodes what it encodes, for every byte value', () => {
    // Encode with the table (MSB first, padded with ones), then decode.
    const encode = (bytes: number[]): Buffer => {
      let bits = '';
      for (const b of bytes) bits += codes[b]!.toString(2).padStart(lengths[b]!, '0');
      bits += '1'.repeat((8 - (bits.length % 8)) % 8);
      return Buffer.from(bits.match(/.{8}/g)!.map((x) => parseInt(x, 2)));
    };
    const all = Array.from({ length: 256 }, (_, i) => i);
    const buf = encode(all);
    expect(huffmanDecode(buf, 0, buf.length)).toBe(String.fromCharCode(...all));
  });

  it('rejects padding that is not all ones, padding of 8 bits or more, and EOS', () => {
    // 'a' is 00011: padded with zeros instead of ones.
    expect(huffmanDecode(Buffer.from([0b00011000]), 0, 1)).toBeUndefined();
    expect(huffmanDecode(Buffer.from([0b00011111]), 0, 1)).toBe('a');
    // A whole byte of ones after a complete symbol is more than 7 bits of padding.
    expect(huffmanDecode(Buffer.from([0b00011111, 0xff]), 0, 2)).toBeUndefined();
    // EOS (30 ones) inside the string.
    expect(huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4)).toBeUndefined();
  });
});
