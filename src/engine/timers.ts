/**
 * Abortable sleeps and one-shot timers that the engine tracks, so `close()` can clear them and
 * nothing keeps the process alive after it.
 */
/** The longest delay setTimeout takes as it is (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Timers {
  constructor(private readonly now: () => number = Date.now) {}

  private readonly live = new Set<{ handle: ReturnType<typeof setTimeout>; cancel: (err: unknown) => void }>();

  /**
   * Resolves after `ms` (at once for `ms <= 0`); rejects with the signal's reason on abort. Never early:
   * Node may fire a timer ~1 ms before the clock says it is due, so an early wake-up sleeps the rest.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(ms > 0)) return Promise.resolve();
    const until = this.now() + ms;
    let extra = 0;
    // setTimeout fires at once for delays of 2^31 ms or more: longer sleeps wait in steps of MAX_TIMER_MS.
    let clamped = ms > MAX_TIMER_MS;
    return new Promise<void>((resolve, reject) => {
      const fire = () => {
        const left = until - this.now();
        // At most a few top-ups after an early wake-up: an injected clock that does not follow real time must not spin.
        if (left > 0 && (clamped || extra++ < 3)) {
          clamped = left > MAX_TIMER_MS;
          entry.handle = setTimeout(fire, Math.min(left, MAX_TIMER_MS));
          return;
        }
        this.live.delete(entry);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const entry = {
        handle: setTimeout(fire, Math.min(ms, MAX_TIMER_MS)),
        cancel: (err: unknown) => {
          clearTimeout(entry.handle);
          this.live.delete(entry);
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => entry.cancel(signal?.reason);
      this.live.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get size(): number {
    return this.live.size;
  }

  /** Cancels every pending sleep with `err`. */
  cancelAll(err: unknown): void {
    for (const entry of [...this.live]) entry.cancel(err);
  }
}

/** Resolves or rejects like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
