import type { FaultRule, GoawayOptions, RandomFaultOptions, RequestInfo } from './faults.js';
import type { ApnsKey, ApnsTestKey } from './jwt.js';
import type { RateLimits } from './rate.js';
import type { LogEntry, LogFilter, MaxRateOptions, Stats } from './recorder.js';
import type { FakeResponse } from './shapes/index.js';

/** Options and handle of `startFakeProvider`. */
export interface FakeProviderOptions {
  /** FCM OAuth access tokens accepted as `Authorization: Bearer`; default: any non-empty bearer token. */
  fcmAccessTokens?: readonly string[];
  /** FCM project ids that exist (others get 403 PERMISSION_DENIED); default: any. */
  fcmProjects?: readonly string[];
  /** HMS access tokens accepted; default: any non-empty bearer token. */
  hmsAccessTokens?: readonly string[];
  /**
   * APNs signing keys whose ES256 JWTs are accepted. Default: one generated key, exposed as
   * `fake.apnsKey` for signing. `false`: do not check APNs authorization at all.
   */
  apnsKeys?: readonly ApnsKey[] | false;
  /** Bundle ids allowed as `apns-topic` (push-type suffixes are stripped); others get 400 TopicDisallowed. Default: any. */
  apnsTopics?: readonly string[];
  /** Tokens not matching get APNs 400 BadDeviceToken / FCM 400 INVALID_ARGUMENT. Default: any token. */
  tokenPattern?: { apns?: RegExp; fcm?: RegExp };
  /** Rate enforcement per route or vendor (`fcm`, `apns`, `hms`, `xiaomi`...). Default: none. */
  limits?: Partial<Record<string, RateLimits>>;
  /** Fixed answers for `/vendor/{provider}/send`. */
  vendorResponses?: Record<string, FakeResponse | ((req: RequestInfo) => FakeResponse)>;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised to HTTP/2 clients; default 1000. */
  maxConcurrentStreams?: number;
  /** Keep a request log (default true). Disable for benchmarks; counters stay on. */
  log?: boolean;
  /** Log entries kept at most (default 1,000,000). */
  logLimit?: number;
  /** Count requests per token in `stats().byToken` (default true). */
  countTokens?: boolean;
  /** Largest request body read (default 1 MiB); larger ones are answered 413/PayloadTooLarge. */
  maxBodyBytes?: number;
  /**
   * APNs refuses a provider token change on one connection sooner than this after the previous token
   * (by `iat`) with 429 TooManyProviderTokenUpdates. Apple asks for at least 20 minutes (1,200,000).
   * Default 0: not enforced, so tests that script ExpiredProviderToken can refresh at once.
   */
  apnsTokenUpdateMs?: number;
  /**
   * Like APNs with token auth: a new HTTP/2 connection allows 1 stream until a request with a valid
   * provider token succeeded, then `maxConcurrentStreams`. Default false.
   */
  apnsColdStart?: boolean;
  /** Like APNs (observed): after an APNs error the connection's stream limit drops to 1, and returns after a success. Default false. */
  apnsThrottleOnError?: boolean;
  /** Clock for JWT ages, rate windows and the log (default `Date.now`). */
  now?: () => number;
  /** Also listen for HTTP/2 without TLS (h2c); default true. */
  h2c?: boolean;
  /** Host to bind; loopback only (default 127.0.0.1). */
  host?: '127.0.0.1' | 'localhost' | '::1';
  /** TLS identity; default `testCertificate()` (one per process). Pass one to run several servers (e.g.
   * cluster workers sharing a port) that clients trust alike. */
  certificate?: { key: string; cert: string };
}

export interface MarkDeadOptions {
  /** APNs reason (default `Unregistered`: 410 with timestamp). */
  apnsReason?: string;
  /** FCM code (default `UNREGISTERED`: 404). */
  fcmCode?: string;
  /** When the token was confirmed invalid (ms); default now. */
  timestamp?: number;
}

/** A running fake provider. */
export interface FakeProvider {
  /** `https://127.0.0.1:<port>`: HTTP/2 over TLS (HTTP/1.1 over TLS too, by ALPN). The certificate also names `localhost`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`: plain HTTP/1.1. */
  readonly http1Url: string;
  /** `http://127.0.0.1:<port>`: HTTP/2 without TLS (prior knowledge), when enabled. */
  readonly h2cUrl: string | undefined;
  readonly port: number;
  readonly http1Port: number;
  readonly h2cPort: number | undefined;
  /** PEM certificate to trust (`connect: { ca }` in undici, `ca` in http2.connect). */
  readonly ca: string;
  /** The generated APNs key (when `apnsKeys` was not given): sign provider tokens with it. */
  readonly apnsKey: ApnsTestKey | undefined;
  /** The request log (live array; empty when logging is off). */
  readonly log: readonly LogEntry[];
  /** Counters snapshot. */
  stats(): Stats;
  /** Log entries matching a filter: `requests({ token, before: t })`. */
  requests(filter?: LogFilter): LogEntry[];
  /** Highest request count any token/project saw within a sliding window, from the log. */
  maxRate(options: MaxRateOptions): { key: string | undefined; count: number };
  /** Adds scripted faults, consulted in order before the normal answer. */
  script(rules: FaultRule | readonly FaultRule[]): void;
  /** Scripted faults not yet used up. */
  pendingScripts(): FaultRule[];
  /** Random faults by rate with a seeded RNG; `null` turns them off. */
  setFaults(options: RandomFaultOptions | null): void;
  /** Makes a token answer 410 (APNs) / 404 UNREGISTERED (FCM) / illegal (HMS) from now on. */
  markDead(token: string, options?: MarkDeadOptions): void;
  /** Brings a dead token back. */
  revive(token: string): void;
  /** Replaces rate limits for one route or vendor (`undefined` removes them). */
  setLimits(route: string, limits: RateLimits | undefined): void;
  /** Sets the answer of `/vendor/{provider}/send` (`undefined`: back to the vendor's success shape). */
  setVendorResponse(provider: string, response: FakeResponse | ((req: RequestInfo) => FakeResponse) | undefined): void;
  /** Replaces the accepted FCM access tokens (`undefined`: any bearer). */
  setFcmAccessTokens(tokens: readonly string[] | undefined): void;
  /** Changes SETTINGS_MAX_CONCURRENT_STREAMS on every open session and for new ones. */
  setMaxConcurrentStreams(n: number): void;
  /** Sends GOAWAY on every open HTTP/2 session now (in-flight streams are still answered) and closes them gracefully. */
  goawayAll(options?: Omit<GoawayOptions, 'lastStreamId'>): void;
  /** Resets (TCP RST) every open connection now. */
  dropConnections(): void;
  /** Clears faults, dead tokens, rate windows, counters and the log (connections stay open). */
  reset(): void;
  /** Stops listening, ends every connection, hung request and timer. */
  close(): Promise<void>;
}
