import type { DeviceCounterStore } from './types.js';

type Windows = readonly { count: number; perMs: number }[];

let h1 = 0;
let h2 = 0;

/** Scratch for `hashToken`: the token's UTF-8 bytes, read 4 at a time. */
const SCRATCH = new Uint8Array(4096);
const SCRATCH32 = new Int32Array(SCRATCH.buffer);
const encoder = new TextEncoder();

/**
 * 64-bit string hash into `h1`/`h2` (cyrb53-style, public domain). Hand-written: a crypto hash object per
 * send costs more than the whole rest of the accounting, and no cryptographic strength is needed; a
 * collision (odds ~2^-64 per pair) only makes two devices share a counter. The token is first copied into a
 * scratch buffer as UTF-8 (one native call) and hashed 4 bytes per step: reading a string one `charCodeAt`
 * at a time costs 2 to 4 times more (tokens are often cons strings), and this runs for every send.
 */
function hashToken(s: string): void {
  let a = 0xdeadbeef ^ s.length;
  let b = 0x41c6ce57 ^ s.length;
  if (s.length * 3 <= SCRATCH.length) {
    const n = encoder.encodeInto(s, SCRATCH).written;
    const words = n >>> 2;
    for (let i = 0; i < words; i++) {
      const x = SCRATCH32[i]!;
      a = Math.imul(a ^ x, 2654435761);
      b = Math.imul(b ^ x, 1597334677);
    }
    for (let i = words << 2; i < n; i++) {
      const x = SCRATCH[i]!;
      a = Math.imul(a ^ x, 2654435761);
      b = Math.imul(b ^ x, 1597334677);
    }
  } else {
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      a = Math.imul(a ^ ch, 2654435761);
      b = Math.imul(b ^ ch, 1597334677);
    }
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  h1 = a >>> 0;
  h2 = b >>> 0 || 1; // (h1, 0) marks an empty slot
}

/**
 * Linear probing in `table` (slots of `stride` words, key in the first two) for the key (a, b): its slot
 * if present, else -(the empty slot where the probe ended) - 1.
 */
function probe(table: Uint32Array, mask: number, stride: number, a: number, b: number): number {
  for (let slot = a & mask; ; slot = (slot + 1) & mask) {
    const at = slot * stride;
    const k = table[at + 1]!;
    if (k === 0) return -slot - 1;
    if (k === b && table[at] === a) return slot;
  }
}

const MIN_CAPACITY = 1024;

/** Slots of the previous table moved per call while the table grows (see `migrate`), at least. */
const MIGRATE_PER_CALL = 16;

/** Slots swept per call while a sweep runs (see `sweep`). */
const SWEEP_PER_CALL = 64;

/**
 * Sub-windows per window. A window of `perMs` is cut into K sub-windows (buckets) of `perMs / K`, and a
 * send is admitted only while the last K + 1 buckets (the current one included) hold fewer than `count`
 * sends. Any sliding window of `perMs` (closed or open) overlaps at most K + 1 consecutive buckets, so no
 * sliding window ever holds more than `count` sends: the limit is strict for a provider that counts any
 * sliding window (a fixed window lets 2× through across a boundary).
 * Cost: bursts of the full `count` still pass, but under steady demand a device gets `count` per
 * (K + 1) buckets, i.e. K / (K + 1) = 8/9 ≈ 89% of the nominal rate; memory per slot is K + 1 counts
 * per window (52 bytes per slot with FCM's two windows, ~110 bytes per tracked device at the table's load).
 */
const K = 8;
const RING = K + 1;

/**
 * In-memory per-device counters with bounded memory: an open-addressing hash table (linear probing,
 * load ≤ 1/2) keyed by a 64-bit hash of the token. Each slot is one run of 32-bit words in a single typed
 * array: the key (2 words), per window the number (mod 2^32) of its latest bucket written (1 word), then
 * per window a ring of K + 1 bucket counts (2 bytes each, or 4 when a count exceeds 65,535): 52 bytes
 * with FCM's two windows. One slot's state is adjacent in memory (one or two cache lines per send, where
 * separate arrays per field cost a cache miss each on a big table). Strict over any sliding window (see
 * `K`). A device whose buckets have all passed is idle and is evicted when the table is swept (in place, a
 * few slots per call once the load reaches 0.48; see `sweep`).
 */
export interface MemoryDeviceCounterStoreOptions {
  /**
   * Devices you expect to track at once (those sent to within the longest window, an hour for FCM; a
   * device stays tracked for up to 9/8 of that window after its last send, until a sweep passes): the
   * table starts at the size it would grow to for them (a load of at most 3/8) and never shrinks below it,
   * so it does not grow for them: no sweep before each growth, no second table held while devices move.
   * Its memory is allocated up front: 52 bytes per slot with FCM's windows, 8/3 slots per expected device
   * rounded up to a power of 2 (1,000,000 devices: 4,194,304 slots, 218 MB); the OS maps pages as they
   * are first written. Default 0: start small and grow.
   */
  expectedDevices?: number;
}

export class MemoryDeviceCounterStore implements DeviceCounterStore {
  /** The smallest capacity: from `expectedDevices`, at least MIN_CAPACITY. */
  private readonly minCapacity: number;
  private capacity = MIN_CAPACITY;
  private mask = MIN_CAPACITY - 1;
  private used = 0;
  /** Windows per slot. */
  private w = 0;
  /** Words per slot. */
  private stride = 2;
  /** Index of a slot's first count in `cnt`, and counts per slot (in `cnt` units). */
  private cntOff = 2;
  private cntStride = 2;
  private perMs: number[] = [];
  private wide = false;
  private epoch = NaN;
  private lastWindows: Windows | undefined;
  /** Scratch: the current bucket number of each window, for one reserve call. */
  private nos = new Float64Array(8);
  /** The slots: key A, key B, W bucket numbers, then the counts. */
  private data = new Uint32Array(MIN_CAPACITY * 2);
  /** The same memory as `data`, seen as counts (`Uint16Array` unless wide). */
  private cnt: Uint16Array | Uint32Array = new Uint16Array(this.data.buffer);
  /**
   * While the table grows: the previous table, read-only, whose devices are moved into `data` a few
   * slots per call (`migrate`) instead of all at once; undefined otherwise.
   */
  private old: Uint32Array | undefined;
  private oldMask = 0;
  /** The next slot of `old` to move. */
  private migrated = 0;
  /** Slots of `old` moved per call: enough to be done within capacity/32 calls (see `migrate`). */
  private migratePerCall = MIGRATE_PER_CALL;
  /** While a sweep runs: the next slot it looks at; -1 otherwise. */
  private sweepAt = -1;

  constructor(options: MemoryDeviceCounterStoreOptions = {}) {
    const expected = options.expectedDevices ?? 0;
    if (!Number.isSafeInteger(expected) || expected < 0) throw new RangeError(`expectedDevices must be a non-negative integer, got ${expected}`);
    let capacity = MIN_CAPACITY;
    while ((expected + 1) * 8 > capacity * 3) capacity *= 2; // the load a sweep leaves: at most 3/8
    this.minCapacity = capacity;
  }

  reserve(key: string, windows: Windows, now: number): number {
    return this.check(key, windows, now, true);
  }

  /** How long until `reserve` would admit one send to `key` (0: now), without reserving anything. */
  wait(key: string, windows: Windows, now: number): number {
    return this.check(key, windows, now, false);
  }

  private check(key: string, windows: Windows, now: number, take: boolean): number {
    if (windows.length === 0) return 0;
    if (Number.isNaN(this.epoch)) this.epoch = now;
    if (windows !== this.lastWindows) this.checkLayout(windows);
    if (this.old !== undefined) this.migrate(this.migratePerCall);
    else if (this.sweepAt >= 0) this.sweep(now, SWEEP_PER_CALL);
    hashToken(key);
    const data = this.data;
    const S = this.stride;
    const found = probe(data, this.mask, S, h1, h2);
    if (found >= 0) return this.reserveAt(found, windows, now, take);
    const slot = -found - 1;
    if (this.old !== undefined) {
      // Not moved yet: it moves now (into the empty slot the probe ended on) and is counted there.
      const from = probe(this.old, this.oldMask, S, h1, h2);
      if (from >= 0) {
        this.moveIn(this.old, from * S, slot);
        return this.reserveAt(slot, windows, now, take);
      }
    }
    // A new device: every window starts empty (counts are validated >= 1 by createLimits).
    for (const x of windows) if (x.count < 1) return this.bucketStart(x.perMs, this.bucketNo(x.perMs, now) + 1) - now;
    if (!take) return 0;
    if ((this.used + 1) * 2 > this.capacity) {
      this.rebuild(now);
      return this.check(key, windows, now, take);
    }
    const at = slot * S;
    data[at] = h1;
    data[at + 1] = h2;
    // At a load of 12/25 a sweep starts, a few slots per call: it is done before the load reaches 1/2.
    if (++this.used * 25 >= this.capacity * 12 && this.sweepAt < 0 && this.old === undefined) this.sweepAt = 0;
    const W = this.w;
    const base = slot * this.cntStride + this.cntOff;
    for (let i = 0; i < W; i++) {
      const no = this.bucketNo(this.perMs[i]!, now);
      data[at + 2 + i] = no;
      this.cnt[base + i * RING + (no % RING)] = 1;
    }
    return 0;
  }

  private checkLayout(windows: Windows): void {
    if (windows.length !== this.w || windows.some((x, i) => x.perMs !== this.perMs[i]) || (!this.wide && windows.some((x) => x.count > 0xffff))) {
      this.layout(windows);
    }
    this.lastWindows = windows;
  }

  private reserveAt(slot: number, windows: Windows, now: number, take: boolean): number {
    const W = this.w;
    const data = this.data;
    const cnt = this.cnt;
    const at = slot * this.stride + 2;
    const cntAt = slot * this.cntStride + this.cntOff;
    let wait = 0;
    for (let i = 0; i < W; i++) {
      const no = this.bucketNo(this.perMs[i]!, now);
      this.nos[i] = no;
      const last = data[at + i]!;
      let d = ((no >>> 0) - last) | 0; // buckets since the latest write (wraps at 2^32)
      if (d < 0) d = 0; // the clock went back: count it as the latest bucket
      if (d > K) continue; // every bucket in reach is empty
      // Buckets no-K .. last (those after `last` are empty).
      const base = cntAt + i * RING;
      let sum = 0;
      for (let b = last - K + d; b <= last; b++) sum += cnt[base + (((b % RING) + RING) % RING)]!;
      const count = windows[i]!.count;
      if (sum < count) continue;
      // At the limit: the earliest bucket no+m whose reach (no+m-K .. last) holds fewer than `count`.
      let m = 1;
      for (let b = last - K + d; sum >= count && b <= last; b++, m++) sum -= cnt[base + (((b % RING) + RING) % RING)]!;
      wait = Math.max(wait, this.bucketStart(this.perMs[i]!, no + m - 1) - now);
    }
    if (wait > 0 || !take) return wait;
    for (let i = 0; i < W; i++) {
      const no = this.nos[i]!;
      const last = data[at + i]!;
      const d = ((no >>> 0) - last) | 0;
      const base = cntAt + i * RING;
      if (d > 0) {
        // Clear the buckets the ring is about to reuse.
        for (let b = 1; b <= Math.min(d, RING); b++) cnt[base + ((last + b) % RING)] = 0;
        data[at + i] = no;
      }
      const cur = d > 0 ? no : last;
      cnt[base + (cur % RING)]!++;
    }
    return 0;
  }

  /** The bucket `now` falls in: exact integer arithmetic, so a sliding window spans at most K + 1 buckets. */
  private bucketNo(perMs: number, now: number): number {
    return Math.max(0, Math.floor(((now - this.epoch) * K) / perMs));
  }

  /** Milliseconds (integer) from the epoch to the first instant of bucket `n`. */
  private bucketStart(perMs: number, n: number): number {
    return this.epoch + Math.ceil((n * perMs) / K);
  }

  /**
   * The fallback when the load reaches 1/2 all the same (a sweep cannot start while devices move, and a
   * move is normally done long before): finishes the move, then sweeps the whole table in one call.
   */
  private rebuild(now: number): void {
    if (this.old !== undefined) this.migrate(Infinity);
    this.sweepAt = 0;
    this.sweep(now, Infinity);
  }

  /**
   * Looks at up to `slots` slots of the running sweep, evicting idle devices in place. A sweep starts when
   * the load reaches 12/25 (0.48) and looks at SWEEP_PER_CALL slots per call: a pass over the table takes
   * capacity/64 calls, during which the load grows by at most 1/64, so it ends before the load reaches 1/2
   * (at most 0.4957). At the end of a pass the table is reallocated only if its capacity must change (to
   * keep the load between 1/8 and 3/8), and its devices move into the new one over the next calls
   * (`migrate`). A table whose traffic is steady is swept in place: no second table, no fresh memory (a
   * fresh 100 MB table is also 25,000 first-touch page faults, about 0.3 s on this machine's VM), and no
   * call sweeps the whole table (a whole sweep of 4 million slots blocked the event loop for about 0.1 s
   * here). With a large `slots` (`rebuild`) its loops run mostly unoptimised: the work per slot is in small
   * methods (`isLive`, `evict`) that are called often enough to be optimised.
   */
  private sweep(now: number, slots: number): void {
    const data = this.data;
    const S = this.stride;
    const current = this.nos;
    for (let i = 0; i < this.w; i++) current[i] = this.bucketNo(this.perMs[i]!, now) >>> 0;
    const end = Math.min(this.capacity, this.sweepAt + slots);
    let count = this.used;
    for (let s = this.sweepAt; s < end; s++) {
      // `evict` may move a later device into slot s: look at the slot again.
      while (data[s * S + 1] !== 0 && !this.isLive(data, s * S, current)) {
        this.evict(s);
        count--;
      }
    }
    this.used = count;
    if (end < this.capacity) {
      this.sweepAt = end;
      return;
    }
    this.sweepAt = -1;
    let capacity = this.minCapacity;
    while ((count + 1) * 8 > capacity * 3) capacity *= 2;
    if (capacity === this.capacity) return;
    const oldMask = this.mask;
    this.alloc(capacity);
    if (count === 0) return;
    // The devices move over the next calls (`migrate`), not now: a move of every device at once, into a
    // table whose pages are all touched for the first time, blocked the event loop for about 0.6 s at
    // 1,000,000 devices here.
    this.old = data;
    this.oldMask = oldMask;
    this.migrated = 0;
    this.migratePerCall = Math.max(MIGRATE_PER_CALL, Math.ceil((32 * (oldMask + 1)) / capacity));
  }

  /**
   * Moves the devices of up to `slots` slots of the previous table into this one (those already moved,
   * by a lookup that found them there, are skipped). The previous table is never written, so its probe
   * sequences stay valid until the last slot has moved. The move is done within capacity/32 calls, long
   * before this table fills: it was sized to a load of at most 3/8 and makes room again near 1/2, i.e.
   * after at least capacity/8 new devices. A table that grew (the previous one has capacity/2 slots) moves
   * MIGRATE_PER_CALL slots per call; one that shrank after idle devices left moves proportionally more
   * (`migratePerCall`: 32 × old/new capacity), mostly empty slots.
   */
  private migrate(slots: number): void {
    const old = this.old!;
    const S = this.stride;
    const oldCapacity = this.oldMask + 1;
    const end = Math.min(oldCapacity, this.migrated + slots);
    for (let s = this.migrated; s < end; s++) if (old[s * S + 1] !== 0) this.moveInUnlessThere(old, s * S);
    this.migrated = end;
    if (end === oldCapacity) this.old = undefined;
  }

  /** Whether the slot at word `at` of `data` holds a device with a bucket still in reach of `current`. */
  private isLive(data: Uint32Array, at: number, current: Float64Array): boolean {
    for (let i = 0; i < this.w; i++) if (((current[i]! - data[at + 2 + i]!) | 0) <= K) return true;
    return false;
  }

  /**
   * Empties slot `hole` (linear probing's backward-shift deletion): each later device of the cluster
   * whose home slot is not between the hole and itself moves back into the hole, so every device stays
   * reachable from its home without tombstones.
   */
  private evict(hole: number): void {
    const data = this.data;
    const S = this.stride;
    const mask = this.mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (data[j * S + 1] === 0) break;
      const home = data[j * S]! & mask;
      // Stays if its home lies cyclically in (hole, j].
      if (hole <= j ? hole < home && home <= j : hole < home || home <= j) continue;
      data.copyWithin(hole * S, j * S, j * S + S);
      hole = j;
    }
    data.fill(0, hole * S, hole * S + S);
  }

  /** Copies the slot at word `from` of `old` into the empty slot `slot` of this (new) table. */
  private moveIn(old: Uint32Array, from: number, slot: number): void {
    const data = this.data;
    const S = this.stride;
    const to = slot * S;
    for (let k = 0; k < S; k++) data[to + k] = old[from + k]!;
  }

  /** Copies the slot at word `from` of `old` into this table, unless its device is here already. */
  private moveInUnlessThere(old: Uint32Array, from: number): void {
    const at = probe(this.data, this.mask, this.stride, old[from]!, old[from + 1]!);
    if (at < 0) this.moveIn(old, from, -at - 1);
  }

  private alloc(capacity: number): void {
    this.old = undefined;
    this.sweepAt = -1;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint32Array(capacity * this.stride);
    this.cnt = this.wide ? this.data : new Uint16Array(this.data.buffer);
  }

  /** New window layout: counters restart (the windows changed, old counts mean nothing). */
  private layout(windows: Windows): void {
    this.w = windows.length;
    if (this.nos.length < this.w) this.nos = new Float64Array(this.w);
    this.perMs = windows.map((x) => x.perMs);
    this.wide = windows.some((x) => x.count > 0xffff);
    const counts = this.w * RING;
    this.stride = 2 + this.w + (this.wide ? counts : Math.ceil(counts / 2));
    this.cntOff = this.wide ? 2 + this.w : (2 + this.w) * 2;
    this.cntStride = this.wide ? this.stride : this.stride * 2;
    this.used = 0;
    this.alloc(this.minCapacity);
  }

  size(): number {
    return this.used;
  }

  /** Bytes held by the table (and, while it grows, by the previous one). */
  get bytes(): number {
    return this.data.byteLength + (this.old?.byteLength ?? 0);
  }

  close(): void {
    this.used = 0;
    this.alloc(this.minCapacity);
  }
}
