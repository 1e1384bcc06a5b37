/**
 * A counting semaphore for in-flight sends. Hand-written on purpose: bottleneck schedules a job in
 * ~2.3 ms here (several timer hops), far too slow to gate every request; this is one integer and a FIFO.
 * A slot is held only while a request is on the wire, never while a retry waits.
 */
export class Semaphore {
  private active = 0;
  /** Waiters in order; each answers whether it took the slot (false: it was aborted meanwhile). */
  private readonly waiters: Array<() => boolean> = [];
  private head = 0;

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`concurrency must be >= 1, got ${limit}`);
  }

  /** The number of slots (`Infinity` without a limit). */
  get size(): number {
    return this.limit;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Whether `acquire()` would take a slot synchronously. */
  get available(): boolean {
    return this.active < this.limit && this.head === this.waiters.length;
  }

  /** Resolves when a slot is free; the caller must `release()` exactly once. Returns `null` when taken synchronously. */
  acquire(signal?: AbortSignal): Promise<void> | null {
    if (this.active < this.limit && this.head === this.waiters.length) {
      this.active++;
      return null;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const grant = () => {
        if (settled) return false; // aborted meanwhile: the slot goes to the next waiter
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return true;
      };
      const onAbort = () => {
        if (settled) return;
        settled = true;
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  /** Passes the slot to the first waiter still waiting (a loop, not a call per aborted waiter), or frees it. */
  release(): void {
    while (this.head < this.waiters.length) {
      const next = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as () => boolean;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      if (next()) return; // the slot moves to that waiter: `active` is unchanged
    }
    this.active--;
  }
}
