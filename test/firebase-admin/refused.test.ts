import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { isRefusedStream, refineRefusedStreams } from '../../src/firebase-admin/refused.js';

const err = (code: string, message: string, extra: object = {}) => Object.assign(new Error(message), { code, ...extra });
const refused13 = err('app/network-error', 'Error while making request: Stream closed with error code NGHTTP2_REFUSED_STREAM. Error code: ERR_HTTP2_STREAM_ERROR');
const refused14 = err('messaging/unknown-error', 'Session failures: GOAWAY', {
  cause: new AggregateError([err('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM')], 'session'),
});
const reset = err('app/network-error', 'Error while making request: socket hang up. Error code: ECONNRESET');

describe('refused HTTP/2 streams are safe to retry', () => {
  it('finds REFUSED_STREAM in the message, the cause and AggregateError members', () => {
    expect(isRefusedStream(refused13)).toBe(true);
    expect(isRefusedStream(refused14)).toBe(true);
    expect(isRefusedStream(reset)).toBe(false);
    expect(isRefusedStream(null)).toBe(false);
  });

  it('lifts maybeDelivered for refused streams only; the action stays retry', () => {
    const refine = refineRefusedStreams(classify);
    for (const e of [refused13, refused14]) {
      expect(classify({ provider: 'firebase-admin', error: e }).maybeDelivered).toBe(true);
      const v = refine({ provider: 'firebase-admin', error: e });
      expect(v.action).toBe('retry');
      expect(v.maybeDelivered).toBeUndefined();
    }
    expect(refine({ provider: 'firebase-admin', error: reset }).maybeDelivered).toBe(true);
  });
});
