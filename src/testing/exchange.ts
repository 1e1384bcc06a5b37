import type http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { ApnsConnState } from './handlers.js';
import type { LogEntry } from './recorder.js';

const { NGHTTP2_REFUSED_STREAM } = http2.constants;

/** One client connection (an HTTP/2 session or an HTTP/1.1 socket) and what the server keeps about it. */
export interface Conn {
  id: number;
  h2: http2.ServerHttp2Session | undefined;
  socket: Socket;
  /** Open streams by id (HTTP/2). */
  open: Map<number, Pending>;
  active: number;
  /** Set once this session was sent GOAWAY: streams above it are not processed. */
  goawayLast: number | undefined;
  /** Highest stream id the client opened on this session. */
  maxStreamId: number;
  apns: ApnsConnState;
  /** The session still runs with the cold-start stream limit (`apnsColdStart`). */
  cold: boolean;
  /** The session runs with a stream limit of 1 after an APNs error (`apnsThrottleOnError`). */
  throttled: boolean;
}

/** A request being processed. */
export interface Pending {
  entry: LogEntry;
  ex: Exchange;
}

/** One request/response over either protocol. */
export interface Exchange {
  proto: 'h2' | 'h1';
  conn: Conn;
  streamId: number | undefined;
  done: boolean;
  isClosed(): boolean;
  respond(status: number, headers: Record<string, string> | undefined, body: string | undefined): void;
  refuse(): void;
  destroy(): void;
}


/**
 * Ends a connection with a TCP RST (the client sees ECONNRESET); a TLS socket is reset through its TCP
 * socket. `socket` may be an HTTP/2 session's socket proxy, which forbids `destroy` but forwards other
 * members to the real socket; `fallback` ends the connection if no reset is possible.
 */
export function resetSocket(socket: Socket, fallback: () => void = () => socket.destroy()): void {
  try {
    const raw = ((socket as Socket & { _parent?: Socket | null })._parent ?? socket) as Socket;
    raw.resetAndDestroy();
  } catch {
    fallback();
  }
}

/** The exchange of one HTTP/2 stream. */
export function h2Exchange(stream: http2.ServerHttp2Stream, session: http2.ServerHttp2Session, conn: Conn): Exchange {
  return {
    proto: 'h2',
    conn,
    streamId: stream.id,
    done: false,
    isClosed: () => stream.destroyed || stream.closed,
    respond(status, headers, body) {
      const out: http2.OutgoingHttpHeaders = { ':status': status, ...headers };
      if (body === undefined) stream.respond(out, { endStream: true });
      else {
        stream.respond(out);
        stream.end(body);
      }
    },
    refuse: () => stream.close(NGHTTP2_REFUSED_STREAM),
    destroy: () => resetSocket(session.socket as unknown as Socket, () => session.destroy()),
  };
}

/** The exchange of one HTTP/1.1 request (GOAWAY and refused streams have no HTTP/1.1 form: they reset the connection). */
export function h1Exchange(res: http.ServerResponse, socket: Socket, conn: Conn): Exchange {
  return {
    proto: 'h1',
    conn,
    streamId: undefined,
    done: false,
    isClosed: () => socket.destroyed,
    respond(status, headers, body) {
      res.writeHead(status, headers);
      res.end(body);
    },
    refuse: () => resetSocket(socket),
    destroy: () => resetSocket(socket),
  };
}

/** Collects a request body up to `maxBytes`; `done` gets the body and whether more was sent. */
export function readBody(source: NodeJS.ReadableStream, maxBytes: number, done: (body: Buffer, tooLarge: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  source.on('data', (c: Buffer) => {
    size += c.length;
    if (size > maxBytes) tooLarge = true;
    else chunks.push(c);
  });
  source.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), tooLarge));
}
