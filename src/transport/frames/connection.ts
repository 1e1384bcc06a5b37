/**
 * One HTTP/2 client connection, framed by hand over a node:tls (or node:net, for h2c) socket.
 *
 * Why by hand: node:http2 costs ~120 µs of CPU per request on Node 20 (a Duplex stream, an
 * AsyncResource bound per request through two `deprecate()` wrappers, several nextTicks), undici's H2
 * client is built on it, and no maintained npm package speaks HTTP/2 without it. A push sender needs a
 * narrow slice of the protocol (POST small requests, read small responses), which this implements in
 * full: SETTINGS, both levels of send flow control, MAX_CONCURRENT_STREAMS (excess requests queue here),
 * HPACK decoding with the dynamic table and Huffman strings, CONTINUATION, RST_STREAM, GOAWAY with its
 * last stream id, PING both ways. Not implemented, because a push client never needs them: server push
 * (disabled in our SETTINGS), priorities (ignored), trailers we send, request bodies larger than the
 * windows the peer opens (they wait for WINDOW_UPDATE).
 *
 * Writes of one event-loop turn leave in one socket write (`setImmediate` flush).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions, type TLSSocket } from 'node:tls';
import { unwatchAbort, watchAbort, type Abortable } from '../abort-watch.js';
import { goawayReason } from '../goaway-reason.js';
import type { GoawayInfo, Job, StreamFailure } from '../h2-exchange.js';
import { TransportError } from '../transport-error.js';
import type { RawResponse } from '../types.js';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  Flag,
  FrameType,
  goawayFrame,
  H2Error,
  MAX_WINDOW,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
  frame,
} from './frame.js';
import { HpackDecoder, HpackError } from './hpack.js';
import { requestFrames } from './request-block.js';

/** The pool's side of a connection. */
export interface ConnectionOwner {
  /** A request settled, either way (bookkeeping). */
  settled(s: FrameStream): void;
  /** A request got no response: re-send it or reject it. */
  failed(job: Job, failure: StreamFailure): void;
  /** The connection is gone (its requests have all settled). */
  closed(conn: H2Connection): void;
}

export interface H2ConnectionOptions {
  origin: URL;
  tls?: TlsOptions;
  maxBodyBytes: number;
  timeoutMs: number;
}

/** How long an ended connection waits for the peer to end its side before the socket is destroyed. */
const LINGER_MS = 1000;

/** Our receive window for the connection: opened once at the start, topped up when half is used. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;

/** One request on a connection. */
export class FrameStream implements Abortable {
  id = 0;
  status = 0;
  headers: Record<string, string> | undefined;
  chunks: Buffer[] | undefined;
  bytes = 0;
  /** Its frames were handed to the socket. */
  written = false;
  settled = false;
  /** Body bytes sent so far (flow control), and the peer's window for this stream. */
  sent = 0;
  sendWindow = 0;
  readonly deadline: number;

  constructor(
    readonly conn: H2Connection,
    readonly job: Job,
    readonly block: Buffer,
    readonly body: Buffer,
    now: number,
  ) {
    this.deadline = now + conn.opts.timeoutMs;
  }

  aborted(reason: unknown): void {
    this.conn.cancel(this, new TransportError('Request aborted', { code: 'ABORT_ERR', requestSent: this.written || this.id !== 0, cause: reason }));
  }
}

let pingCounter = 0;

/** Payload sizes fixed by RFC 9113 (negative: at least that many bytes). */
const FIXED_SIZE: Partial<Record<number, number>> = {
  [FrameType.PRIORITY]: 5,
  [FrameType.RST_STREAM]: 4,
  [FrameType.PING]: 8,
  [FrameType.GOAWAY]: -8,
  [FrameType.WINDOW_UPDATE]: 4,
};

export class H2Connection {
  readonly socket: Socket | TLSSocket;
  connecting = true;
  /** No new streams: GOAWAY received or sent, the socket failed, or stream ids ran out. */
  draining = false;
  destroyed = false;
  goaway?: GoawayInfo;
  /** Why the pool gave the connection up for dead, if it did. */
  lost?: string;
  /** Requests settled here so far (the pool's liveness check compares it across sweeps). */
  settledCount = 0;

  readonly #owner: ConnectionOwner;
  readonly #streams = new Map<number, FrameStream>();
  /** Requests waiting for the peer's MAX_CONCURRENT_STREAMS. */
  #queue: FrameStream[] = [];
  /** Streams whose body waits for a WINDOW_UPDATE. */
  #blocked: FrameStream[] = [];
  #nextId = 1;
  #peerMaxStreams = Infinity;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #sendWindow = DEFAULT_WINDOW;
  #recvUnacked = 0;
  readonly #streamWindow: number;
  #out: Buffer[] = [];
  #outStreams: FrameStream[] = [];
  #flushScheduled = false;
  readonly #decoder = new HpackDecoder();
  #partial: Buffer | undefined;
  /** A header block split over CONTINUATION frames: its stream, HEADERS flags and pieces. */
  #cont: { id: number; flags: number; parts: Buffer[] } | undefined;
  readonly #pings = new Map<number, { at: number; cb: (err: Error | null, ms: number) => void }>();
  #error: Error | undefined;
  /** The socket's 'close' was handled. */
  #closed = false;

  constructor(
    readonly opts: H2ConnectionOptions,
    owner: ConnectionOwner,
  ) {
    this.#owner = owner;
    // Room for a response body up to the cap (larger ones are cancelled there).
    this.#streamWindow = Math.min(MAX_WINDOW, Math.max(DEFAULT_WINDOW, opts.maxBodyBytes + DEFAULT_MAX_FRAME));
    const { origin } = opts;
    const port = Number(origin.port) || (origin.protocol === 'http:' ? 80 : 443);
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    if (origin.protocol === 'http:') {
      this.socket = netConnect({ host, port, noDelay: true }, () => this.#onConnect());
    } else {
      const servername = opts.tls?.servername ?? (/^[\d.]+$|:/.test(host) ? undefined : host);
      this.socket = tlsConnect({ ...opts.tls, host, port, ALPNProtocols: ['h2'], ...(servername ? { servername } : {}) }, () => this.#onConnect());
      this.socket.setNoDelay(true);
    }
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.socket.on('error', (err) => {
      this.#error ??= err;
    });
    this.socket.on('end', () => this.socket.destroy());
    this.socket.on('close', () => this.#onClose());
  }

  /** Requests in flight or queued here. */
  get inflight(): number {
    return this.#streams.size + this.#queue.length;
  }

  /** Can take a new request. */
  get usable(): boolean {
    return !this.draining && !this.destroyed;
  }

  /** Starts `job` (or queues it behind the peer's stream limit). Never throws. */
  request(job: Job, block: Buffer, body: Buffer, now: number): FrameStream {
    const s = new FrameStream(this, job, block, body, now);
    if (job.signal) watchAbort(job.signal, s);
    if (this.#streams.size < this.#peerMaxStreams) this.#start(s);
    else this.#queue.push(s);
    return s;
  }

  /** Sends a PING; `cb` gets the round trip in ms, or an error when the connection closes first. */
  ping(cb: (err: Error | null, ms: number) => void): void {
    if (this.destroyed) return cb(new Error('connection closed'), 0);
    const id = ++pingCounter;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(id, 4);
    this.#pings.set(id, { at: performance.now(), cb });
    this.#write(frame(FrameType.PING, 0, 0, payload));
  }

  /** Settles `s` with `error` (abort, timeout) and cancels it on the wire if it went out. */
  cancel(s: FrameStream, error: TransportError): void {
    if (s.settled) return;
    if (s.id !== 0 && !this.destroyed) this.#write(rstStreamFrame(s.id, H2Error.CANCEL));
    this.#finish(s);
    this.#owner.failed(s.job, { retryable: false, error });
  }

  /**
   * A request passed its deadline. One that never went out means the connection is stuck (e.g. a
   * handshake that never ends): the connection is destroyed so the others fail fast and new requests
   * reconnect.
   */
  expire(s: FrameStream): void {
    const sent = s.written;
    this.cancel(s, new TransportError(`No response within ${this.opts.timeoutMs} ms`, { code: 'ETIMEDOUT', requestSent: sent }));
    if (!sent) this.destroy();
  }

  /** No new streams; the socket ends once the in-flight ones are done. */
  close(): void {
    this.draining = true;
    this.#endIfIdle();
  }

  /** Tears the connection down now: every request in flight fails (see `#onClose`). */
  destroy(lost?: string): void {
    if (lost) this.lost ??= lost;
    this.draining = true;
    this.destroyed = true;
    this.socket.destroy();
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  // ---- sending ------------------------------------------------------------------------------

  #start(s: FrameStream): void {
    if (this.#nextId > MAX_WINDOW - 2) {
      // Stream ids ran out: this connection takes no more; the request goes elsewhere.
      this.draining = true;
      this.#finish(s);
      return this.#owner.failed(s.job, { retryable: true, error: new TransportError('Stream ids exhausted', { code: 'ERR_HTTP2_INVALID_SESSION', requestSent: false }) });
    }
    s.id = this.#nextId;
    this.#nextId += 2;
    s.sendWindow = this.#peerInitialWindow;
    this.#streams.set(s.id, s);
    const room = Math.min(s.body.length, this.#sendWindow, s.sendWindow, this.#peerMaxFrame);
    this.#sendWindow -= room;
    s.sendWindow -= room;
    s.sent = room;
    this.#out.push(requestFrames(s.id, s.block, s.body, room, this.#peerMaxFrame));
    this.#outStreams.push(s);
    if (s.sent < s.body.length) this.#blocked.push(s);
    this.#schedule();
  }

  /** Sends what the windows allow of blocked bodies. */
  #pump(): void {
    if (this.#blocked.length === 0) return;
    const still: FrameStream[] = [];
    for (const s of this.#blocked) {
      if (s.settled) continue;
      while (s.sent < s.body.length) {
        const n = Math.min(s.body.length - s.sent, this.#sendWindow, s.sendWindow, this.#peerMaxFrame);
        if (n <= 0) break;
        const buf = Buffer.allocUnsafe(9 + n);
        writeFrameHeader(buf, 0, n, FrameType.DATA, s.sent + n === s.body.length ? Flag.END_STREAM : 0, s.id);
        s.body.copy(buf, 9, s.sent, s.sent + n);
        this.#sendWindow -= n;
        s.sendWindow -= n;
        s.sent += n;
        this.#out.push(buf);
      }
      if (s.sent < s.body.length) still.push(s);
    }
    this.#blocked = still;
    this.#schedule();
  }

  #write(buf: Buffer): void {
    this.#out.push(buf);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushScheduled || this.connecting) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.socket.destroyed || this.#out.length === 0) return;
    const out = this.#out;
    this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    this.#out = [];
    for (const s of this.#outStreams) s.written = true;
    this.#outStreams = [];
  }

  #onConnect(): void {
    if (this.opts.origin.protocol === 'https:' && (this.socket as TLSSocket).alpnProtocol !== 'h2') {
      this.#error = new Error(`the server at ${this.opts.origin.host} did not negotiate HTTP/2 (ALPN)`);
      return this.destroy();
    }
    this.connecting = false;
    const open = [
      PREFACE,
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.MAX_CONCURRENT_STREAMS, 0],
        [Setting.INITIAL_WINDOW_SIZE, this.#streamWindow],
      ]),
      windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW),
    ];
    this.#out.unshift(...open);
    this.#flush();
  }

  // ---- receiving ----------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.#partial) {
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = undefined;
    }
    let p = 0;
    try {
      while (buf.length - p >= 9) {
        const len = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
        if (len > DEFAULT_MAX_FRAME) return this.#protocolError(H2Error.FRAME_SIZE_ERROR, `frame of ${len} bytes`);
        if (buf.length - p < 9 + len) break;
        const type = buf[p + 3]!;
        const flags = buf[p + 4]!;
        const id = buf.readUInt32BE(p + 5) & 0x7fffffff;
        this.#frame(type, flags, id, buf, p + 9, p + 9 + len);
        if (this.destroyed) return;
        p += 9 + len;
      }
    } catch (err) {
      return this.#protocolError(err instanceof HpackError ? H2Error.COMPRESSION_ERROR : H2Error.PROTOCOL_ERROR, (err as Error).message);
    }
    if (p < buf.length) this.#partial = buf.subarray(p);
  }

  #frame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (this.#cont && type !== FrameType.CONTINUATION) throw new Error('expected CONTINUATION');
    const size = FIXED_SIZE[type];
    if (size !== undefined && (size < 0 ? end - start < -size : end - start !== size)) throw new Error(`bad frame length ${end - start} for type ${type}`);
    switch (type) {
      case FrameType.DATA:
        return this.#onDataFrame(flags, id, buf, start, end);
      case FrameType.HEADERS: {
        if (id === 0) throw new Error('HEADERS on stream 0');
        let s = start;
        let e = end;
        if (flags & Flag.PADDED) {
          e -= buf[s]!;
          s++;
        }
        if (flags & Flag.PRIORITY) s += 5;
        if (s > e) throw new Error('bad HEADERS padding');
        if (flags & Flag.END_HEADERS) return this.#onHeaders(id, flags, buf, s, e);
        this.#cont = { id, flags, parts: [Buffer.from(buf.subarray(s, e))] };
        return;
      }
      case FrameType.CONTINUATION: {
        const c = this.#cont;
        if (!c || c.id !== id) throw new Error('unexpected CONTINUATION');
        c.parts.push(Buffer.from(buf.subarray(start, end)));
        if (flags & Flag.END_HEADERS) {
          this.#cont = undefined;
          const block = Buffer.concat(c.parts);
          this.#onHeaders(id, c.flags, block, 0, block.length);
        }
        return;
      }
      case FrameType.RST_STREAM:
        return this.#onReset(id, buf.readUInt32BE(start));
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        if ((end - start) % 6 !== 0) throw new Error('bad SETTINGS length');
        for (let p = start; p < end; p += 6) this.#setting(buf.readUInt16BE(p), buf.readUInt32BE(p + 2));
        this.#write(frame(FrameType.SETTINGS, Flag.ACK, 0));
        this.#startQueued();
        this.#pump();
        return;
      case FrameType.PUSH_PROMISE:
        throw new Error('PUSH_PROMISE although push is disabled');
      case FrameType.PING:
        if (flags & Flag.ACK) {
          const ping = this.#pings.get(buf.readUInt32BE(start + 4));
          if (ping) {
            this.#pings.delete(buf.readUInt32BE(start + 4));
            ping.cb(null, performance.now() - ping.at);
          }
        } else this.#write(frame(FrameType.PING, Flag.ACK, 0, Buffer.from(buf.subarray(start, end))));
        return;
      case FrameType.GOAWAY:
        return this.#onGoaway(buf.readUInt32BE(start) & 0x7fffffff, buf.readUInt32BE(start + 4), buf.subarray(start + 8, end));
      case FrameType.WINDOW_UPDATE: {
        const inc = buf.readUInt32BE(start) & 0x7fffffff;
        if (id === 0) {
          this.#sendWindow += inc;
          if (inc === 0 || this.#sendWindow > MAX_WINDOW) throw new Error('bad connection WINDOW_UPDATE');
        } else {
          const s = this.#streams.get(id);
          if (s) s.sendWindow += inc;
        }
        this.#pump();
        return;
      }
      default:
        return; // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.5)
    }
  }

  #setting(id: number, value: number): void {
    if (id === Setting.MAX_CONCURRENT_STREAMS) this.#peerMaxStreams = value;
    else if (id === Setting.INITIAL_WINDOW_SIZE) {
      if (value > MAX_WINDOW) throw new Error('INITIAL_WINDOW_SIZE too large');
      const delta = value - this.#peerInitialWindow;
      this.#peerInitialWindow = value;
      for (const s of this.#streams.values()) s.sendWindow += delta;
    } else if (id === Setting.MAX_FRAME_SIZE) {
      if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new Error('bad MAX_FRAME_SIZE');
      this.#peerMaxFrame = value;
    }
  }

  #onDataFrame(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    // Every DATA byte counts against our connection window, whatever happens to its stream.
    this.#recvUnacked += end - start;
    if (this.#recvUnacked >= CONNECTION_WINDOW / 2) {
      this.#write(windowUpdateFrame(0, this.#recvUnacked));
      this.#recvUnacked = 0;
    }
    const s = this.#streams.get(id);
    if (!s || s.settled) return;
    let from = start;
    let to = end;
    if (flags & Flag.PADDED) {
      to -= buf[from]!;
      from++;
    }
    if (s.status === 0) {
      this.#write(rstStreamFrame(id, H2Error.PROTOCOL_ERROR));
      return this.#fail(s, false, new TransportError('DATA before the response headers', { code: 'ECONNRESET', requestSent: true }));
    }
    const room = this.opts.maxBodyBytes - s.bytes;
    const len = to - from;
    if (len > 0) {
      // Copied: the socket's chunk is not kept alive by a body slice.
      const piece = Buffer.from(buf.subarray(from, from + Math.min(len, Math.max(room, 0))));
      (s.chunks ??= []).push(piece);
      s.bytes += piece.length;
    }
    if (len > room) {
      this.#respond(s, true);
      // RST_STREAM(CANCEL): the server stops sending, and what is already on the way is dropped.
      this.#write(rstStreamFrame(id, H2Error.CANCEL));
      return;
    }
    if (flags & Flag.END_STREAM) this.#respond(s, false);
  }

  #onHeaders(id: number, flags: number, block: Buffer, start: number, end: number): void {
    // Decoded even for a stream we no longer track: the HPACK table must see every block.
    const s = this.#streams.get(id);
    let status = 0;
    let headers: Record<string, string> | undefined;
    this.#decoder.decode(block, start, end, (name, value) => {
      if (name.charCodeAt(0) === 58 /* ':' */) {
        if (name === ':status') status = Number(value);
        return;
      }
      headers ??= {};
      const had = headers[name];
      headers[name] = had === undefined ? value : `${had}, ${value}`;
    });
    if (!s || s.settled) return;
    if (s.status === 0) {
      if (status >= 100 && status < 200) return; // informational (100 Continue, 103 Early Hints)
      if (!(status >= 200 && status < 600)) {
        this.#write(rstStreamFrame(id, H2Error.PROTOCOL_ERROR));
        return this.#fail(s, false, new TransportError(`Malformed response status ${JSON.stringify(status)}`, { code: 'ECONNRESET', requestSent: true }));
      }
      s.status = status;
      s.headers = headers ?? {};
    } // else trailers: ignored
    if (flags & Flag.END_STREAM) this.#respond(s, false);
  }

  #onReset(id: number, code: number): void {
    const s = this.#streams.get(id);
    if (!s || s.settled) return;
    if (code === H2Error.REFUSED_STREAM) {
      return this.#cut(s, true, new TransportError('Stream refused by the server (not processed)', { code: 'ERR_HTTP2_REFUSED_STREAM', requestSent: false }));
    }
    if (s.status !== 0 && code === H2Error.NO_ERROR) return this.#respond(s, false);
    this.#cut(s, false, new TransportError(`Stream closed before the response (rst ${code})`, { code: 'ECONNRESET', requestSent: true }));
  }

  #onGoaway(lastStreamId: number, errorCode: number, debug: Buffer): void {
    this.draining = true;
    const reason = goawayReason(debug) ?? this.goaway?.reason;
    const goaway: GoawayInfo = { errorCode: this.goaway?.errorCode || errorCode, lastStreamId: Math.min(lastStreamId, this.goaway?.lastStreamId ?? Infinity) };
    if (reason) goaway.reason = reason;
    this.goaway = goaway;
    const why = reason ? ` (${reason})` : '';
    for (const s of [...this.#streams.values()]) {
      if (s.id > goaway.lastStreamId) {
        this.#cut(s, true, new TransportError(`GOAWAY above last stream id ${goaway.lastStreamId} (not processed)${why}`, { code: 'ERR_HTTP2_GOAWAY_SESSION', requestSent: false, goaway }));
      }
    }
    this.#failQueued(new TransportError(`Stream never opened${why}`, { code: 'ERR_HTTP2_GOAWAY_SESSION', requestSent: false, goaway }));
    this.#endIfIdle();
  }

  #protocolError(code: H2Error, message: string): void {
    this.#error ??= new Error(`HTTP/2 protocol error: ${message}`);
    if (!this.socket.destroyed) this.socket.write(goawayFrame(0, code));
    this.destroy();
  }

  // ---- settling -----------------------------------------------------------------------------

  #respond(s: FrameStream, truncated: boolean): void {
    const c = s.chunks;
    const body = c === undefined ? '' : (c.length === 1 ? c[0]! : Buffer.concat(c)).toString('utf8');
    const res: RawResponse = { status: s.status, headers: s.headers ?? {}, body };
    if (truncated) res.truncated = true;
    if (s.sent < s.body.length) this.#write(rstStreamFrame(s.id, H2Error.CANCEL)); // answered before its body was sent
    this.#finish(s);
    s.job.resolve(res);
  }

  /**
   * The stream ended early. Once its final status has arrived the server has processed the request, whatever
   * a later GOAWAY or RST_STREAM claims (a server that answers and then sends GOAWAY with a lower last stream
   * id drops the body it queued): the status stands, with the body marked truncated. Before that, it fails.
   */
  #cut(s: FrameStream, retryable: boolean, error: TransportError): void {
    if (s.status !== 0) this.#respond(s, true);
    else this.#fail(s, retryable, error);
  }

  #fail(s: FrameStream, retryable: boolean, error: TransportError): void {
    this.#finish(s);
    this.#owner.failed(s.job, { retryable, error });
  }

  #finish(s: FrameStream): void {
    s.settled = true;
    if (s.job.signal) unwatchAbort(s.job.signal, s);
    if (s.id !== 0) this.#streams.delete(s.id);
    else {
      const i = this.#queue.indexOf(s);
      if (i !== -1) this.#queue.splice(i, 1);
    }
    this.settledCount++;
    this.#owner.settled(s);
    this.#startQueued();
    this.#endIfIdle();
  }

  #startQueued(): void {
    while (this.#queue.length > 0 && this.#streams.size < this.#peerMaxStreams && !this.draining) this.#start(this.#queue.shift()!);
  }

  #failQueued(error: TransportError): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const s of queued) {
      s.settled = true;
      if (s.job.signal) unwatchAbort(s.job.signal, s);
      this.settledCount++;
      this.#owner.settled(s);
      this.#owner.failed(s.job, { retryable: true, error });
    }
  }

  /**
   * A draining connection with nothing left on it says GOAWAY and ends its side. A peer that never ends
   * its own side (a node:http2 server that sent GOAWAY keeps the session half open) is cut after
   * LINGER_MS, so `close()` always finishes.
   */
  #endIfIdle(): void {
    if (this.draining && !this.socket.destroyed && !this.socket.writableEnded && this.#streams.size === 0 && this.#queue.length === 0) {
      if (this.connecting) return void this.socket.destroy(); // nothing sent yet, nothing to say
      this.#write(goawayFrame(0, H2Error.NO_ERROR));
      this.#flush();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.destroyed = true;
    this.draining = true;
    const goaway = this.goaway;
    const why = this.#error ? `: ${this.#error.message}` : '';
    for (const s of [...this.#streams.values()]) {
      if (!s.written) this.#fail(s, true, new TransportError(`Connection closed before the request was sent${why}`, { code: goaway ? 'ERR_HTTP2_GOAWAY_SESSION' : 'ERR_HTTP2_INVALID_SESSION', requestSent: false, cause: this.#error }));
      else if (goaway && s.id > goaway.lastStreamId) this.#cut(s, true, new TransportError(`GOAWAY above last stream id ${goaway.lastStreamId} (not processed)`, { code: 'ERR_HTTP2_GOAWAY_SESSION', requestSent: false, goaway }));
      else {
        const message = goaway
          ? `Connection closed by GOAWAY${goaway.reason ? ` (${goaway.reason})` : ''} before the response`
          : this.lost
            ? `Connection lost before the response: ${this.lost}`
            : `Connection closed before the response${why}`;
        this.#cut(s, false, new TransportError(message, { code: 'ECONNRESET', requestSent: true, ...(goaway ? { goaway } : {}), cause: this.#error }));
      }
    }
    this.#failQueued(new TransportError(`Connection closed${why}`, { code: 'ERR_HTTP2_INVALID_SESSION', requestSent: false, cause: this.#error }));
    for (const p of this.#pings.values()) p.cb(new Error('connection closed'), 0);
    this.#pings.clear();
    this.#out = [];
    this.#owner.closed(this);
  }
}
