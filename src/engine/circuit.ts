import type { Verdict } from '../types.js';

interface Open {
  verdict: Verdict;
  openedAt: number;
  probing: boolean;
}

export type CircuitCheck = { kind: 'closed' } | { kind: 'probe' } | { kind: 'open'; verdict: Verdict; retryInMs: number };

const CLOSED: CircuitCheck = Object.freeze({ kind: 'closed' });

/**
 * The fatal circuit: after a `fatal` verdict for a credential, further sends with it fail fast with that
 * verdict until `reset()`, or until one half-open probe after `coolDownMs` succeeds.
 */
export class FatalCircuit {
  private readonly open = new Map<string, Open>();

  constructor(private readonly coolDownMs: number) {}

  /** How many credentials have an open (or half-open) circuit. */
  get size(): number {
    return this.open.size;
  }

  check(key: string, now: number): CircuitCheck {
    const o = this.open.get(key);
    if (!o) return CLOSED;
    const readyAt = o.openedAt + this.coolDownMs;
    if (now >= readyAt && !o.probing) {
      o.probing = true;
      return { kind: 'probe' };
    }
    return { kind: 'open', verdict: o.verdict, retryInMs: Math.max(0, readyAt - now) };
  }

  /**
   * Records the verdict of a request that went out with credential `key` (`probe`: the half-open probe's
   * own answer). Returns true when it opened the circuit. Only the probe's answer changes a half-open
   * circuit: it closes it when it shows the credential works (delivered, a dead token, a bad request) or
   * asks for a credential refresh (the refresh path decides, and re-opens the circuit if the credential
   * still fails); a plain retryable answer (503, a reset) says nothing about the credential, so the circuit
   * stays open and the next probe waits another cool-down. Other answers (requests that left before the
   * circuit opened) change nothing, a fatal one included: it would otherwise restart the cool-down and
   * make the probe's own answer, due next, count for nothing.
   */
  record(key: string, verdict: Verdict, now: number, probe = false): boolean {
    if (this.open.size === 0 && verdict.action !== 'fatal') return false;
    const o = this.open.get(key);
    if (verdict.action === 'fatal') return o !== undefined && !probe ? false : this.trip(key, verdict, now);
    if (o?.probing && probe) {
      if (verdict.action === 'retry' && verdict.refreshCredential !== true) {
        o.probing = false;
        o.openedAt = now;
      } else this.open.delete(key);
    }
    return false;
  }

  /**
   * Opens the circuit for `key` with `verdict` (also for a verdict whose action is not `fatal` but whose
   * message ended fatal: a credential that still failed after a refresh). Returns true when it opened it.
   */
  trip(key: string, verdict: Verdict, now: number): boolean {
    const o = this.open.get(key);
    this.open.set(key, { verdict, openedAt: now, probing: false });
    return !o || o.probing;
  }

  /** A probe ended without a verdict (aborted, crashed): let another probe through. */
  abandonProbe(key: string): void {
    const o = this.open.get(key);
    if (o) o.probing = false;
  }

  reset(key?: string): void {
    if (key === undefined) this.open.clear();
    else this.open.delete(key);
  }

  isOpen(key: string): boolean {
    return this.open.has(key);
  }
}
