/**
 * Builds the frames of one POST: HEADERS (+ CONTINUATION when the block is larger than a frame) and,
 * when the body fits the send windows, its DATA frame, into one buffer.
 */
import { TransportError } from '../transport-error.js';
import { Flag, FrameType, writeFrameHeader } from './frame.js';

/** Static-table index of a header name (RFC 7541 Appendix A) for the names requests carry. */
const NAME_INDEX: Record<string, number> = { authorization: 23, 'content-type': 31, 'content-length': 28, 'user-agent': 58, accept: 19 };

/** Bytes of an HPACK integer with an n-bit prefix. */
function intLength(v: number, prefix: number): number {
  const max = (1 << prefix) - 1;
  if (v < max) return 1;
  let n = 2;
  for (v -= max; v >= 128; v = Math.floor(v / 128)) n++;
  return n;
}

function writeInt(buf: Buffer, at: number, v: number, prefix: number, first: number): number {
  const max = (1 << prefix) - 1;
  if (v < max) {
    buf[at] = first | v;
    return at + 1;
  }
  buf[at++] = first | max;
  for (v -= max; v >= 128; v = Math.floor(v / 128)) buf[at++] = (v % 128) | 128;
  buf[at] = v;
  return at + 1;
}

/** A header value may hold visible ASCII, space, tab and obs-text; never NUL, CR, LF or non-Latin-1. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Throws a TransportError (not sent) for a header the server would reject or that could split a field. */
export function checkHeaders(path: string, headers: Record<string, string>): void {
  if (BAD_VALUE.test(path) || path.charCodeAt(0) !== 47 /* / */) throw new TransportError(`Invalid request path ${JSON.stringify(path.slice(0, 80))}`, { code: 'ERR_INVALID_CHAR', requestSent: false });
  for (const name in headers) {
    if (!TOKEN.test(name)) throw new TransportError(`Invalid header name ${JSON.stringify(name.slice(0, 80))}`, { code: 'ERR_INVALID_HTTP_TOKEN', requestSent: false });
    if (BAD_VALUE.test(headers[name]!)) throw new TransportError(`Invalid character in header "${name}"`, { code: 'ERR_INVALID_CHAR', requestSent: false });
  }
}

/**
 * The header block: `prefix` (method, scheme, authority; built once per origin), `:path`, then every
 * header as a literal without indexing. Names and values are Latin-1 (checked by `checkHeaders`).
 */
export function headerBlock(prefix: Buffer, path: string, headers: Record<string, string>): Buffer {
  let size = prefix.length + 1 + intLength(path.length, 7) + path.length;
  for (const name in headers) {
    const v = headers[name]!;
    const idx = NAME_INDEX[name];
    size += idx === undefined ? 1 + intLength(name.length, 7) + name.length : intLength(idx, 4);
    size += intLength(v.length, 7) + v.length;
  }
  const buf = Buffer.allocUnsafe(size);
  prefix.copy(buf, 0);
  let at = prefix.length;
  buf[at++] = 4; // literal without indexing, name = static index 4 (:path)
  at = writeInt(buf, at, path.length, 7, 0);
  at += buf.write(path, at, 'latin1');
  for (const name in headers) {
    const v = headers[name]!;
    const idx = NAME_INDEX[name];
    if (idx === undefined) {
      buf[at++] = 0;
      at = writeInt(buf, at, name.length, 7, 0);
      at += buf.write(name, at, 'latin1');
    } else at = writeInt(buf, at, idx, 4, 0);
    at = writeInt(buf, at, v.length, 7, 0);
    at += buf.write(v, at, 'latin1');
  }
  return buf;
}

/**
 * HEADERS (+ CONTINUATION) for `block` on `streamId`, followed by `body[0, dataLen)` as one DATA frame
 * (END_STREAM when that is the whole body). `dataLen` must fit the peer's frame size and windows; when
 * it is 0 no DATA frame is written (an empty DATA frame without END_STREAM counts as an invalid frame
 * at Node servers: CVE-2019-9518). An empty body ends the stream on the HEADERS frame.
 */
export function requestFrames(streamId: number, block: Buffer, body: Buffer, dataLen: number, maxFrame: number): Buffer {
  const headerFrames = Math.max(1, Math.ceil(block.length / maxFrame));
  const withData = body.length > 0 && dataLen > 0;
  const size = 9 * headerFrames + block.length + (withData ? 9 + dataLen : 0);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0, from = 0; i < headerFrames; i++, from += maxFrame) {
    const len = Math.min(maxFrame, block.length - from);
    const last = i === headerFrames - 1;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && body.length === 0 ? Flag.END_STREAM : 0);
    writeFrameHeader(buf, at, len, i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId);
    block.copy(buf, at + 9, from, from + len);
    at += 9 + len;
  }
  if (withData) {
    writeFrameHeader(buf, at, dataLen, FrameType.DATA, dataLen === body.length ? Flag.END_STREAM : 0, streamId);
    body.copy(buf, at + 9, 0, dataLen);
  }
  return buf;
}
