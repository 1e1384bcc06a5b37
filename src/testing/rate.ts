/** A quota: at most `count` requests per `perMs` (windows start at the first request, not clock-aligned, like FCM's). */
export interface RateLimit {
  count: number;
  perMs: number;
}

export interface RateLimits {
  /** Per target token. FCM publishes 240/min per Android device. */
  device?: RateLimit;
  /** Per project (FCM project, HMS app, APNs topic). FCM publishes 600,000/min. */
  project?: RateLimit;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed-window counters per key: O(1) per request and one small object per key, so enforcing a
 * 600,000/min project quota costs the same as a 240/min device quota.
 */
export class RateEnforcer {
  private windows = new Map<string, Window>();

  constructor(private readonly limit: RateLimit) {}

  /** Counts one request for `key` at `now`; returns 0 if allowed, else ms until the window resets. */
  take(key: string, now: number): number {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.limit.perMs) {
      if (!w) {
        w = { start: now, count: 0 };
        this.windows.set(key, w);
      } else {
        w.start = now;
        w.count = 0;
      }
    }
    if (w.count >= this.limit.count) return Math.max(1, w.start + this.limit.perMs - now);
    w.count++;
    return 0;
  }

  clear(): void {
    this.windows.clear();
  }
}
