/**
 * The demo's summary: computed from outcomes and the server's request log, printed as a table or as
 * one JSON object. Pure functions; the runner gathers the inputs.
 */
import { OUTCOMES, type OutcomeKind } from '../types.js';
import type { RateLimit, RateReport, Violation } from './invariants.js';

export interface DemoSummary {
  seed: string;
  messages: number;
  faultRate: number;
  /** Each terminal outcome and its count (every kind present). */
  outcomes: Record<OutcomeKind, number>;
  /** Messages that needed more than one attempt. */
  retried: number;
  /** Attempts made by the engine, counting first attempts. */
  attempts: number;
  /** Requests that reached the fake server. */
  requests: number;
  /** Faults the server injected, by kind. */
  faults: Record<string, number>;
  /** Time from a message's first attempt to its outcome, ms. */
  timeToOutcomeMs: { p50: number; p99: number; max: number };
  /** Highest request rate the server saw for one device / one project, against the configured limit. */
  rates: { device: RateReport[]; project: RateReport[] };
  /** Tokens handed to the prune hook. */
  pruned: number;
  /** Tokens held in quarantine by the prune safety valve. */
  quarantined: number;
  /** Injected Retry-After range, seconds (the demo waits for real). */
  retryAfterS: [number, number];
  /** Catalog retry floors were multiplied by this (FCM's 60 s after QUOTA_EXCEEDED is a minute of waiting). */
  timeScale: number;
  invariants: { ok: boolean; violations: Violation[] };
  durationMs: number;
}

/** Nearest-rank percentile of unsorted values (0 when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${int(n)} ms`);
const per = (l: RateLimit) => (l.perMs % 60_000 === 0 ? `${l.perMs / 60_000} min` : l.perMs % 1000 === 0 ? `${l.perMs / 1000} s` : `${l.perMs} ms`);

/** The summary as an aligned plain-text table (no colours, no tokens). */
export function formatSummary(s: DemoSummary): string {
  const rows: [string, string][] = [];
  for (const o of OUTCOMES) rows.push([o, int(s.outcomes[o])]);
  rows.push(['', '']);
  rows.push(['retried (messages)', int(s.retried)]);
  rows.push(['attempts', int(s.attempts)]);
  rows.push(['requests at the server', int(s.requests)]);
  rows.push(['faults injected', Object.entries(s.faults).map(([k, v]) => `${k} ${int(v)}`).join(', ') || 'none']);
  rows.push(['time to outcome p50 / p99', `${ms(s.timeToOutcomeMs.p50)} / ${ms(s.timeToOutcomeMs.p99)}`]);
  for (const r of s.rates.device) {
    const seen = r.arrived !== undefined ? ` sent, ${int(r.arrived)} arrived` : '';
    rows.push([`max per-device rate / ${per(r.limit)}`, `${int(r.max)}${seen} (limit ${int(r.limit.count)})`]);
  }
  for (const r of s.rates.project) rows.push([`max per-project rate / ${per(r.limit)}`, `${int(r.max)} (limit ${int(r.limit.count)})`]);
  rows.push(['tokens pruned (hook)', int(s.pruned)]);
  if (s.quarantined > 0) rows.push(['tokens quarantined (valve)', int(s.quarantined)]);
  rows.push(['invariants', s.invariants.ok ? 'all held' : `${s.invariants.violations.length} violated`]);
  rows.push(['duration', ms(s.durationMs)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `pushback demo: ${int(s.messages)} messages, seed ${s.seed}, fault rate ${s.faultRate}`,
    `(real time: injected Retry-After is ${s.retryAfterS[0]}-${s.retryAfterS[1]} s, and the engine waits for it; catalog retry`,
    ` floors are scaled by 1/${Math.round(1 / s.timeScale)} and rate limits are per second so the demo fits in a minute)`,
    '',
    ...rows.map(([k, v]) => (k === '' ? '' : `  ${k.padEnd(width)}  ${v}`)),
  ];
  for (const v of s.invariants.violations.slice(0, 10)) lines.push(`  ! ${v.invariant}: ${v.detail}`);
  return lines.join('\n');
}
