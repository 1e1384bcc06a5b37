import { MemoryValveStore } from './valve-store.js';
import { redactError } from '../redact.js';
import { PruneHookError } from './send-error.js';
import type { Timers } from './timers.js';
import type { DropTokenEvent, PruneOptions, ValveCounts, ValveStore } from './types.js';

/** One send's contribution to the valve: a target token, and whether it ended in drop-token. */
export interface PruneReport {
  dropped: boolean;
  event?: DropTokenEvent;
}

interface Held {
  event: DropTokenEvent;
  key: string;
  since: number;
}

type Judgement = 'healthy' | 'suspended' | 'unknown';

export interface PrunerDeps {
  hook: ((batch: DropTokenEvent[]) => unknown) | undefined;
  timers: Timers;
  now: () => number;
  onSuspended: (info: { key: string; sends: number; drops: number; quarantined: number }) => void;
  onError: (error: Error) => void;
}

/**
 * Token pruning with a safety valve. Every finished send is recorded per key (provider + credential);
 * condemned tokens wait in `pending` until the valve can judge the key:
 * - healthy (≥ `minSends` sends in the window, drop share ≤ `threshold`): passed to `onDropToken` in batches;
 * - suspended (share above the threshold): moved to quarantine, reported, never pruned until released;
 * - not enough sends yet: held up to `windowMs`, then passed (the valve only judges at volume).
 * A hook that throws or times out is retried `hookAttempts` times; then its batch goes to quarantine
 * and an error is reported, so no token is ever lost.
 * A token condemned again while it waits (pending or quarantined: the same dead token listed twice in one
 * multicast, say) is held once: the hook gets each token of a key once per flush.
 */
export class Pruner {
  readonly batchSize: number;
  readonly flushMs: number;
  readonly hookTimeoutMs: number;
  readonly hookAttempts: number;
  readonly threshold: number;
  readonly minSends: number;
  readonly windowMs: number;
  readonly valveOn: boolean;
  readonly store: ValveStore;
  private readonly counts = new Map<string, { sends: number; drops: number }>();
  private readonly suspended = new Set<string>();
  private pending: Held[] = [];
  private readonly quarantine = new Map<string, DropTokenEvent[]>();
  /** `key` + token of every token pending or quarantined. */
  private readonly held = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    opts: PruneOptions,
    private readonly deps: PrunerDeps,
  ) {
    this.batchSize = opts.batchSize ?? 100;
    this.flushMs = opts.flushMs ?? 1000;
    this.hookTimeoutMs = opts.hookTimeoutMs ?? 30_000;
    this.hookAttempts = opts.hookAttempts ?? 5;
    const valve = opts.valve === false ? undefined : opts.valve ?? {};
    this.valveOn = valve !== undefined;
    this.threshold = valve?.threshold ?? 0.5;
    this.minSends = valve?.minSends ?? 100;
    this.windowMs = valve?.windowMs ?? 60_000;
    this.store = opts.valveStore ?? new MemoryValveStore();
  }

  /**
   * Records finished sends for `key` and queues their condemned tokens (synchronous with a synchronous
   * store). When the valve store fails, the tokens not yet judged go to quarantine (the valve cannot say
   * whether pruning them is safe) and the failure is rethrown for the caller to report.
   */
  report(key: string, reports: readonly PruneReport[], now: number = this.deps.now()): void | Promise<void> {
    let i = 0;
    try {
      for (; i < reports.length; i++) {
        const r = reports[i]!;
        if (this.valveOn) {
          const c = this.store.record(key, r.dropped, now, this.windowMs);
          if (isThenable(c)) return this.reportAsync(key, reports, i, now, c);
          const j = this.judge(key, c);
          if (isThenable(j)) return this.reportAsync(key, reports, i, now, undefined, j);
        }
        if (r.event) this.hold({ event: r.event, key, since: now });
      }
    } catch (err) {
      this.quarantineFrom(key, reports, i);
      throw err;
    }
  }

  /** The condemned tokens of `reports[from..]`, into quarantine (each once). */
  private quarantineFrom(key: string, reports: readonly PruneReport[], from: number): void {
    for (let k = from; k < reports.length; k++) {
      const ev = reports[k]!.event;
      if (ev && this.claim(key, ev.token)) this.toQuarantine(key, ev);
    }
  }

  /** Marks the token of `key` as held (pending or quarantined); false when it already is. */
  private claim(key: string, token: string): boolean {
    const id = heldId(key, token);
    if (this.held.has(id)) return false;
    this.held.add(id);
    return true;
  }

  private async reportAsync(
    key: string,
    reports: readonly PruneReport[],
    from: number,
    now: number,
    counts?: Promise<ValveCounts>,
    judging?: Promise<void>,
  ): Promise<void> {
    let i = from;
    try {
      for (; i < reports.length; i++) {
        const r = reports[i]!;
        if (this.valveOn) {
          if (i === from && judging) await judging;
          else {
            const c = i === from && counts ? await counts : await this.store.record(key, r.dropped, now, this.windowMs);
            await this.judge(key, c);
          }
        }
        if (r.event) this.hold({ event: r.event, key, since: now });
      }
    } catch (err) {
      this.quarantineFrom(key, reports, i);
      throw err;
    }
  }

  /** More than `threshold` of at least `minSends` sends ended in drop-token. */
  private over(c: { sends: number; drops: number }): boolean {
    return c.sends >= this.minSends && this.failing(c);
  }

  /** More than `threshold` of the sends (however few) ended in drop-token. */
  private failing(c: { sends: number; drops: number }): boolean {
    return c.sends > 0 && c.drops / c.sends > this.threshold;
  }

  private judge(key: string, c: ValveCounts): void | Promise<void> {
    const known = this.counts.get(key);
    if (known) {
      known.sends = c.sends;
      known.drops = c.drops;
    } else this.counts.set(key, { sends: c.sends, drops: c.drops });
    // The whole window, or its recent part: after healthy traffic, a misconfiguration dominates the recent
    // sends long before it outnumbers the whole window's.
    const tripped = this.over(c) ? c : c.recent !== undefined && this.over(c.recent) ? c.recent : undefined;
    const over = tripped !== undefined;
    // Healthy also needs a recent part that is not failing at any volume: a valve its recent part tripped
    // would otherwise resume at the next bucket whenever its last two buckets hold fewer than `minSends`
    // sends, while the window's older healthy sends keep the whole under the threshold (found by review).
    const healthy = c.sends >= this.minSends && !over && (c.recent === undefined || !this.failing(c.recent));
    // Transitions happen synchronously on the local set first: concurrent reports must trip the valve once.
    const local = this.suspended.has(key);
    if (over && !local) {
      this.suspended.add(key);
      const moved = this.pending.filter((h) => h.key === key);
      this.pending = this.pending.filter((h) => h.key !== key);
      for (const h of moved) this.toQuarantine(key, h.event);
      this.deps.onSuspended({ key, sends: tripped.sends, drops: tripped.drops, quarantined: this.quarantine.get(key)?.length ?? 0 });
      return this.store.setSuspended(key, true);
    }
    if (healthy && local) {
      // A healthy window resumes pruning of new tokens; quarantined ones wait for releaseQuarantine().
      this.suspended.delete(key);
      return this.store.setSuspended(key, false);
    }
    if (!local && !healthy) {
      // Suspended by another process sharing the store?
      const shared = this.store.isSuspended(key);
      if (isThenable(shared)) {
        return shared.then((yes) => {
          if (yes) this.suspended.add(key);
        });
      }
      if (shared) this.suspended.add(key);
    }
  }

  private state(key: string): Judgement {
    if (!this.valveOn) return 'healthy';
    if (this.suspended.has(key)) return 'suspended';
    const c = this.counts.get(key);
    return c && c.sends >= this.minSends ? 'healthy' : 'unknown';
  }

  private hold(h: Held): void {
    if (!this.claim(h.key, h.event.token)) return;
    if (this.state(h.key) === 'suspended') {
      this.toQuarantine(h.key, h.event);
      return;
    }
    this.pending.push(h);
    if (this.pending.length >= this.batchSize) void this.flush();
    else this.arm();
  }

  private toQuarantine(key: string, ev: DropTokenEvent): void {
    const q = this.quarantine.get(key);
    if (q) q.push(ev);
    else this.quarantine.set(key, [ev]);
  }

  private arm(): void {
    if (this.timer || this.closed || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then(() => this.arm());
    }, this.flushMs);
  }

  /** Passes every judged token to the hook (serialised: one flush at a time). */
  flush(final = false): Promise<void> {
    const run = this.chain.then(() => this.flushNow(final));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(final: boolean): Promise<void> {
    const now = this.deps.now();
    const ready = new Map<string, DropTokenEvent[]>();
    const keep: Held[] = [];
    for (const h of this.pending) {
      const s = this.state(h.key);
      if (s === 'suspended') this.toQuarantine(h.key, h.event);
      else if (s === 'healthy' || final || now - h.since >= this.windowMs) {
        const list = ready.get(h.key);
        if (list) list.push(h.event);
        else ready.set(h.key, [h.event]);
      } else keep.push(h);
    }
    this.pending = keep;
    for (const [key, events] of ready) {
      for (let i = 0; i < events.length; i += this.batchSize) await this.deliver(key, events.slice(i, i + this.batchSize));
    }
  }

  /** Calls the hook with retries; a batch that still fails goes to quarantine and is reported. Returns success. */
  private async deliver(key: string, batch: DropTokenEvent[]): Promise<boolean> {
    if (!this.deps.hook || batch.length === 0) {
      this.letGo(key, batch);
      return true;
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.hookAttempts; attempt++) {
      try {
        await this.callWithTimeout(batch);
        this.letGo(key, batch);
        return true;
      } catch (err) {
        lastError = err;
        if (attempt === this.hookAttempts) break;
        try {
          await this.deps.timers.sleep(Math.min(30_000, 500 * 2 ** (attempt - 1)));
        } catch {
          break; // the sender is closing: the batch goes to quarantine now, not lost with the timer
        }
      }
    }
    for (const ev of batch) this.toQuarantine(key, ev);
    // The hook's error often quotes what it choked on: the event gets a copy with the batch's tokens redacted.
    this.deps.onError(new PruneHookError(key, batch.length, redactError(lastError, undefined, batch.map((e) => e.token))));
    return false;
  }

  /** Tokens that left for good (pruned or discarded): a later drop of them is held again. */
  private letGo(key: string, events: readonly DropTokenEvent[]): void {
    for (const ev of events) this.held.delete(heldId(key, ev.token));
  }

  private async callWithTimeout(batch: DropTokenEvent[]): Promise<void> {
    const ac = new AbortController();
    const timeout = this.deps.timers.sleep(this.hookTimeoutMs, ac.signal).then(() => {
      throw new Error(`onDropToken did not settle within ${this.hookTimeoutMs} ms`);
    });
    try {
      await Promise.race([Promise.resolve().then(() => this.deps.hook!(batch)), timeout]);
    } finally {
      ac.abort();
      timeout.catch(() => undefined);
    }
  }

  /** Quarantined tokens (raw: for the caller to inspect or persist), of one key or all. */
  quarantined(key?: string): DropTokenEvent[] {
    if (key !== undefined) return [...(this.quarantine.get(key) ?? [])];
    return [...this.quarantine.values()].flat();
  }

  isSuspended(key: string): boolean {
    return this.suspended.has(key);
  }

  /** Passes quarantined tokens to the hook (or forgets them with `discard`); returns how many left quarantine. */
  async release(key?: string, discard = false): Promise<number> {
    const keys = key !== undefined ? [key] : [...this.quarantine.keys()];
    let released = 0;
    for (const k of keys) {
      const events = this.quarantine.get(k);
      if (!events) continue;
      // The store first: if it fails, the tokens are still in quarantine.
      await this.store.setSuspended(k, false);
      if (this.quarantine.get(k) !== events) continue; // released meanwhile by another call
      this.quarantine.delete(k);
      this.suspended.delete(k);
      if (discard) {
        this.letGo(k, events);
        released += events.length;
        continue;
      }
      for (let i = 0; i < events.length; i += this.batchSize) {
        const batch = events.slice(i, i + this.batchSize);
        if (await this.deliver(k, batch)) released += batch.length;
      }
    }
    return released;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Final flush; clears the timer. Tokens still quarantined stay readable through `quarantined()`. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush(true);
  }
}

function heldId(key: string, token: string): string {
  return `${key}\n${token}`;
}

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
