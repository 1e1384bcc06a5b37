import type { ValveCounts, ValveStore } from './types.js';

const BUCKETS = 12;

interface Window {
  /** Start time of each bucket (ms); a bucket is live while its start is within the window. */
  starts: Float64Array;
  sends: Uint32Array;
  drops: Uint32Array;
  suspended: boolean;
}

/**
 * In-memory `ValveStore`: per key (provider + credential, a handful of keys), a sliding window made of
 * 12 time buckets of `windowMs / 12` each; its recent part is the current bucket and the one before.
 */
export class MemoryValveStore implements ValveStore {
  private readonly windows = new Map<string, Window>();

  private get(key: string): Window {
    let w = this.windows.get(key);
    if (!w) {
      w = { starts: new Float64Array(BUCKETS).fill(-Infinity), sends: new Uint32Array(BUCKETS), drops: new Uint32Array(BUCKETS), suspended: false };
      this.windows.set(key, w);
    }
    return w;
  }

  record(key: string, dropped: boolean, now: number, windowMs: number): ValveCounts {
    const w = this.get(key);
    const width = Math.max(1, windowMs / BUCKETS);
    const slot = Math.floor(now / width);
    const i = ((slot % BUCKETS) + BUCKETS) % BUCKETS;
    const start = slot * width;
    if (w.starts[i] !== start) {
      w.starts[i] = start;
      w.sends[i] = 0;
      w.drops[i] = 0;
    }
    w.sends[i]!++;
    if (dropped) w.drops[i]!++;
    let sends = 0;
    let drops = 0;
    const recent = { sends: 0, drops: 0 };
    for (let b = 0; b < BUCKETS; b++) {
      const s = w.starts[b]!;
      if (s > now - windowMs) {
        sends += w.sends[b]!;
        drops += w.drops[b]!;
        if (s > start - 1.5 * width) {
          // this bucket or the one before (bucket starts are multiples of the width)
          recent.sends += w.sends[b]!;
          recent.drops += w.drops[b]!;
        }
      }
    }
    return { sends, drops, recent };
  }

  isSuspended(key: string): boolean {
    return this.windows.get(key)?.suspended ?? false;
  }

  setSuspended(key: string, suspended: boolean): void {
    this.get(key).suspended = suspended;
  }
}
