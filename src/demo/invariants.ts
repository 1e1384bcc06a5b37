/**
 * Invariant checkers for the demo and the chaos suite: pure functions over the fake server's request
 * log and the engine's outcomes. Each returns the violations it found (empty = the invariant holds),
 * so a test can print the first few instead of a bare `false`.
 */
import { OUTCOMES, type OutcomeKind } from '../types.js';

/** One request as the server saw it (normalised from the fake server's log). */
export interface LoggedRequest {
  /** When the request arrived, ms (any monotonic clock shared by the whole log). */
  at: number;
  /** When the server answered (or dropped) it, ms; absent for requests it never answered. */
  answeredAt?: number;
  provider: string;
  /** FCM project / APNs topic. */
  project: string;
  token?: string;
  /** The message, when the log can tell (for per-message Retry-After checks). */
  messageId?: string;
  /** HTTP status sent; absent for resets, GOAWAY, refused streams and hung requests. */
  status?: number;
  /** The server refused the stream unprocessed (REFUSED_STREAM, above a GOAWAY's last stream): no provider counts it. */
  refused?: boolean;
  /** Retry-After the server sent with this answer, ms. */
  retryAfterMs?: number;
}

export interface Violation {
  invariant: string;
  detail: string;
}

/** Every message has exactly one terminal outcome, and it is one of OUTCOMES. */
export function checkOneOutcomeEach(
  messageIds: readonly string[],
  outcomes: readonly { id: string; outcome: string }[],
): Violation[] {
  const out: Violation[] = [];
  const seen = new Map<string, number>();
  const known = new Set(messageIds);
  const valid = new Set<string>(OUTCOMES);
  for (const o of outcomes) {
    seen.set(o.id, (seen.get(o.id) ?? 0) + 1);
    if (!valid.has(o.outcome)) out.push({ invariant: 'one-outcome', detail: `${o.id}: unknown outcome ${JSON.stringify(o.outcome)}` });
    if (!known.has(o.id)) out.push({ invariant: 'one-outcome', detail: `${o.id}: outcome for a message never sent` });
  }
  for (const id of known) {
    const k = seen.get(id) ?? 0;
    if (k !== 1) out.push({ invariant: 'one-outcome', detail: `${id}: ${k} outcomes` });
  }
  return out;
}

/**
 * Which keys an answer cools down, and until when. Default: any answer with a Retry-After holds back its
 * message (`message:<id>`); a 429 also holds back its device (`device:<token>`), and a 429 carrying
 * `project` scope its whole project. The engine decides what a 429 cools (project or device); pass
 * `scopes` to match what it does.
 */
export type CoolDownScopes = (r: LoggedRequest) => string[];

export const defaultCoolDownScopes: CoolDownScopes = (r) => {
  const keys: string[] = [];
  if (r.messageId) keys.push(`message:${r.messageId}`);
  if (r.status === 429 && r.token) keys.push(`device:${r.provider}:${r.token}`);
  return keys;
};

/** The key(s) a request is subject to (the same naming as `CoolDownScopes`). */
export function requestKeys(r: LoggedRequest): string[] {
  const keys = [`project:${r.provider}:${r.project}`];
  if (r.token) keys.push(`device:${r.provider}:${r.token}`);
  if (r.messageId) keys.push(`message:${r.messageId}`);
  return keys;
}

/**
 * No request reaches a cooled-down target before its Retry-After has passed.
 * - A request that arrived before the cooling answer was sent is not a violation.
 * - For other messages to a cooled device or project, a request arriving within `inFlightMs` after the
 *   answer may have left the client before the client read the answer (concurrent sends), so it is
 *   excused; the message that received the answer gets no such grace.
 * - `slackMs` absorbs timer granularity at the end of the window (Node timers may fire ~1 ms early).
 */
export function checkCoolDowns(
  log: readonly LoggedRequest[],
  opts: { scopes?: CoolDownScopes; slackMs?: number; inFlightMs?: number } = {},
): Violation[] {
  const scopes = opts.scopes ?? defaultCoolDownScopes;
  const slack = opts.slackMs ?? 2;
  const inFlight = opts.inFlightMs ?? 50;
  // Build, per key, the cool-down windows [answeredAt, answeredAt + retryAfter).
  const windows = new Map<string, { from: number; until: number; cause: LoggedRequest }[]>();
  for (const r of log) {
    if (r.retryAfterMs === undefined || r.retryAfterMs <= 0 || r.answeredAt === undefined) continue;
    for (const key of scopes(r)) {
      const list = windows.get(key) ?? [];
      list.push({ from: r.answeredAt, until: r.answeredAt + r.retryAfterMs, cause: r });
      windows.set(key, list);
    }
  }
  const out: Violation[] = [];
  for (const r of log) {
    for (const key of requestKeys(r)) {
      const list = windows.get(key);
      if (!list) continue;
      for (const w of list) {
        if (w.cause === r) continue;
        const grace = key.startsWith('message:') ? 0 : inFlight;
        if (r.at > w.from + grace && r.at < w.until - slack) {
          out.push({
            invariant: 'cool-down',
            detail: `${key.split(':')[0]} request at +${(r.at - w.from).toFixed(1)} ms after a ${w.cause.status} asking for ${w.cause.retryAfterMs} ms`,
          });
        }
      }
    }
  }
  return out;
}

export interface RateLimit {
  count: number;
  perMs: number;
}

export interface RateReport {
  /** Highest number of requests one key received in any window of `perMs`. */
  max: number;
  /** The key that saw it (redact before printing). */
  key?: string;
  limit: RateLimit;
  /** When `max` counts requests as they left the client: the most the provider saw arrive (informational). */
  arrived?: number;
}

/**
 * The highest number of requests any key received within any sliding window of `limit.perMs`
 * (arrival times). `toleranceMs` shortens the window to absorb arrival jitter between requests that
 * the client spaced correctly (loopback: a few ms).
 */
export function maxRate(log: readonly LoggedRequest[], keyOf: (r: LoggedRequest) => string | undefined, limit: RateLimit, toleranceMs = 0): RateReport {
  const byKey = new Map<string, number[]>();
  for (const r of log) {
    if (r.refused) continue;
    const k = keyOf(r);
    if (k === undefined) continue;
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r.at);
  }
  const span = Math.max(0, limit.perMs - toleranceMs);
  let max = 0;
  let maxKey: string | undefined;
  for (const [k, times] of byKey) {
    times.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= span) lo++;
      const n = hi - lo + 1;
      if (n > max) {
        max = n;
        maxKey = k;
      }
    }
  }
  return { max, ...(maxKey !== undefined ? { key: maxKey } : {}), limit };
}

/** Per-key limits are never exceeded: one violation per limit broken (with the worst key). */
export function checkRateLimits(
  log: readonly LoggedRequest[],
  limits: { device?: readonly RateLimit[]; project?: readonly RateLimit[] },
  toleranceMs = 0,
): Violation[] {
  const out: Violation[] = [];
  const check = (scope: string, keyOf: (r: LoggedRequest) => string | undefined, list: readonly RateLimit[] = []) => {
    for (const limit of list) {
      const rep = maxRate(log, keyOf, limit, toleranceMs);
      if (rep.max > limit.count) {
        out.push({ invariant: `${scope}-rate`, detail: `${rep.max} requests within ${limit.perMs} ms to one ${scope} (limit ${limit.count})` });
      }
    }
  };
  check('device', deviceKey, limits.device);
  check('project', projectKey, limits.project);
  return out;
}

export const deviceKey = (r: LoggedRequest): string | undefined => (r.token ? `${r.provider}:${r.token}` : undefined);
export const projectKey = (r: LoggedRequest): string => `${r.provider}:${r.project}`;

/** Counts outcomes by kind, every kind present (0 when none). */
export function countOutcomes(outcomes: readonly { outcome: OutcomeKind }[]): Record<OutcomeKind, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<OutcomeKind, number>;
  for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
  return counts;
}
