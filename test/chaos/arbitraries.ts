/**
 * fast-check generators for the bad-input suite: hostile provider responses, thrown values and
 * Retry-After headers. Codes are drawn from the shipped catalog (the source of truth) plus noise.
 */
import fc from 'fast-check';
import { catalog } from '../../src/catalog/catalog.js';
import { PROVIDERS, type ClassifyInput, type ErrorInput, type ProviderId, type ResponseInput } from '../../src/types.js';

/** The Retry-After values the issue names, plus garbage. */
export const NAMED_RETRY_AFTERS = [
  '-1',
  '1e309',
  'Thu, 01 Jan 1970 00:00:00 GMT',
  'Fri, 01 Jan 2999 00:00:00 GMT',
  '9'.repeat(40 * 1024),
  '',
  ' ',
  'NaN',
  'Infinity',
  '0x10',
  '1.5',
  '3, 4',
  '٣', // Arabic-Indic digit three
  'Wed, 31 Feb 2024 25:61:61 GMT',
  'tomorrow',
  '\u0000',
] as const;

export const retryAfterArb: fc.Arbitrary<string | number | string[] | undefined> = fc.oneof(
  fc.constantFrom(...NAMED_RETRY_AFTERS),
  fc.integer({ min: -1_000_000, max: 10_000_000 }).map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toUTCString())),
  fc.string(),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(undefined),
);

const codes = (() => {
  const fromCatalog = catalog().entries.map((e) => e.code);
  return fromCatalog.length > 0 ? fromCatalog : ['UNREGISTERED', 'UNAVAILABLE', 'BadDeviceToken', 'Unregistered', '80000000'];
})();

export const codeArb: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...codes) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });

/** Keys that pollute prototypes when an object is merged or assigned naively. */
export const POLLUTION_BODIES = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"error":{"__proto__":{"polluted":"yes"},"details":[{"__proto__":{"polluted":"yes"},"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}',
  '{"reason":"BadDeviceToken","__proto__":{"polluted":"yes"}}',
  '{"code":"80000000","msg":"x","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
  '[{"__proto__":{"polluted":"yes"}}]',
] as const;

const HTML = [
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
  '<html><body>Service Unavailable</body></html>',
  '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>',
];

/** Bytes that are not valid UTF-8 (overlongs, lone continuation bytes, surrogates, truncated sequences). */
export const invalidUtf8Arb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(Uint8Array.from([0xc0, 0xaf])),
  fc.constant(Uint8Array.from([0x7b, 0x22, 0x72, 0x65, 0x61, 0x73, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), // {"reason":"\xff\xfe"}
  fc.constant(Uint8Array.from([0xed, 0xa0, 0x80])),
  fc.constant(Uint8Array.from([0xe2, 0x82])),
  fc.uint8Array({ maxLength: 200 }),
);

/** Provider-shaped JSON with hostile values in every slot. */
function shapedBody(provider: ProviderId): fc.Arbitrary<unknown> {
  const anyVal = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.object({ maxDepth: 2 }), codeArb);
  if (provider === 'apns') {
    return fc.record({ reason: fc.oneof(codeArb, anyVal), timestamp: fc.oneof(fc.integer(), fc.string(), fc.double(), anyVal) }, { requiredKeys: [] });
  }
  if (provider === 'fcm' || provider === 'firebase-admin') {
    return fc.record(
      {
        error: fc.oneof(
          anyVal,
          fc.record(
            {
              code: fc.oneof(fc.integer({ min: 100, max: 599 }), anyVal),
              message: fc.oneof(fc.string(), anyVal),
              status: fc.oneof(codeArb, anyVal),
              details: fc.oneof(
                anyVal,
                fc.array(
                  fc.oneof(
                    fc.record({ '@type': fc.constant('type.googleapis.com/google.firebase.fcm.v1.FcmError'), errorCode: fc.oneof(codeArb, anyVal) }),
                    fc.record({ '@type': fc.constant('type.googleapis.com/google.rpc.RetryInfo'), retryDelay: fc.oneof(fc.string(), anyVal) }),
                    fc.record({ '@type': fc.constant('type.googleapis.com/google.rpc.BadRequest'), fieldViolations: fc.array(fc.record({ field: fc.string(), description: fc.string() }), { maxLength: 3 }) }),
                    anyVal,
                  ),
                  { maxLength: 4 },
                ),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        name: fc.oneof(fc.string(), anyVal),
      },
      { requiredKeys: [] },
    );
  }
  return fc.record({ code: fc.oneof(codeArb, anyVal), msg: anyVal, message: anyVal, result: anyVal, data: anyVal, ret: anyVal, err_code: anyVal }, { requiredKeys: [] });
}

export const bodyArb = (provider: ProviderId): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: shapedBody(provider) },
    { weight: 2, arbitrary: shapedBody(provider).map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.constantFrom(...POLLUTION_BODIES) },
    { weight: 1, arbitrary: fc.constantFrom(...HTML) },
    { weight: 1, arbitrary: invalidUtf8Arb },
    { weight: 1, arbitrary: invalidUtf8Arb.map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }) },
  );

const headerValueArb = fc.oneof(fc.string(), fc.integer(), fc.constant(undefined), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));

export const headersArb: fc.Arbitrary<ResponseInput['headers']> = fc.oneof(
  fc.record(
    {
      'retry-after': retryAfterArb,
      'Retry-After': retryAfterArb,
      date: fc.oneof(fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'garbage' : d.toUTCString())), fc.string()),
      'content-type': fc.constantFrom('application/json', 'text/html', 'text/plain; charset=utf-8', ''),
      'apns-id': fc.oneof(fc.uuid(), fc.string()),
      'x-extra': headerValueArb,
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<Record<string, string>>,
  fc.array(fc.tuple(fc.constantFrom('retry-after', 'Retry-After', 'date', 'x'), fc.string()), { maxLength: 4 }),
  retryAfterArb.map((ra) => new Headers(ra === undefined ? {} : { 'retry-after': String(ra).replace(/[^\t\x20-\x7e]/g, '') })),
  fc.constant(undefined),
);

export const statusArb: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(200, 400, 401, 403, 404, 410, 413, 429, 500, 502, 503, 504) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, 1e309, 0, 99.5) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

export const providerArb: fc.Arbitrary<ProviderId> = fc.constantFrom(...PROVIDERS);

export const responseArb: fc.Arbitrary<ResponseInput> = providerArb.chain((provider) =>
  fc.record(
    {
      provider: fc.constant(provider),
      status: statusArb,
      headers: headersArb,
      body: bodyArb(provider),
      receivedAt: fc.oneof(fc.integer({ min: 0, max: 40_000_000_000_000 }), fc.constant(Number.NaN)),
      targets: fc.array(fc.string({ minLength: 0, maxLength: 80 }), { maxLength: 3 }),
    },
    { requiredKeys: ['provider'] },
  ),
);

/** A value whose string-keyed property reads throw (symbol probes, e.g. fast-check's, are answered). */
export function trapped(): unknown {
  return new Proxy(
    {},
    {
      get(_t, key) {
        if (typeof key === 'symbol') return undefined;
        throw new Error(`trap: get ${key}`);
      },
      has(_t, key) {
        if (typeof key === 'symbol') return false;
        throw new Error(`trap: has ${key}`);
      },
      ownKeys() {
        throw new Error('trap: ownKeys');
      },
    },
  );
}

function circular(): unknown {
  const e = new Error('circular') as Error & { self?: unknown; response?: unknown; code?: string };
  e.self = e;
  e.code = 'ECONNRESET';
  e.response = { status: 503, headers: { 'retry-after': '1' }, data: e };
  return e;
}

const errorCodeArb = fc.oneof(
  fc.constantFrom('ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_STREAM_ERROR', 'messaging/registration-token-not-registered', 'messaging/invalid-argument', 'app/invalid-credential'),
  codeArb,
  fc.integer(),
);

export const thrownArb: fc.Arbitrary<unknown> = fc.oneof(
  errorCodeArb.map((code) => Object.assign(new Error('send failed'), { code })),
  fc.record({ code: errorCodeArb, message: fc.string(), errorInfo: fc.record({ code: errorCodeArb, message: fc.string() }, { requiredKeys: [] }) }, { requiredKeys: [] }).map((info) => Object.assign(new Error(String(info.message ?? '')), info)),
  fc.record({ status: statusArb, headers: headersArb, body: bodyArb('fcm') }, { requiredKeys: [] }).map((r) => Object.assign(new Error('http'), { httpResponse: { status: r.status, headers: r.headers, data: r.body }, response: r })),
  fc.constant(null),
  fc.constant(undefined),
  fc.string(),
  fc.integer(),
  fc.constant(Symbol('thrown')),
  fc.anything({ maxDepth: 2 }),
  fc.constant(0).map(() => trapped()),
  fc.constant(0).map(() => circular()),
  fc.constant(0).map(() => Object.assign(new DOMException('aborted', 'AbortError'))),
  fc.constant(0).map(() => new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ECONNRESET' })])),
);

export const errorInputArb: fc.Arbitrary<ErrorInput> = fc.record(
  { provider: providerArb, error: thrownArb, requestSent: fc.boolean() },
  { requiredKeys: ['provider', 'error'] },
);

export const classifyInputArb: fc.Arbitrary<ClassifyInput> = fc.oneof({ weight: 3, arbitrary: responseArb }, { weight: 2, arbitrary: errorInputArb });
