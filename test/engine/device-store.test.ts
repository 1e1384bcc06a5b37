import { describe, expect, it } from 'vitest';
import { MemoryDeviceCounterStore } from '../../src/engine/device-store.js';
import { fcmToken } from './fixtures.js';

const T0 = 1_767_268_800_000;
const FCM_DEVICE = [
  { count: 240, perMs: 60_000 },
  { count: 5000, perMs: 3_600_000 },
];

describe('MemoryDeviceCounterStore', () => {
  it('allows up to the window count, then says how long to wait', () => {
    const s = new MemoryDeviceCounterStore();
    const t = fcmToken(1);
    for (let i = 0; i < 240; i++) expect(s.reserve(t, FCM_DEVICE, T0 + i)).toBe(0);
    const wait = s.reserve(t, FCM_DEVICE, T0 + 500);
    expect(wait).toBe(60_000 - 500);
    // Another device is independent.
    expect(s.reserve(fcmToken(2), FCM_DEVICE, T0 + 500)).toBe(0);
    // The next window admits again.
    expect(s.reserve(t, FCM_DEVICE, T0 + 60_000)).toBe(0);
  });

  it('enforces the longer window too (5,000 per hour)', () => {
    const s = new MemoryDeviceCounterStore();
    const t = fcmToken(3);
    let sent = 0;
    for (let minute = 0; minute < 60; minute++) {
      for (let i = 0; i < 240; i++) if (s.reserve(t, FCM_DEVICE, T0 + minute * 60_000 + i) === 0) sent++;
    }
    expect(sent).toBe(5000);
    expect(s.reserve(t, FCM_DEVICE, T0 + 59 * 60_000 + 1000)).toBe(3_600_000 - (59 * 60_000 + 1000));
  });

  it('tracks many devices in bounded memory and evicts idle ones', () => {
    const s = new MemoryDeviceCounterStore();
    const n = 50_000;
    for (let i = 0; i < n; i++) s.reserve(fcmToken(i), FCM_DEVICE, T0);
    expect(s.size()).toBe(n);
    expect(s.bytes / n).toBeLessThan(200);
    // Each device still has its own count.
    for (let i = 0; i < 100; i++) expect(s.reserve(fcmToken(i), [{ count: 2, perMs: 60_000 }, { count: 5000, perMs: 3_600_000 }], T0)).toBe(0);
    // Two hours later the old devices are idle: new traffic evicts them when the table is swept.
    const later = T0 + 2 * 3_600_000 + 1;
    for (let i = 0; i < n; i++) s.reserve(`new-${i}`, FCM_DEVICE, later);
    expect(s.size()).toBeLessThanOrEqual(n);
    expect(s.size()).toBeGreaterThan(0);
  });
});
