/**
 * HPACK (RFC 7541) for one HTTP/2 client connection.
 *
 * Encoding (request-block.ts): every header is a literal without indexing (static-table names where
 * there is one), so the encoder keeps no state and the peer's SETTINGS_HEADER_TABLE_SIZE never
 * matters; the constant start of a request's block is built once per origin (below).
 * Decoding: the full format (static and dynamic table, size updates, Huffman strings), because the
 * server chooses how it encodes.
 */
import { huffmanDecode } from './huffman.js';

/** RFC 7541 Appendix A. Index i + 1 is `STATIC[i]`. */
const STATIC: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

export class HpackError extends Error {
  override name = 'HpackError';
}

/** The HPACK decoding context of one connection (its dynamic table). */
export class HpackDecoder {
  /** Newest first. */
  readonly #table: [string, string][] = [];
  #size = 0;
  #max: number;
  /** The most a size update may ask for: our SETTINGS_HEADER_TABLE_SIZE. */
  readonly #limit: number;

  constructor(maxTableSize = 4096) {
    this.#max = maxTableSize;
    this.#limit = maxTableSize;
  }

  /**
   * Decodes one complete header block into `emit(name, value)` calls, in order. Throws `HpackError` on
   * a malformed block (a connection error: the table can no longer be trusted).
   */
  decode(buf: Buffer, start: number, end: number, emit: (name: string, value: string) => void): void {
    let p = start;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let v = buf[p++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        if (p >= end) throw new HpackError('truncated integer');
        const b = buf[p++]!;
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if ((b & 0x80) === 0) break;
        if (m > 28) throw new HpackError('integer too large');
      }
      return v;
    };
    const str = (): string => {
      if (p >= end) throw new HpackError('truncated string');
      const huffman = (buf[p]! & 0x80) !== 0;
      const len = int(7);
      if (p + len > end) throw new HpackError('truncated string');
      const s = huffman ? huffmanDecode(buf, p, p + len) : buf.toString('latin1', p, p + len);
      if (s === undefined) throw new HpackError('bad Huffman string');
      p += len;
      return s;
    };
    while (p < end) {
      const b = buf[p]!;
      if (b & 0x80) {
        const [name, value] = this.#entry(int(7));
        emit(name, value);
      } else if (b & 0x40) {
        const index = int(6);
        const name = index === 0 ? str() : this.#entry(index)[0];
        const value = str();
        this.#add(name, value);
        emit(name, value);
      } else if (b & 0x20) {
        const size = int(5);
        if (size > this.#limit) throw new HpackError(`table size update ${size} above ${this.#limit}`);
        this.#max = size;
        this.#evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001): 4-bit prefix either way.
        const index = int(4);
        const name = index === 0 ? str() : this.#entry(index)[0];
        emit(name, str());
      }
    }
  }

  #entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC.length) return STATIC[index - 1]!;
    const e = this.#table[index - STATIC.length - 1];
    if (e === undefined) throw new HpackError(`index ${index} not in the table`);
    return e;
  }

  #add(name: string, value: string): void {
    const size = name.length + value.length + 32;
    this.#evict(size);
    if (size <= this.#max) {
      this.#table.unshift([name, value]);
      this.#size += size;
    }
  }

  /** Evicts the oldest entries until `room` more bytes fit (or the table is empty). */
  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#max) {
      const [n, v] = this.#table.pop()!;
      this.#size -= n.length + v.length + 32;
    }
  }
}

/** `:method: POST` and `:scheme` indexed from the static table, `:authority` as a literal without
 * indexing (static name 1): the start of every request's header block to one origin. */
export function encodeRequestPrefix(scheme: 'http' | 'https', authority: string): Buffer {
  const a = Buffer.from(authority, 'latin1');
  if (a.length >= 127) throw new RangeError('authority too long');
  return Buffer.concat([Buffer.from([0x80 | 3, 0x80 | (scheme === 'https' ? 7 : 6), 0x01, a.length]), a]);
}
