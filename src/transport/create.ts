import { FramesPool } from './frames-pool.js';
import { H2SessionPool } from './h2-pool.js';
import { UndiciTransport } from './undici-transport.js';
import type { Transport, TransportOptions } from './types.js';

export type TransportKind = 'frames' | 'http2' | 'undici';

export function createTransport(kind: TransportKind, opts: TransportOptions): Transport {
  if (kind === 'frames') return new FramesPool(opts);
  if (kind === 'http2') return new H2SessionPool(opts);
  if (kind === 'undici') return new UndiciTransport(opts);
  throw new TypeError(`Expected \`transport\` to be 'http2' or 'undici', got ${JSON.stringify(kind)}.`);
}
