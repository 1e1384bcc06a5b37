/**
 * The small HTTP/2 client contract the APNs and FCM senders share. Two implementations:
 * `H2SessionPool` (node:http2, the default) and `UndiciTransport` (undici Pool).
 */
import type { ConnectionOptions } from 'node:tls';

export interface RawRequest {
  /** Path and query, e.g. `/3/device/<token>`. */
  path: string;
  /** Lower-case header names; no pseudo-headers. */
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface RawResponse {
  status: number;
  /** Lower-case header names, pseudo-headers removed. */
  headers: Record<string, string>;
  /** The body as UTF-8 text (possibly empty), at most `maxBodyBytes` of it. */
  body: string;
  /** The body was longer than `maxBodyBytes`: `body` holds its start, the rest was discarded unread. */
  truncated?: boolean;
}

/** What a sender resolves with: the provider's answer, shaped for the classifier (`ApnsResponse`, `FcmResponse`). */
export interface ProviderResponse<P extends string> {
  provider: P;
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON (HTML from a proxy...). */
  body: unknown;
  /** The body was longer than the transport reads (64 KiB): `body` is its start, as text, unparsed. */
  bodyTruncated?: true;
}

/** Response bodies are read up to this many bytes by default (provider error bodies are under 1 KiB; the
 * classifier parses at most 1 MiB and classifies anything cut short by its status). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface Transport {
  /** One POST. Resolves with any HTTP status; rejects with a `TransportError` when there is no response. */
  request(req: RawRequest, signal?: AbortSignal): Promise<RawResponse>;
  /** Lets in-flight requests finish, then closes every connection. */
  close(): Promise<void>;
}

export interface TransportOptions {
  /** `https://host[:port]`. */
  origin: string;
  /** Connections kept to the origin. */
  connections: number;
  /** No response after this long: the stream is cancelled and the request fails as maybe delivered, ms. */
  timeoutMs: number;
  /** TLS options (`ca`, `servername`, `rejectUnauthorized`...). A `ca` replaces the default roots. */
  tls?: ConnectionOptions;
  /** Send one request alone on each new connection before the others (APNs allows one stream until a
   * valid token was seen). */
  warmUp: boolean;
  /** Requests that provably never reached the server (refused stream, above a GOAWAY's last stream id,
   * connection failed) are re-sent at once on another connection, at most this many times. */
  maxImmediateRetries: number;
  /** Streams per connection (undici `pipelining`; node:http2 follows the server's SETTINGS). */
  maxStreams?: number;
  /** Read at most this many bytes of a response body; the rest is discarded (the stream is cancelled).
   * **Default:** `DEFAULT_MAX_BODY_BYTES` (64 KiB). */
  maxBodyBytes?: number;
  /** PING an idle connection this often to keep it healthy, ms; 0 = never. */
  pingIntervalMs?: number;
}
