import type { ProviderId } from '../types.js';
import { seededRandom } from '../engine/backoff.js';
import type { FcmQuota } from './shapes/fcm.js';

/** The endpoints the fake server speaks. */
export type RouteName = 'fcm' | 'apns' | 'hms' | 'vendor';

/** What a fault rule sees of a request. */
export interface RequestInfo {
  route: RouteName;
  /** Provider id of the route (`fcm`, `apns`, `hms`, or the vendor of `/vendor/{provider}/send`). */
  provider: string;
  /** The single target token (FCM `message.token`, APNs path token, first HMS token). */
  token?: string;
  /** Every target token (HMS sends several). */
  tokens?: readonly string[];
  /** FCM project id, HMS app id, APNs topic. */
  project?: string;
  /** 1-based number of the request since start/reset. */
  n: number;
  /** HTTP/2 stream id (undefined over HTTP/1.1). */
  streamId?: number;
  proto: 'h2' | 'h1';
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON body, or the raw string when it is not JSON. */
  body: unknown;
}

/** What goes wrong. Combine `latencyMs` with anything; without a response field, the request proceeds normally after the delay. */
export interface Fault {
  /** Answer with this provider code in the provider's real shape (`TooManyRequests`, `UNREGISTERED`, `80200003`...). */
  code?: string;
  /** Whose shape `code` is in; default: the route's provider. */
  provider?: ProviderId;
  /** HTTP status (overrides the code's). */
  status?: number;
  /** Body: a string is sent as is, anything else as JSON (overrides the code's). */
  body?: unknown;
  headers?: Record<string, string>;
  /** `Retry-After`: seconds, a Date (HTTP-date) or a raw string. */
  retryAfter?: number | Date | string;
  /** Wait this long before answering (or before breaking the connection). */
  latencyMs?: number;
  /**
   * Transport faults: `reset` destroys the connection; `goaway` sends HTTP/2 GOAWAY and closes the session
   * (streams above `lastStreamId` are refused); `refuse` closes the stream with REFUSED_STREAM; `hang`
   * never answers (until `close()`). Over HTTP/1.1, `goaway` and `refuse` destroy the connection.
   */
  transport?: 'reset' | 'goaway' | 'refuse' | 'hang';
  goaway?: GoawayOptions;
  /**
   * Answer this request as usual (or with the fault's code), then, in the next turn, send GOAWAY on every
   * open HTTP/2 connection (like `goawayAll()`; works from a worker thread, where `where` cannot).
   */
  goawayAll?: true | Omit<GoawayOptions, 'lastStreamId'>;
  /** APNs 410 timestamp (ms). */
  timestamp?: number;
  /** FCM QUOTA_EXCEEDED: which quota the QuotaFailure detail names. */
  quota?: FcmQuota;
  /**
   * Catalog context of `code`: `token` picks FCM's bad-token reading of INVALID_ARGUMENT (and SENDER_ID_MISMATCH
   * for firebase-admin's mismatched-credential); `target` answers a success that lists failed targets
   * (HMS illegal_tokens, Xiaomi bad_regids, vivo invalidUsers, Meizu value map, Honor failTokens/expireTokens).
   */
  context?: string;
  /** The failed targets for `context: 'target'`; default: the request's tokens. */
  tokens?: readonly string[];
  /** FCM INVALID_ARGUMENT: the field a BadRequest violation names. */
  field?: string;
}

export interface GoawayOptions {
  /** Last stream the server processes; default: the stream before the faulted one (it is not processed). */
  lastStreamId?: number;
  /** HTTP/2 error code; default NO_ERROR (0). */
  errorCode?: number;
  /** Debug data; default on APNs `{"reason":"Shutdown"}`. `null` for none. */
  debug?: string | object | null;
}

export type RouteMatch = RouteName | `${RouteName}:${string}` | string;

/** A scripted fault: which requests, how many times, what happens. */
export interface FaultRule extends Fault {
  /** Route(s) or provider id(s) to match: `apns`, `fcm`, `hms`, `vendor`, `xiaomi`... */
  route?: RouteMatch | RouteMatch[];
  /** Target token(s) to match (any of the request's tokens). */
  token?: string | readonly string[];
  /** FCM project / HMS app / APNs topic to match. */
  project?: string;
  /** Any other condition (message content, headers, request number...). */
  where?: (req: RequestInfo) => boolean;
  /** How many matching requests get the fault; default 1; `Infinity` for all. */
  times?: number;
  /** Let this many matching requests through first. */
  skip?: number;
}

/** A fault drawn at random: each request gets it with probability `rate`. */
export interface RandomFault extends Fault {
  rate: number;
  route?: RouteMatch | RouteMatch[];
}

export interface RandomFaultOptions {
  /** Seed for reproducible runs; default 1. */
  seed?: number;
  faults: readonly RandomFault[];
}

function routeMatches(want: RouteMatch | RouteMatch[] | undefined, req: RequestInfo): boolean {
  if (want === undefined) return true;
  const list = Array.isArray(want) ? want : [want];
  return list.some((w) => w === req.route || w === req.provider);
}

function tokenMatches(want: string | readonly string[] | undefined, req: RequestInfo): boolean {
  if (want === undefined) return true;
  const list: readonly string[] = typeof want === 'string' ? [want] : want;
  if (req.tokens) return req.tokens.some((t) => list.includes(t));
  return req.token !== undefined && list.includes(req.token);
}

interface LiveRule {
  rule: FaultRule;
  left: number;
  skip: number;
}

/** Scripted and random faults, consulted once per request. */
export class FaultBook {
  private rules: LiveRule[] = [];
  private random: readonly RandomFault[] = [];
  private rng: () => number = seededRandom(1);

  get empty(): boolean {
    return this.rules.length === 0 && this.random.length === 0;
  }

  script(rules: FaultRule | readonly FaultRule[]): void {
    for (const rule of Array.isArray(rules) ? rules : [rules as FaultRule]) {
      this.rules.push({ rule, left: rule.times ?? 1, skip: rule.skip ?? 0 });
    }
  }

  setRandom(options: RandomFaultOptions | null): void {
    this.random = options?.faults ?? [];
    this.rng = seededRandom(options?.seed ?? 1);
  }

  /** Scripted rules not yet used up. */
  pending(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  clear(): void {
    this.rules = [];
    this.random = [];
  }

  /** The fault for this request, if any (consumes one use of a scripted rule). */
  pick(req: RequestInfo): Fault | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const live = this.rules[i]!;
      const r = live.rule;
      if (!routeMatches(r.route, req) || !tokenMatches(r.token, req)) continue;
      if (r.project !== undefined && r.project !== req.project) continue;
      if (r.where && !r.where(req)) continue;
      if (live.skip > 0) {
        live.skip--;
        continue;
      }
      if (--live.left <= 0) this.rules.splice(i, 1);
      return r;
    }
    if (this.random.length === 0) return undefined;
    const roll = this.rng();
    let acc = 0;
    for (const f of this.random) {
      if (!routeMatches(f.route, req)) continue;
      acc += f.rate;
      if (roll < acc) return f;
    }
    return undefined;
  }
}
