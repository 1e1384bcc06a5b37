/**
 * Case-insensitive header lookup over every header shape callers hold: plain objects (Node http,
 * http2 with `:status`, undici), `Headers`-like objects with `get`, `Map`s, arrays of `[name, value]`
 * pairs and undici's flat raw arrays `[name, value, name, value]`. Never throws; reads lazily (only the
 * headers a verdict needs), so the hot path does not normalise header objects it never reads.
 */

/** The first value of header `name` (lower-case), or undefined. */
export function getHeader(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  try {
    if (Array.isArray(headers)) return fromArray(headers, name);
    if (headers instanceof Map) return fromPairs(headers.entries(), name);
    const get = (headers as { get?: unknown }).get;
    if (typeof get === 'function') return first((get as (n: string) => unknown).call(headers, name));
    const direct = (headers as Record<string, unknown>)[name];
    if (direct !== undefined && Object.prototype.hasOwnProperty.call(headers, name)) return first(direct);
    for (const key of Object.keys(headers)) {
      if (key.length === name.length && key.toLowerCase() === name) return first((headers as Record<string, unknown>)[key]);
    }
  } catch {
    // A hostile getter or proxy: no header.
  }
  return undefined;
}

function fromArray(list: unknown[], name: string): string | undefined {
  if (list.length > 0 && Array.isArray(list[0])) return fromPairs(list as Iterable<unknown>, name);
  // undici raw headers: [name, value, name, value, ...] (strings or Buffers)
  for (let i = 0; i + 1 < list.length; i += 2) {
    if (text(list[i])?.toLowerCase() === name) return first(list[i + 1]);
  }
  return undefined;
}

function fromPairs(pairs: Iterable<unknown>, name: string): string | undefined {
  let n = 0;
  for (const pair of pairs) {
    if (++n > 1000) break;
    if (!Array.isArray(pair)) continue;
    if (text(pair[0])?.toLowerCase() === name) return first(pair[1]);
  }
  return undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, Math.min(v.byteLength, 256)).toString('latin1');
  return undefined;
}

function first(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return first(v[0]);
  if (v instanceof Uint8Array) return text(v);
  return undefined;
}
