/**
 * Body decoding for classification: strings, Buffers/Uint8Arrays, ArrayBuffers, parsed objects and arrays.
 * Only the first `MAX_BODY_BYTES` are ever parsed: a larger body is classified by its status alone.
 * Invalid UTF-8 is replaced, HTML and other non-JSON text is kept as text (never parsed).
 */

/** Bodies larger than this (bytes or UTF-16 units) are not parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

export interface DecodedBody {
  /** Parsed JSON or the caller's object; undefined when absent, too large or not JSON. */
  json: unknown;
  /** The raw text when the body was text that is not JSON (HTML from a proxy, plain text). */
  text: string | undefined;
  /** The body was larger than `MAX_BODY_BYTES` and was not read. */
  tooLarge: boolean;
}

const EMPTY: DecodedBody = Object.freeze({ json: undefined, text: undefined, tooLarge: false });
const TOO_LARGE: DecodedBody = Object.freeze({ json: undefined, text: undefined, tooLarge: true });

export function decodeBody(body: unknown): DecodedBody {
  if (body === undefined || body === null) return EMPTY;
  if (typeof body === 'string') return fromText(body);
  if (typeof body !== 'object') return EMPTY;
  if (body instanceof Uint8Array) {
    if (body.byteLength > MAX_BODY_BYTES) return TOO_LARGE;
    return fromText(decoder.decode(body));
  }
  if (body instanceof ArrayBuffer) {
    if (body.byteLength > MAX_BODY_BYTES) return TOO_LARGE;
    return fromText(decoder.decode(new Uint8Array(body)));
  }
  return { json: body, text: undefined, tooLarge: false };
}

/** Parses text that looks like JSON; anything else is kept as text. */
export function fromText(s: string): DecodedBody {
  if (s.length > MAX_BODY_BYTES) return TOO_LARGE;
  let i = 0;
  let c = s.charCodeAt(0);
  // skip BOM and whitespace
  while (c === 0xfeff || c === 32 || c === 9 || c === 10 || c === 13) c = s.charCodeAt(++i);
  if (c === 123 /* { */ || c === 91 /* [ */ || c === 34 /* " */) {
    try {
      return { json: JSON.parse(i === 0 ? s : s.slice(i)), text: undefined, tooLarge: false };
    } catch {
      // not JSON after all
    }
  }
  return s.length === 0 ? EMPTY : { json: undefined, text: s, tooLarge: false };
}

/** Parses a JSON string embedded in a field (HMS `msg`), capped; undefined on failure. */
export function parseEmbedded(s: unknown): unknown {
  if (typeof s !== 'string' || s.length > MAX_BODY_BYTES) return undefined;
  const d = fromText(s);
  return d.json;
}
