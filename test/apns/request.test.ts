import { describe, expect, it } from 'vitest';
import { APNS_PAYLOAD_LIMIT, APNS_VOIP_PAYLOAD_LIMIT, buildApnsRequest, topicFor } from '../../src/apns/request.js';

const token = 'a'.repeat(64);
/** A payload of exactly `bytes` UTF-8 bytes, using a multi-byte character so chars != bytes. */
function payloadOf(bytes: number): string {
  const head = '{"aps":{"alert":"';
  const tail = '"}}';
  const room = bytes - head.length - tail.length;
  const euros = Math.floor(room / 3);
  return head + '€'.repeat(euros) + 'x'.repeat(room - euros * 3) + tail;
}

describe('buildApnsRequest', () => {
  it('sets every apns-* header from the notification', () => {
    const r = buildApnsRequest(
      { token, payload: { aps: { alert: 'hi' } }, pushType: 'alert', id: '123E4567-E89B-12D3-A456-426614174000', expiration: 1_800_000_000, priority: 5, collapseId: 'score' },
      'com.example.app',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.path).toBe(`/3/device/${token}`);
    expect(r.headers).toEqual({
      'apns-push-type': 'alert',
      'apns-topic': 'com.example.app',
      'apns-id': '123e4567-e89b-12d3-a456-426614174000',
      'apns-expiration': '1800000000',
      'apns-priority': '5',
      'apns-collapse-id': 'score',
    });
    expect(JSON.parse(r.body.toString())).toEqual({ aps: { alert: 'hi' } });
  });

  it('sends no apns-id when none is given (APNs assigns one)', () => {
    const r = buildApnsRequest({ token, payload: { aps: {} } }, 'com.example.app');
    expect(r.ok && 'apns-id' in r.headers).toBe(false);
  });

  it('derives the topic suffix from the push type', () => {
    expect(topicFor('com.example.app', 'voip')).toBe('com.example.app.voip');
    expect(topicFor('com.example.app.voip', 'voip')).toBe('com.example.app.voip');
    expect(topicFor('com.example.app', 'liveactivity')).toBe('com.example.app.push-type.liveactivity');
    expect(topicFor('com.example.app', 'alert')).toBe('com.example.app');
    const r = buildApnsRequest({ token, payload: { aps: {} }, pushType: 'voip' }, 'com.example.app');
    expect(r.ok && r.headers['apns-topic']).toBe('com.example.app.voip');
  });

  it('counts UTF-8 bytes: 4096 passes, 4097 is PayloadTooLarge (413) locally', () => {
    const exact = payloadOf(APNS_PAYLOAD_LIMIT);
    expect(Buffer.byteLength(exact)).toBe(4096);
    expect(exact.length).toBeLessThan(4096);
    expect(buildApnsRequest({ token, payload: exact }, 'com.x').ok).toBe(true);
    const over = buildApnsRequest({ token, payload: payloadOf(APNS_PAYLOAD_LIMIT + 1) }, 'com.x');
    expect(over).toMatchObject({ ok: false, status: 413, reason: 'PayloadTooLarge' });
  });

  it('allows 5120 bytes for VoIP and no more', () => {
    expect(buildApnsRequest({ token, pushType: 'voip', payload: payloadOf(APNS_VOIP_PAYLOAD_LIMIT) }, 'com.x').ok).toBe(true);
    expect(buildApnsRequest({ token, pushType: 'voip', payload: payloadOf(APNS_VOIP_PAYLOAD_LIMIT + 1) }, 'com.x')).toMatchObject({ ok: false, reason: 'PayloadTooLarge' });
    expect(buildApnsRequest({ token, pushType: 'alert', payload: payloadOf(APNS_PAYLOAD_LIMIT + 100) }, 'com.x')).toMatchObject({ ok: false, reason: 'PayloadTooLarge' });
  });

  it('rejects locally, with the reason APNs would give, what APNs would refuse', () => {
    const cases: [Parameters<typeof buildApnsRequest>[0], string | undefined, string][] = [
      [{ token: '', payload: { aps: {} } }, 'com.x', 'MissingDeviceToken'],
      [{ token, payload: { aps: {} } }, undefined, 'MissingTopic'],
      [{ token, payload: '' }, 'com.x', 'PayloadEmpty'],
      [{ token, payload: { aps: {} }, id: 'not-a-uuid' }, 'com.x', 'BadMessageId'],
      [{ token, payload: { aps: {} }, expiration: -1 }, 'com.x', 'BadExpirationDate'],
      [{ token, payload: { aps: {} }, expiration: 1.5 }, 'com.x', 'BadExpirationDate'],
      [{ token, payload: { aps: {} }, priority: 7 as 5 }, 'com.x', 'BadPriority'],
      [{ token, payload: { aps: {} }, collapseId: 'é'.repeat(33) }, 'com.x', 'BadCollapseId'],
    ];
    for (const [n, topic, reason] of cases) expect(buildApnsRequest(n, topic), reason).toMatchObject({ ok: false, status: 400, reason });
    expect(buildApnsRequest({ token, payload: { aps: {} }, collapseId: 'x'.repeat(64) }, 'com.x').ok).toBe(true);
  });

  it('escapes the token in the path', () => {
    const r = buildApnsRequest({ token: 'ab/../cd', payload: { aps: {} } }, 'com.x');
    expect(r.ok && r.path).toBe('/3/device/ab%2F..%2Fcd');
  });
});
