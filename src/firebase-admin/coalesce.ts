/**
 * Gathers single-message sends into batch calls: the engine retries and accounts per message, while
 * firebase-admin is called with up to `maxSize` messages at once (one HTTP/2 session per `sendEach`).
 *
 * Items with the same key that arrive before the group is flushed share one call. A group is flushed
 * when it is full, or when its timer fires: on the next turn of the event loop for first attempts
 * (`delayMs` 0), a little later for retries so that retries due at nearly the same time share a
 * session. Waiting only ever adds to a delay the engine already decided, never shortens it.
 */
export interface CoalescerOptions<I, R> {
  /** Items per call for this key. */
  maxSize: (key: string) => number;
  /** One call for the items of a group; resolves with one result per item, in order. A rejection or
   * a wrong-length answer fails every item of the group with that error. */
  run: (key: string, items: I[]) => Promise<R[]>;
  /**
   * At most `limit` calls in flight for the keys it `applies` to (counted together). A group due while
   * the limit is reached waits (and keeps filling up to its size) until a call ends; due groups start in
   * the order they became due.
   */
  maxInFlight?: { limit: number; applies: (key: string) => boolean };
}

export interface Coalescer<I, R> {
  enqueue(key: string, item: I, delayMs?: number): Promise<R>;
  /** A group the caller already gathered (at most the key's size): one call, started now or when there is
   * room under `maxInFlight`; resolves with its results, in order. Other items never join it. */
  runGroup(key: string, items: I[]): Promise<R[]>;
  /** Flushes every pending group now. */
  flushAll(): void;
  /** Calls in flight. */
  readonly inFlight: number;
}

interface Group<I, R> {
  key: string;
  items: I[];
  waiters: { resolve(r: R): void; reject(e: unknown): void }[];
  /** For `runGroup`: one waiter for all the results. */
  whole?: { resolve(rs: R[]): void; reject(e: unknown): void };
  /** The flush due later (retries) or on the next turn (first attempts). */
  timer?: NodeJS.Timeout | undefined;
  immediate?: NodeJS.Immediate | undefined;
  /** Due, waiting for a call to end (`maxInFlight`). */
  due?: boolean;
}

export function createCoalescer<I, R>(options: CoalescerOptions<I, R>): Coalescer<I, R> {
  const groups = new Map<string, Group<I, R>>();
  let inFlight = 0;
  const cap = options.maxInFlight;
  /** Calls in flight that count against `cap`, and the groups due while it was reached (in order). */
  let capped = 0;
  const due: Group<I, R>[] = [];

  /** The group's timer fired or it is full: it starts now, or waits for a call to end. */
  function flush(key: string, group: Group<I, R>, force = false): void {
    if (group.timer) clearTimeout(group.timer);
    if (group.immediate) clearImmediate(group.immediate);
    group.timer = group.immediate = undefined;
    const limited = cap !== undefined && cap.applies(key);
    if (limited && !force && capped >= cap.limit) {
      // Still open to new items while it waits (up to its size, when it leaves the map).
      if (!group.due) {
        group.due = true;
        due.push(group);
      }
      if (group.items.length >= Math.max(1, options.maxSize(key)) && groups.get(key) === group) groups.delete(key);
      return;
    }
    if (groups.get(key) === group) groups.delete(key);
    if (limited) capped++;
    inFlight++;
    Promise.resolve()
      .then(() => options.run(key, group.items))
      .then(
        (results) => {
          if (!Array.isArray(results) || results.length !== group.items.length) {
            throw new Error(`coalescer: ${group.items.length} items but ${Array.isArray(results) ? results.length : typeof results} results`);
          }
          if (group.whole) group.whole.resolve(results);
          else group.waiters.forEach((w, i) => w.resolve(results[i] as R));
        },
        (err: unknown) => rejectAll(group, err),
      )
      .catch((err: unknown) => rejectAll(group, err))
      .finally(() => {
        inFlight--;
        if (!limited) return;
        capped--;
        // As many waiting groups as there is room for (after a forced flushAll, capped may exceed the limit).
        while (capped < cap.limit && due.length > 0) {
          const next = due.shift()!;
          next.due = false;
          flush(next.key, next);
        }
      });
  }

  return {
    get inFlight() {
      return inFlight;
    },
    enqueue(key, item, delayMs = 0) {
      return new Promise<R>((resolve, reject) => {
        let group = groups.get(key);
        if (!group) {
          const g: Group<I, R> = { key, items: [], waiters: [] };
          if (delayMs > 0) g.timer = setTimeout(() => flush(key, g), delayMs);
          else g.immediate = setImmediate(() => flush(key, g));
          groups.set(key, g);
          group = g;
        }
        group.items.push(item);
        group.waiters.push({ resolve, reject });
        if (group.items.length >= Math.max(1, options.maxSize(key))) {
          if (group.due) groups.delete(key); // full while it waits: later items open a new group
          else flush(key, group);
        }
      });
    },
    runGroup(key, items) {
      return new Promise<R[]>((resolve, reject) => {
        flush(key, { key, items, waiters: [], whole: { resolve, reject } });
      });
    },
    flushAll() {
      // Everything pending starts now (close): the limit does not hold back a drain.
      for (const group of due.splice(0)) flush(group.key, group, true);
      for (const [key, group] of [...groups]) flush(key, group, true);
    },
  };
}

function rejectAll<I, R>(group: Group<I, R>, err: unknown): void {
  if (group.whole) group.whole.reject(err);
  else for (const w of group.waiters) w.reject(err);
}
