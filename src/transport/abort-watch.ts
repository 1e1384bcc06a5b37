/**
 * One 'abort' listener per AbortSignal, however many requests share the signal.
 *
 * The engine hands every request a signal (one shared never-aborting signal when the caller gave none),
 * and a caller's `sendMany(messages, { signal })` shares one signal across thousands of requests. A
 * listener per request would trip Node's MaxListenersExceededWarning past 10 requests in flight and
 * churn add/removeEventListener on the hot path; here a request joins its signal's set instead.
 */
export interface Abortable {
  /** Called once when the signal aborts while the request is watched. */
  aborted(reason: unknown): void;
}

const watched = new WeakMap<AbortSignal, Set<Abortable>>();

export function watchAbort(signal: AbortSignal, a: Abortable): void {
  let set = watched.get(signal);
  if (set === undefined) {
    const members = new Set<Abortable>();
    set = members;
    watched.set(signal, members);
    signal.addEventListener(
      'abort',
      () => {
        watched.delete(signal);
        for (const m of members) m.aborted(signal.reason);
        members.clear();
      },
      { once: true },
    );
  }
  set.add(a);
}

export function unwatchAbort(signal: AbortSignal, a: Abortable): void {
  watched.get(signal)?.delete(a);
}
