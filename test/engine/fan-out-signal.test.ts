import { describe, expect, it } from 'vitest';
import { fanOut } from '../../src/engine/fan-out-signal.js';

/** Node's MaxListenersExceededWarning for `run`, if it emitted one. */
async function warningsOf(run: () => void): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error) => seen.push(w.name);
  process.on('warning', on);
  try {
    run();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
  } finally {
    process.off('warning', on);
  }
  return seen.filter((n) => n === 'MaxListenersExceededWarning');
}

describe('fanOut()', () => {
  it('follows the caller’s signal, with its reason', () => {
    const caller = new AbortController();
    const { signal } = fanOut(caller.signal);
    expect(signal.aborted).toBe(false);
    const reason = new Error('stop');
    caller.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('is aborted at once when the caller’s signal already is', () => {
    const { signal } = fanOut(AbortSignal.abort('gone'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });

  it('unlink() leaves the caller’s signal as it found it', () => {
    const caller = new AbortController();
    const { signal, unlink } = fanOut(caller.signal);
    unlink();
    caller.abort();
    expect(signal.aborted).toBe(false);
  });

  it('takes a listener per message without a warning, where the caller’s signal would warn past 10 (Node 20)', async () => {
    const caller = new AbortController();
    const { signal } = fanOut(caller.signal);
    expect(await warningsOf(() => { for (let i = 0; i < 50; i++) signal.addEventListener('abort', () => {}); })).toEqual([]);
    // The check above can fail: on Node 20 the same listeners on a plain signal do warn (Node 22 and later
    // no longer warn for an AbortSignal, so there the check holds either way).
    const plain = new AbortController().signal;
    const warns = Number(process.versions.node.split('.')[0]) < 22;
    expect(await warningsOf(() => { for (let i = 0; i < 50; i++) plain.addEventListener('abort', () => {}); })).toEqual(warns ? ['MaxListenersExceededWarning'] : []);
  });
});
