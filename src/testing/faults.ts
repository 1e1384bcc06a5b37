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
  /** Order of scripting: rules are consulted in this order. */
  seq: number;
}

/** Scripted and random faults, consulted once per request. */
export class FaultBook {
  /**
   * Scripted rules that name tokens are indexed by token (a chaos campaign scripts one or more rules
   * for each of ~35,000 tokens, and a scan of them all per request made the server the bottleneck);
   * the others are scanned. A request consults the union in scripting order, as one list would.
   */
  private general: LiveRule[] = [];
  private byToken = new Map<string, LiveRule[]>();
  private live = 0;
  private seq = 0;
  private random: readonly RandomFault[] = [];
  private rng: () => number = seededRandom(1);

  get empty(): boolean {
    return this.live === 0 && this.random.length === 0;
  }

  script(rules: FaultRule | readonly FaultRule[]): void {
    for (const rule of Array.isArray(rules) ? rules : [rules as FaultRule]) {
      const live: LiveRule = { rule, left: rule.times ?? 1, skip: rule.skip ?? 0, seq: this.seq++ };
      this.live++;
      if (rule.token === undefined) {
        this.general.push(live);
        continue;
      }
      for (const t of new Set<string>(typeof rule.token === 'string' ? [rule.token] : rule.token)) {
        const list = this.byToken.get(t);
        if (list) list.push(live);
        else this.byToken.set(t, [live]);
      }
    }
  }

  setRandom(options: RandomFaultOptions | null): void {
    this.random = options?.faults ?? [];
    this.rng = seededRandom(options?.seed ?? 1);
  }

  /** Scripted rules not yet used up, in scripting order. */
  pending(): FaultRule[] {
    const all = new Set(this.general);
    for (const list of this.byToken.values()) for (const r of list) all.add(r);
    return [...all].sort((a, b) => a.seq - b.seq).map((r) => r.rule);
  }

  clear(): void {
    this.general = [];
    this.byToken.clear();
    this.live = 0;
    this.random = [];
  }

  /** The fault for this request, if any (consumes one use of a scripted rule). */
  pick(req: RequestInfo): Fault | undefined {
    if (this.live > 0) {
      const hit = this.pickScripted(req);
      if (hit) return hit;
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

  /** The first matching scripted rule in scripting order, with `skip` and `times` applied. */
  private pickScripted(req: RequestInfo): FaultRule | undefined {
    const candidates = this.tokenRules(req);
    const general = this.general;
    let g = 0;
    let c = 0;
    while (g < general.length || c < candidates.length) {
      const live = c >= candidates.length || (g < general.length && general[g]!.seq < candidates[c]!.seq) ? general[g++]! : candidates[c++]!;
      if (live.left <= 0) continue;
      const r = live.rule;
      if (!routeMatches(r.route, req) || !tokenMatches(r.token, req)) continue;
      if (r.project !== undefined && r.project !== req.project) continue;
      if (r.where && !r.where(req)) continue;
      if (live.skip > 0) {
        live.skip--;
        continue;
      }
      if (--live.left <= 0) this.remove(live);
      return r;
    }
    return undefined;
  }

  /** Live rules indexed under any of the request's tokens, in scripting order. */
  private tokenRules(req: RequestInfo): LiveRule[] {
    if (this.byToken.size === 0) return [];
    const tokens = req.tokens ?? (req.token !== undefined ? [req.token] : []);
    if (tokens.length === 1) return this.byToken.get(tokens[0]!) ?? [];
    const found = new Set<LiveRule>();
    for (const t of tokens) for (const r of this.byToken.get(t) ?? []) found.add(r);
    return [...found].sort((a, b) => a.seq - b.seq);
  }

  private remove(live: LiveRule): void {
    this.live--;
    const drop = (list: LiveRule[]) => {
      const i = list.indexOf(live);
      if (i !== -1) list.splice(i, 1);
    };
    if (live.rule.token === undefined) return drop(this.general);
    for (const t of typeof live.rule.token === 'string' ? [live.rule.token] : live.rule.token) {
      const list = this.byToken.get(t);
      if (!list) continue;
      drop(list);
      if (list.length === 0) this.byToken.delete(t);
    }
  }
}
