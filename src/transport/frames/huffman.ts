/**
 * The HPACK Huffman code (RFC 7541 Appendix B), decoding only: pushback sends its header strings as
 * plain literals, and servers (nghttp2, Apple, Google) Huffman-encode most values they send.
 *
 * The code is canonical: codes are assigned in order of (length, symbol), so the 257 code lengths
 * below define it completely (test/transport/frames/huffman.test.ts checks codes against the RFC).
 */

/** Code length in bits of symbols 0..255 (RFC 7541 Appendix B); EOS (256) is 30 bits. */
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

export const EOS = 256;

/** The canonical codes: `codes[s]` is symbol s's code, `LENGTHS[s]` bits long. */
export function huffmanCodes(): { codes: number[]; lengths: readonly number[] } {
  const order = LENGTHS.map((_, s) => s).sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
  const codes = new Array<number>(LENGTHS.length).fill(0);
  let code = 0;
  let len = LENGTHS[order[0]!]!;
  for (const s of order) {
    code *= 2 ** (LENGTHS[s]! - len); // shift left without 32-bit overflow
    len = LENGTHS[s]!;
    codes[s] = code;
    code++;
  }
  return { codes, lengths: LENGTHS };
}

/**
 * The decoding tree as flat arrays: node n's children are `tree[2n]` (bit 0) and `tree[2n+1]` (bit 1);
 * a child >= 0 is another node, `-1 - symbol` a leaf, and 0 (never a child: node 0 is the root) none.
 */
const tree = (() => {
  const { codes } = huffmanCodes();
  const t: number[] = [0, 0];
  for (let s = 0; s < LENGTHS.length; s++) {
    let node = 0;
    const len = LENGTHS[s]!;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(codes[s]! / 2 ** i) & 1;
      const at = 2 * node + bit;
      if (i === 0) t[at] = -1 - s;
      else {
        if (t[at] === 0) {
          t[at] = t.length / 2;
          t.push(0, 0);
        }
        node = t[at]!;
      }
    }
  }
  return Int32Array.from(t);
})();

/**
 * Decodes `buf[start, end)`; returns undefined when it is not a valid encoding (EOS inside, padding of
 * more than 7 bits or not all ones: RFC 7541 §5.2), which the caller treats as a compression error.
 */
export function huffmanDecode(buf: Buffer, start: number, end: number): string | undefined {
  let out = '';
  let node = 0;
  /** Bits read since the last symbol, and whether they were all ones (valid padding). */
  let pending = 0;
  let ones = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = tree[2 * node + bit]!;
      pending++;
      ones &&= bit === 1;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === EOS) return undefined;
        out += String.fromCharCode(sym);
        node = 0;
        pending = 0;
        ones = true;
      } else if (next === 0) return undefined;
      else node = next;
    }
  }
  return pending <= 7 && ones ? out : undefined;
}
