import { describe, expect, it } from 'vitest';
import { defaultCollapsible, defaultDeadline, parseTtlMs } from '../../src/engine/message-fields.js';

const T0 = 1_767_268_800_000;

describe('message deadline and collapse key', () => {
  it('parses FCM TTLs', () => {
    expect(parseTtlMs('3600s')).toBe(3_600_000);
    expect(parseTtlMs('3.5s')).toBe(3500);
    expect(parseTtlMs(2000)).toBe(2000);
    expect(parseTtlMs('soon')).toBeUndefined();
    expect(parseTtlMs(-1)).toBeUndefined();
  });

  it('reads an explicit deadline, FCM android.ttl, APNs apns-expiration / expiration; the earliest wins', () => {
    expect(defaultDeadline({ deadline: T0 + 5 }, T0)).toBe(T0 + 5);
    expect(defaultDeadline({ android: { ttl: '60s' } }, T0)).toBe(T0 + 60_000);
    expect(defaultDeadline({ message: { token: 'x', android: { ttl: '10s' } } }, T0)).toBe(T0 + 10_000);
    expect(defaultDeadline({ headers: { 'APNS-Expiration': '1767268900' } }, T0)).toBe(1_767_268_900_000);
    expect(defaultDeadline({ apns: { headers: { 'apns-expiration': '1767268900' } } }, T0)).toBe(1_767_268_900_000);
    expect(defaultDeadline({ expiration: 1767268830 }, T0)).toBe(1_767_268_830_000);
    expect(defaultDeadline({ deadline: T0 + 99_000, android: { ttl: '30s' } }, T0)).toBe(T0 + 30_000);
    // apns-expiration 0 means "deliver once, do not store": no deadline from it.
    expect(defaultDeadline({ headers: { 'apns-expiration': '0' } }, T0)).toBeUndefined();
    expect(defaultDeadline('plain', T0)).toBeUndefined();
    expect(defaultDeadline(null, T0)).toBeUndefined();
  });

  it('detects collapse keys', () => {
    expect(defaultCollapsible({ android: { collapseKey: 'score' } })).toBe(true);
    expect(defaultCollapsible({ message: { android: { collapse_key: 'score' } } })).toBe(true);
    expect(defaultCollapsible({ headers: { 'apns-collapse-id': 'game-1' } })).toBe(true);
    expect(defaultCollapsible({ apns: { headers: { 'apns-collapse-id': 'game-1' } } })).toBe(true);
    expect(defaultCollapsible({ collapseId: 'x' })).toBe(true);
    expect(defaultCollapsible({ android: {} })).toBe(false);
    expect(defaultCollapsible(undefined)).toBe(false);
  });
});
