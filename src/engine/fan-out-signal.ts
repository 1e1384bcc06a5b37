import { setMaxListeners } from 'node:events';

/**
 * A signal for many listeners: the messages of one `sendMany` share the caller's signal, and each of them
 * (its waits, its request, the caller's own send function) listens to it. On the caller's signal that would
 * be one listener per message in flight, and Node 20 warns (`MaxListenersExceededWarning`) past 10 (Node 22
 * and later no longer warn for an AbortSignal). The returned signal follows `signal` through one listener
 * on it and takes any number itself; `unlink()` removes that one listener when the call is over.
 */
export function fanOut(signal: AbortSignal): { signal: AbortSignal; unlink(): void } {
  const own = new AbortController();
  setMaxListeners(0, own.signal);
  if (signal.aborted) {
    own.abort(signal.reason);
    return { signal: own.signal, unlink: () => {} };
  }
  const onAbort = () => own.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return { signal: own.signal, unlink: () => signal.removeEventListener('abort', onAbort) };
}
