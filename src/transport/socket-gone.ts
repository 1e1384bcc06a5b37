/**
 * Whether the TCP connection under an HTTP/2 session is gone although the session does not know it.
 *
 * Node 20 can leave a client session open forever after the peer reset the connection: when a write
 * fails while nghttp2 has stopped reading, the error is lost, the session waits for that write to
 * finish, and nothing is read again (the socket is CLOSED in the kernel; nodejs/node#61304). No event
 * fires. `getpeername()` on the TCP handle then fails with ENOTCONN, which is cheap to ask and never
 * true of a live connection.
 *
 * This reaches into Node's internals (the TLS socket's handle wraps the TCP handle as `_parent`; over
 * h2c the socket's handle is the TCP handle), guarded: when they are not there it answers `false` and
 * the pool's PING check remains.
 */
import type { ClientHttp2Session } from 'node:http2';

interface TcpHandle {
  getpeername(out: object): number;
}

const scratch = {};

export function socketGone(session: ClientHttp2Session): boolean {
  if (session.connecting || session.destroyed) return false;
  try {
    const handle = (session.socket as unknown as { _handle?: { _parent?: unknown } | null } | undefined)?._handle;
    const tcp = (handle?._parent ?? handle) as Partial<TcpHandle> | null | undefined;
    if (typeof tcp?.getpeername !== 'function') return false;
    return tcp.getpeername(scratch) !== 0;
  } catch {
    return false;
  }
}
