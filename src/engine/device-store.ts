import type { DeviceCounterStore } from './types.js';

type Windows = readonly { count: number; perMs: number }[];

let h1 = 0;
let h2 = 0;

/**
 * 64-bit string hash into `h1`/`h2` (cyrb53-style, public domain). Hand-written: a crypto hash object per
 * send costs more than the whole rest of the accounting, and no cryptographic strength is needed; a
 * collision (odds ~2^-64 per pair) only makes two devices share a counter.
 */
function hashToken(s: string): void {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    a = Math.imul(a ^ ch, 2654435761);
    b = Math.imul(b ^ ch, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  h1 = a >>> 0;
  h2 = b >>> 0 || 1; // (h1, 0) marks an empty slot
}

const MIN_CAPACITY = 1024;

/**
 * In-memory per-device counters with bounded memory: an open-addressing hash table over typed arrays
 * (linear probing, load ≤ 1/2), keyed by a 64-bit hash of the token; per slot 8 bytes of key and, per
 * window, a 4-byte window number and a 2- or 4-byte count. Fixed windows aligned to the store's epoch
 * (a device can get up to 2× a window's count across a window boundary, as with any fixed window).
 * A device whose windows have all passed is idle and is evicted when the table is swept (on growth).
 * About 40 bytes per tracked device with two windows.
 */
export class MemoryDeviceCounterStore implements DeviceCounterStore {
  private capacity = MIN_CAPACITY;
  private mask = MIN_CAPACITY - 1;
  private used = 0;
  private w = 0;
  private perMs: number[] = [];
  private wide = false;
  private epoch = NaN;
  private lastWindows: Windows | undefined;
  /** Scratch: the current window number of each window, for one reserve call. */
  private nos = new Float64Array(8);
  private keyA = new Uint32Array(MIN_CAPACITY);
  private keyB = new Uint32Array(MIN_CAPACITY);
  private win = new Uint32Array(0);
  private cnt: Uint16Array | Uint32Array = new Uint16Array(0);

  reserve(key: string, windows: Windows, now: number): number {
    if (windows.length === 0) return 0;
    if (Number.isNaN(this.epoch)) this.epoch = now;
    if (windows !== this.lastWindows) this.checkLayout(windows);
    hashToken(key);
    const W = this.w;
    let slot = h1 & this.mask;
    for (;;) {
      const b = this.keyB[slot]!;
      if (b === 0) break;
      if (b === h2 && this.keyA[slot] === h1) {
        return this.reserveAt(slot, windows, now);
      }
      slot = (slot + 1) & this.mask;
    }
    // A new device: every window starts empty.
    for (const x of windows) if (x.count < 1) return this.untilNext(x.perMs, now);
    if ((this.used + 1) * 2 > this.capacity) {
      this.rebuild(now);
      return this.reserve(key, windows, now);
    }
    this.keyA[slot] = h1;
    this.keyB[slot] = h2;
    this.used++;
    for (let i = 0; i < W; i++) {
      this.win[slot * W + i] = this.windowNo(this.perMs[i]!, now);
      this.cnt[slot * W + i] = 1;
    }
    return 0;
  }

  private checkLayout(windows: Windows): void {
    if (windows.length !== this.w || windows.some((x, i) => x.perMs !== this.perMs[i]) || (!this.wide && windows.some((x) => x.count > 0xffff))) {
      this.layout(windows);
    }
    this.lastWindows = windows;
  }

  private reserveAt(slot: number, windows: Windows, now: number): number {
    const W = this.w;
    const base = slot * W;
    let wait = 0;
    for (let i = 0; i < W; i++) {
      const no = this.windowNo(this.perMs[i]!, now);
      this.nos[i] = no;
      if (this.win[base + i] === no && this.cnt[base + i]! >= windows[i]!.count) {
        wait = Math.max(wait, this.untilNext(this.perMs[i]!, now));
      }
    }
    if (wait > 0) return wait;
    for (let i = 0; i < W; i++) {
      const j = base + i;
      if (this.win[j] === this.nos[i]) this.cnt[j]!++;
      else {
        this.win[j] = this.nos[i]!;
        this.cnt[j] = 1;
      }
    }
    return 0;
  }

  private windowNo(perMs: number, now: number): number {
    return Math.max(1, Math.floor((now - this.epoch) / perMs) + 1);
  }

  private untilNext(perMs: number, now: number): number {
    return Math.max(1, this.epoch + this.windowNo(perMs, now) * perMs - now);
  }

  /** Rebuilds the table without idle devices, at a capacity that keeps the load between 1/8 and 3/8. */
  private rebuild(now: number): void {
    const W = this.w;
    const oldA = this.keyA;
    const oldB = this.keyB;
    const oldWin = this.win;
    const oldCnt = this.cnt;
    const current = this.perMs.map((p) => this.windowNo(p, now));
    const live: number[] = [];
    for (let s = 0; s < oldB.length; s++) {
      if (oldB[s] === 0) continue;
      let active = false;
      for (let i = 0; i < W; i++) if (oldWin[s * W + i] === current[i]) active = true;
      if (active) live.push(s);
    }
    let capacity = MIN_CAPACITY;
    while ((live.length + 1) * 8 > capacity * 3) capacity *= 2;
    this.alloc(capacity);
    for (const s of live) {
      let slot = oldA[s]! & this.mask;
      while (this.keyB[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keyA[slot] = oldA[s]!;
      this.keyB[slot] = oldB[s]!;
      for (let i = 0; i < W; i++) {
        this.win[slot * W + i] = oldWin[s * W + i]!;
        this.cnt[slot * W + i] = oldCnt[s * W + i]!;
      }
    }
    this.used = live.length;
  }

  private alloc(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.keyA = new Uint32Array(capacity);
    this.keyB = new Uint32Array(capacity);
    this.win = new Uint32Array(capacity * this.w);
    this.cnt = this.wide ? new Uint32Array(capacity * this.w) : new Uint16Array(capacity * this.w);
  }

  /** New window layout: counters restart (the windows changed, old counts mean nothing). */
  private layout(windows: Windows): void {
    this.w = windows.length;
    if (this.nos.length < this.w) this.nos = new Float64Array(this.w);
    this.perMs = windows.map((x) => x.perMs);
    this.wide = windows.some((x) => x.count > 0xffff);
    this.used = 0;
    this.alloc(MIN_CAPACITY);
  }

  size(): number {
    return this.used;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.keyA.byteLength + this.keyB.byteLength + this.win.byteLength + this.cnt.byteLength;
  }

  close(): void {
    this.used = 0;
    this.alloc(MIN_CAPACITY);
  }
}
