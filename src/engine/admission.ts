import Bottleneck from 'bottleneck';
import type { RateWindow } from '../types.js';

interface Waiter {
  resolve: (origin: number) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  settled: boolean;
}

interface Batch {
  key: string;
  waiters: Waiter[];
}

/** Largest number of messages one bottleneck job carries. */
const MAX_BATCH = 10_000;

/** Most sub-windows per window (reservoir plan). */
const MAX_SUB_WINDOWS = 20;

/** Shortest sub-window on Redis (each heartbeat there is a script call per key and process). */
const REDIS_MIN_REFRESH_MS = 40;

/** Windows with at most this many permits are spaced (one message per job) rather than batched. */
const SPACING_MAX_COUNT = 32;

/** Permits taken ahead of demand for one key (a lease), spent without touching bottleneck until they expire. */
interface Lease {
  permits: number;
  /** When the job that took them was admitted (their origin, see `fresh`). */
  origin: number;
  expiresAt: number;
  /** How many permits the next job asks for beyond the messages waiting (adapts to demand). */
  grant: number;
  /** Permits this lease started with: once half are spent, the next lease is taken ahead (`prefetch`). */
  size: number;
  /** The lease taken ahead: spent once this one is used up or stale (each permit within its own origin's budget). */
  next: { permits: number; origin: number; expiresAt: number } | undefined;
}

/** How one window is enforced through bottleneck (exposed for tests and diagnostics). */
export type WindowPlan =
  | { kind: 'reservoir'; count: number; perMs: number; subWindows: number; reservoir: number; refreshMs: number }
  | { kind: 'spacing'; count: number; perMs: number; minTimeMs: number };

/**
 * Admission through bottleneck rate limiters keyed by target (a project, a topic), one
 * `Bottleneck.Group` per rate window. A bottleneck job costs ~2.3 ms of latency and ~1 ms of CPU here, so:
 * - messages that arrive together (in the same turn of the event loop) are coalesced into one job whose
 *   `weight` is their count;
 * - under steady demand a job also takes a lease of extra permits (at most 1% of the smallest window,
 *   growing while demand uses them up, halving when they expire unused); later messages spend them
 *   synchronously, and once half a lease is spent the next one is taken ahead (`prefetch`), so steady
 *   demand does not stall on a job. Every permit comes out of the bottleneck reservoir.
 *
 * **Strict over any sliding window.** A reservoir refreshed every `perMs` is a fixed window: a provider
 * counting a sliding window would see up to 2× the count across a refresh. Instead each window of
 * `count` per `perMs` is cut into k sub-windows (reservoir refreshed every ⌈perMs/k⌉ to
 * ⌊count/(k+2)⌋ permits; k ≤ 20 chosen to keep the most throughput; on Redis sub-windows are at least 40 ms). A permit must leave soon after
 * its job started (its origin): the sender takes its concurrency slot *before* admission, so it sends at
 * once, and leased permits expire `staleMs` (half a sub-window, ≤ 500 ms) after their origin (`fresh()`).
 * Assuming bottleneck starts a job within `staleMs` of taking its permits (locally a few ms; one Redis round
 * trip), a sliding window of `perMs` only sees permits from refreshes within `perMs` + one sub-window, i.e.
 * at most k + 2 reservoirs, so at most `count` messages. Throughput cost:
 * k·⌊count/(k+2)⌋ per `perMs`, i.e. 20/22 ≈ 91% of the nominal rate for large windows (FCM's 600,000/min
 * gives 545,440/min), 90% for Meizu's 200/s. (bottleneck's heartbeat refreshes at most once per interval,
 * locally and in its Redis scripts, so refreshes are never closer than the interval.)
 * Windows of at most 32 permits (e.g. Tencent's 30 calls/s) cannot be split usefully: those space
 * single-message jobs by `minTime` = ⌈(perMs + 4·staleMs)/(count − 1)⌉ instead, so even permits that
 * leave up to `staleMs` late fit `count` per sliding window ((count − 1)/count of the rate and a little).
 */
export class Admission {
  private readonly groups: Bottleneck.Group[];
  private readonly maxWeight: number;
  private readonly pending = new Map<string, Batch>();
  /** Keys whose round of bottleneck jobs has not finished yet. */
  private readonly running = new Map<string, Promise<void>>();
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private closed = false;
  private readonly leases = new Map<string, Lease>();
  private readonly maxLease: number;
  /** How long after its origin a permit may still be spent (also a lease's validity). */
  readonly staleMs: number;
  readonly plans: readonly WindowPlan[];

  constructor(
    readonly name: string,
    windows: readonly RateWindow[],
    bottleneckOptions: Record<string, unknown> = {},
  ) {
    // A sub-window is at least 2 × staleMs long (k ≤ 20 and staleMs ≤ perMs/40).
    const grace = Math.max(1, Math.min(1000, ...windows.map((w) => Math.floor(w.perMs / 20))));
    this.staleMs = Math.max(0, Math.floor(grace / 2));
    const onRedis = bottleneckOptions.datastore === 'redis' || bottleneckOptions.datastore === 'ioredis';
    this.plans = windows.map((w) => planWindow(w, grace, onRedis ? REDIS_MIN_REFRESH_MS : 0));
    this.groups = this.plans.map(
      (p, i) =>
        new Bottleneck.Group({
          maxConcurrent: null,
          ...(p.kind === 'reservoir'
            ? {
                minTime: 0,
                reservoir: p.reservoir,
                reservoirRefreshAmount: p.reservoir,
                reservoirRefreshInterval: p.refreshMs,
                // bottleneck refreshes on its heartbeat (250 ms by default): beat often enough that a
                // refresh comes at most 1/8 of a sub-window late (locally), 1/4 on Redis, where every beat
                // is a script call per limiter (sub-windows there are >= REDIS_MIN_REFRESH_MS, so at most
                // one call per 10 ms per key and process). Jobs waiting for a refresh start on a beat, so a
                // beat as long as the sub-window would lose up to half the rate.
                heartbeatInterval: Math.min(250, onRedis ? Math.max(10, Math.ceil(p.refreshMs / 4)) : Math.max(5, Math.ceil(p.refreshMs / 8))),
              }
            : { minTime: p.minTimeMs }),
          id: `pushback-${name}-${i}`,
          ...bottleneckOptions,
        } as Bottleneck.ConstructorOptions),
    );
    const mc = typeof bottleneckOptions.maxConcurrent === 'number' ? bottleneckOptions.maxConcurrent : Infinity;
    this.maxWeight = Math.max(1, Math.min(MAX_BATCH, mc, ...this.plans.map((p) => (p.kind === 'reservoir' ? p.reservoir : 1))));
    this.maxLease = Math.min(this.maxWeight, ...windows.map((w) => Math.floor(w.count / 100)));
  }

  get enabled(): boolean {
    return this.groups.length > 0;
  }

  /** Whether a permit that originated at `origin` may still be spent now. */
  fresh(origin: number): boolean {
    return Date.now() - origin <= this.staleMs;
  }

  /** Whether one message to `key` can be admitted right now without waiting (no windows, or a live lease). */
  canAdmitNow(key: string): boolean {
    if (this.groups.length === 0) return true;
    const lease = this.leases.get(key);
    if (lease === undefined) return false;
    const now = Date.now();
    if (lease.permits > 0 && now <= lease.expiresAt) return true;
    const n = lease.next;
    return n !== undefined && n.permits > 0 && now <= n.expiresAt;
  }

  /**
   * The key's lease if it holds a fresh permit now (promoting the lease taken ahead when the current one
   * is used up or stale), else undefined. A lease that went stale with permits left asks for less next time.
   */
  private live(key: string): Lease | undefined {
    const lease = this.leases.get(key);
    if (lease === undefined) return undefined;
    const now = Date.now();
    if (lease.permits > 0) {
      if (now <= lease.expiresAt) return lease;
      lease.permits = 0; // expired unused: ask for less next time
      lease.grant = Math.floor(lease.grant / 2);
    }
    const n = lease.next;
    if (n === undefined) return undefined;
    lease.next = undefined;
    if (n.permits <= 0 || now > n.expiresAt) return undefined;
    lease.permits = n.permits;
    lease.size = n.permits;
    lease.origin = n.origin;
    lease.expiresAt = n.expiresAt;
    return lease;
  }

  /** Spends one permit of a live lease; once half of it is spent, the next lease is taken ahead. */
  private spend(key: string, lease: Lease): number {
    lease.permits--;
    if (lease.permits * 2 <= lease.size && lease.next === undefined && lease.grant > 0 && !this.closed && !this.running.has(key)) this.prefetch(key, lease);
    return lease.origin;
  }

  /**
   * Takes the next lease ahead of demand (one bottleneck job of `grant` permits, the key's round), so
   * that steady demand never waits for a job: without it every lease that runs out stalls its key for
   * a job's latency (~2 to 5 ms here, a Redis round trip on Redis). Its permits are spent only after the
   * current lease and only while fresh from their own origin, so the sliding-window bound is unchanged;
   * permits that expire unused only make the limit stricter.
   */
  private prefetch(key: string, lease: Lease): void {
    const weight = Math.min(lease.grant, this.maxWeight);
    // Demand spent half a lease while it was fresh: ramp up fast (×4), capped at `maxLease`.
    lease.grant = Math.min(this.maxLease, lease.grant * 4);
    const job = (async () => {
      let origin = NaN;
      const mark = () => {
        if (Number.isNaN(origin)) origin = Date.now();
        return RESOLVED;
      };
      for (const g of this.groups) await g.key(key).schedule({ weight }, mark);
      lease.next = { permits: weight, origin, expiresAt: origin + this.staleMs };
      // Messages that ran out of permits while the job ran are served from it at once.
      const batch = this.pending.get(key);
      if (batch) {
        let i = 0;
        for (; i < batch.waiters.length; i++) {
          const w = batch.waiters[i]!;
          if (w.settled) continue;
          const l = this.live(key);
          if (l === undefined) break;
          l.permits--;
          settle(w, l.origin);
        }
        batch.waiters.splice(0, i);
        if (batch.waiters.length === 0) this.pending.delete(key);
      }
    })()
      .catch(ignoreOrigin) // a failed prefetch only means the next messages take the normal path
      .then(() => {
        this.running.delete(key);
        if (this.pending.has(key) && !this.closed) this.scheduled ??= setImmediate(() => this.flush());
      });
    this.running.set(key, job);
  }

  /**
   * Admits one message to `key` at once if that needs no wait (no windows, or a live lease): the
   * synchronous part of `admit`. Returns false, and takes nothing, otherwise.
   */
  takeNow(key: string): boolean {
    if (this.groups.length === 0) return true;
    const lease = this.live(key);
    if (lease === undefined) return false;
    this.spend(key, lease);
    return true;
  }

  /** Returns a permit `takeNow(key)` took in the same synchronous run (the message did not leave). */
  giveBack(key: string): void {
    if (this.groups.length === 0) return;
    const lease = this.leases.get(key);
    if (lease !== undefined) lease.permits++;
  }

  /** Resolves when one message to `key` is admitted by every window; `null` when admitted at once. */
  admit(key: string, signal?: AbortSignal): Promise<void> | null {
    const r = this.acquire(key, signal);
    return typeof r === 'number' ? null : r.then(ignoreOrigin);
  }

  /**
   * Like `admit`, with the permit's origin (when bottleneck admitted its job; `Infinity` without windows):
   * a number when admitted at once, else a promise of it. Spend the permit while `fresh(origin)`.
   */
  acquire(key: string, signal?: AbortSignal): number | Promise<number> {
    if (this.groups.length === 0) return Infinity;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const lease = this.live(key);
    if (lease !== undefined) return this.spend(key, lease);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, settled: false };
      let batch = this.pending.get(key);
      if (!batch) {
        batch = { key, waiters: [] };
        this.pending.set(key, batch);
      }
      batch.waiters.push(waiter);
      if (signal) {
        const onAbort = () => {
          if (waiter.settled) return;
          waiter.settled = true;
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        // Admitted or failed: the listener goes (a long-lived signal must not collect one per message).
        waiter.resolve = (origin) => {
          signal.removeEventListener('abort', onAbort);
          resolve(origin);
        };
        waiter.reject = (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        };
      }
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = undefined;
    for (const [key, batch] of this.pending) {
      // One round of jobs per key at a time: messages that arrive while a key's jobs wait in bottleneck
      // (a Redis round trip, a reservoir refresh) gather into the next round instead of becoming one job
      // each (senders take a concurrency slot before admission, so arrivals trickle in one per response).
      if (this.running.has(key)) continue;
      this.pending.delete(key);
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < batch.waiters.length; i += this.maxWeight) {
        jobs.push(this.run(batch.key, batch.waiters.slice(i, i + this.maxWeight)));
      }
      this.running.set(
        key,
        Promise.all(jobs).then(() => {
          this.running.delete(key);
          if (this.pending.has(key)) this.scheduled ??= setImmediate(() => this.flush());
        }),
      );
    }
  }

  private async run(key: string, waiters: Waiter[]): Promise<void> {
    try {
      const live = waiters.filter((w) => !w.settled);
      if (live.length === 0) return;
      let lease = this.leases.get(key);
      if (!lease) {
        lease = { permits: 0, origin: 0, expiresAt: 0, grant: 0, size: 0, next: undefined };
        this.leases.set(key, lease);
      }
      // Demand outran the lease (this job exists because permits ran out): lease more next time.
      const extra = Math.max(0, Math.min(lease.grant, this.maxWeight - live.length));
      lease.grant = Math.min(this.maxLease, Math.max(lease.grant * 2, live.length));
      const weight = live.length + extra;
      // The origin is when the first window's job starts: the permits were taken just before, in the
      // reservoir of that moment (later windows only admit later).
      let origin = NaN;
      const mark = () => {
        if (Number.isNaN(origin)) origin = Date.now();
        return RESOLVED;
      };
      for (const g of this.groups) await g.key(key).schedule({ weight }, mark);
      if (extra > 0) {
        lease.permits = extra; // permits left from an older lease are past their origin's budget
        lease.size = extra;
        lease.next = undefined;
        lease.origin = origin;
        lease.expiresAt = origin + this.staleMs;
      }
      for (const w of live) settle(w, origin);
    } catch (err) {
      for (const w of waiters) if (!w.settled) ((w.settled = true), w.reject(err));
    }
  }

  /** Admits what is queued for this turn, then disconnects the limiters. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.running.clear(); // what waits behind a running round is handed to bottleneck now
    this.flush();
    for (const g of this.groups) {
      for (const l of g.limiters()) await l.limiter.disconnect(false);
      await g.disconnect(false);
      // Group has no public way to stop its (unref'd) idle-key cleanup interval; clear it so close() leaves no timer.
      clearInterval((g as unknown as { interval?: ReturnType<typeof setInterval> }).interval);
    }
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

function ignoreOrigin(): void {}

function settle(w: Waiter, origin: number): void {
  if (w.settled) return;
  w.settled = true;
  w.resolve(origin);
}

/** How one window is enforced (see `Admission`): the sub-window count that keeps the most throughput. */
export function planWindow(w: RateWindow, grace: number, minRefreshMs = 0): WindowPlan {
  const { count, perMs } = w;
  if (count <= SPACING_MAX_COUNT) {
    const span = perMs + 2 * grace;
    return { kind: 'spacing', count, perMs, minTimeMs: count === 1 ? span + 1 : Math.ceil(span / (count - 1)) };
  }
  let best = 1;
  for (let k = 2; k <= MAX_SUB_WINDOWS && Math.ceil(perMs / k) >= minRefreshMs; k++) {
    if (k * Math.floor(count / (k + 2)) > best * Math.floor(count / (best + 2))) best = k;
  }
  return { kind: 'reservoir', count, perMs, subWindows: best, reservoir: Math.floor(count / (best + 2)), refreshMs: Math.ceil(perMs / best) };
}
