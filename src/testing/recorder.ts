import type { RouteName } from './faults.js';

/** One request as the fake server saw it. Tokens are raw: this is a test tool and assertions need them. */
export interface LogEntry {
  /** 1-based request number since start/reset. */
  n: number;
  /** Arrival time (server clock, ms since epoch). */
  t: number;
  route: RouteName | 'unknown';
  provider: string;
  proto: 'h2' | 'h1';
  /** Connection number (1-based, in accept order). */
  session: number;
  streamId?: number;
  token?: string;
  project?: string;
  /** HTTP status sent; 0 while unanswered or when a transport fault answered instead. */
  status: number;
  /** Provider code of the answer (`Unregistered`, `QUOTA_EXCEEDED`, `80000000`...), when not plain success. */
  code?: string;
  /** Transport fault applied: `reset`, `goaway`, `refuse`, `hang`, or `refused-by-goaway` for in-flight streams cut by a GOAWAY. */
  fault?: string;
  /** When the answer was written (server clock). */
  doneAt?: number;
  /** The `Retry-After` header of the answer, as sent. */
  retryAfter?: string;
}

export interface LogFilter {
  route?: RouteName | 'unknown';
  provider?: string;
  token?: string;
  project?: string;
  status?: number;
  /** Arrived at or after (ms). */
  since?: number;
  /** Arrived before (ms). */
  before?: number;
}

export interface Stats {
  requests: number;
  /** Requests that got an HTTP answer with status 2xx. */
  ok: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  byToken: Record<string, number>;
  /** Transport faults applied, by kind. */
  byFault: Record<string, number>;
  /** Connections accepted since start/reset (TCP connections, any protocol). */
  connections: number;
  openConnections: number;
  /** Requests being processed now (including hung and delayed ones). */
  inFlight: number;
  maxInFlight: number;
  /** Highest number of concurrently open streams seen on one HTTP/2 session. */
  maxStreamsPerSession: number;
  /** Log entries not kept because `logLimit` was reached. */
  logDropped: number;
}

function inc<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counters and the request log. */
export class Recorder {
  readonly log: LogEntry[] = [];
  requests = 0;
  ok = 0;
  connections = 0;
  openConnections = 0;
  inFlight = 0;
  maxInFlight = 0;
  maxStreamsPerSession = 0;
  logDropped = 0;
  private byRoute = new Map<string, number>();
  private byStatus = new Map<number, number>();
  private byCode = new Map<string, number>();
  private byToken = new Map<string, number>();
  private byFault = new Map<string, number>();

  constructor(
    public logEnabled: boolean,
    public logLimit: number,
    public countTokens: boolean,
  ) {}

  arrive(entry: LogEntry): void {
    this.requests++;
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    inc(this.byRoute, entry.route);
    if (this.countTokens && entry.token !== undefined) inc(this.byToken, entry.token);
    if (!this.logEnabled) return;
    if (this.log.length < this.logLimit) this.log.push(entry);
    else this.logDropped++;
  }

  answered(entry: LogEntry, status: number, code: string | undefined, now: number, retryAfter?: string): void {
    this.inFlight--;
    entry.status = status;
    entry.doneAt = now;
    if (retryAfter !== undefined) entry.retryAfter = retryAfter;
    if (code !== undefined) {
      entry.code = code;
      inc(this.byCode, code);
    }
    inc(this.byStatus, status);
    if (status >= 200 && status < 300) this.ok++;
  }

  faulted(entry: LogEntry, kind: string, now: number): void {
    this.inFlight--;
    entry.fault = kind;
    entry.doneAt = now;
    inc(this.byFault, kind);
  }

  /** A request abandoned without an answer (client went away, server closed). */
  dropped(): void {
    this.inFlight--;
  }

  reset(): void {
    this.log.length = 0;
    this.requests = this.ok = this.maxInFlight = this.maxStreamsPerSession = this.logDropped = 0;
    this.connections = 0;
    this.maxInFlight = this.inFlight;
    for (const m of [this.byRoute, this.byStatus, this.byCode, this.byToken, this.byFault]) m.clear();
  }

  stats(): Stats {
    return {
      requests: this.requests,
      ok: this.ok,
      byRoute: Object.fromEntries(this.byRoute),
      byStatus: Object.fromEntries(this.byStatus),
      byCode: Object.fromEntries(this.byCode),
      byToken: Object.fromEntries(this.byToken),
      byFault: Object.fromEntries(this.byFault),
      connections: this.connections,
      openConnections: this.openConnections,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      maxStreamsPerSession: this.maxStreamsPerSession,
      logDropped: this.logDropped,
    };
  }
}

/** Log entries matching every field of `filter`. */
export function filterLog(log: readonly LogEntry[], filter: LogFilter = {}): LogEntry[] {
  return log.filter(
    (e) =>
      (filter.route === undefined || e.route === filter.route) &&
      (filter.provider === undefined || e.provider === filter.provider) &&
      (filter.token === undefined || e.token === filter.token) &&
      (filter.project === undefined || e.project === filter.project) &&
      (filter.status === undefined || e.status === filter.status) &&
      (filter.since === undefined || e.t >= filter.since) &&
      (filter.before === undefined || e.t < filter.before),
  );
}

export interface MaxRateOptions extends LogFilter {
  /** Group by target token or by project. */
  by: 'token' | 'project';
  /** Sliding window length; default 60,000 ms. */
  windowMs?: number;
}

/** The highest number of requests any one key received within any sliding window, from the log. */
export function maxRate(log: readonly LogEntry[], options: MaxRateOptions): { key: string | undefined; count: number } {
  const windowMs = options.windowMs ?? 60_000;
  const times = new Map<string, number[]>();
  for (const e of filterLog(log, options)) {
    const key = options.by === 'token' ? e.token : e.project;
    if (key === undefined) continue;
    let list = times.get(key);
    if (!list) times.set(key, (list = []));
    list.push(e.t);
  }
  let best: { key: string | undefined; count: number } = { key: undefined, count: 0 };
  for (const [key, list] of times) {
    list.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < list.length; hi++) {
      while (list[hi]! - list[lo]! >= windowMs) lo++;
      if (hi - lo + 1 > best.count) best = { key, count: hi - lo + 1 };
    }
  }
  return best;
}
