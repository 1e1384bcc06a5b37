import { describe, expect, it } from 'vitest';
import { TRANSPORT_CODES, transportCode } from '../../src/classify/transport.js';

describe('transportCode', () => {
  it('reads code, cause.code and name', () => {
    expect(transportCode(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(transportCode(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }))).toBe('UND_ERR_SOCKET');
    expect(transportCode(new DOMException('The operation was aborted', 'AbortError'))).toBe('AbortError');
    expect(transportCode(new DOMException('timed out', 'TimeoutError'))).toBe('TimeoutError');
    expect(transportCode(new Error('plain'))).toBeUndefined();
  });

  it('tells a refused HTTP/2 stream (not processed) from other stream errors', () => {
    const refused = Object.assign(new Error('Stream closed with error code NGHTTP2_REFUSED_STREAM'), { code: 'ERR_HTTP2_STREAM_ERROR' });
    expect(transportCode(refused)).toBe('ERR_HTTP2_REFUSED_STREAM');
    expect(TRANSPORT_CODES.get('ERR_HTTP2_REFUSED_STREAM')!.sent).toBe(false);
    const other = Object.assign(new Error('Stream closed with error code NGHTTP2_INTERNAL_ERROR'), { code: 'ERR_HTTP2_STREAM_ERROR' });
    expect(transportCode(other)).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(TRANSPORT_CODES.get('ERR_HTTP2_STREAM_ERROR')!.sent).toBe(true);
  });

  it('marks only failures after the write as possibly delivered', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_GOAWAY_SESSION']) expect(TRANSPORT_CODES.get(code)!.sent).toBe(false);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'AbortError']) expect(TRANSPORT_CODES.get(code)!.sent).toBe(true);
  });
});

describe('looksLikeTransportCode', () => {
  it('recognises Node and undici transport codes outside the table, not provider codes', async () => {
    const { looksLikeTransportCode } = await import('../../src/classify/transport.js');
    for (const c of ['ENETDOWN', 'EPROTO', 'EAI_FAIL', 'UND_ERR_INFO', 'ERR_HTTP2_ERROR', 'ERR_TLS_CERT_ALTNAME_INVALID']) expect(looksLikeTransportCode(c), c).toBe(true);
    for (const c of ['EMAIL_INVALID', 'ERR_UID_NOT_FOUND', 'UNREGISTERED', '80100000', 'ECO']) expect(looksLikeTransportCode(c), c).toBe(false);
  });
});
