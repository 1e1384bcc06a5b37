/**
 * `runDemo`: a realistic campaign through the engine against the fake provider server on loopback.
 * No network, no credentials: the FCM access token and the APNs keys are generated for the run.
 *
 * The providers' own time scales (FCM: wait 10 s before a retry, 60 s after QUOTA_EXCEEDED; 240
 * messages per device per minute) are compressed so the demo finishes in well under a minute; the
 * summary says so.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { apnsSender, type ApnsNotification, type ApnsSender } from '../apns/index.js';
import { catalog } from '../catalog/catalog.js';
import { classify } from '../classify/index.js';
import { createSender } from '../engine/index.js';
import type { EngineEvent, Sender, SenderOptions } from '../engine/types.js';
import { fcmSender, TransportError, type FcmMessage, type FcmSender } from '../fcm/index.js';
import { redactToken } from '../redact.js';
import { generateApnsKey, startFakeProviderInWorker, type FaultRule, type LogEntry, type WorkerFaultRule } from '../testing/index.js';
import type { Outcome, SendContext } from '../types.js';
import { createCampaign, type Campaign, type CampaignOptions, type DemoMessage, type FaultStep } from './campaign.js';
import {
  checkCoolDowns,
  checkOneOutcomeEach,
  checkRateLimits,
  countOutcomes,
  deviceKey,
  maxRate,
  projectKey,
  type LoggedRequest,
  type RateLimit,
  type RateReport,
} from './invariants.js';
import type { Progress, ProgressCounts } from './progress.js';
import { percentile, type DemoSummary } from './summary.js';
import { scaleCatalog } from './time-scale.js';

export interface DemoLimits {
  device: RateLimit[];
  project: RateLimit[];
}

/** How much arrival delays may vary on this shared machine (see `limits.arrivalJitterMs`). */
export const DEMO_ARRIVAL_JITTER_MS = 250;

/** Demo-scaled limits (the published ones are per minute and per hour; see the summary's note). */
export const DEMO_LIMITS: DemoLimits = {
  device: [{ count: 5, perMs: 1000 }],
  project: [{ count: 5000, perMs: 1000 }],
};

/** Catalog retry floors are multiplied by this in the demo (FCM's 60 s after QUOTA_EXCEEDED → 2 s). */
export const DEMO_TIME_SCALE = 1 / 30;

/** Connection faults in the demo: a connection reset and a GOAWAY on every connection. */
export const DEMO_CONNECTION_FAULTS = ['reset', 'goaway'] as const;

export interface DemoOptions {
  messages: number;
  faultRate: number;
  seed: string | number;
  /** Max requests in flight per provider. Default 200. */
  concurrency?: number;
  /** Injected Retry-After range, seconds. Default [1, 2]. */
  retryAfterS?: [number, number];
  limits?: DemoLimits;
  /** Every engine event (tokens redacted), e.g. a sink for the redaction test. */
  onEvent?: (event: EngineEvent) => void;
  progress?: Progress;
  /** Abort an attempt that has no answer after this long, ms (a watchdog over the senders' own
   * timeouts, so a stuck connection can never hang the demo). Default 5000; 0 = none. */
  attemptTimeoutMs?: number;
  /** The senders' per-request timeout, ms. Default 2000 (loopback answers in microseconds). */
  senderTimeoutMs?: number;
  /** Per-request fault kinds to inject (default TRANSIENT_FAULTS). */
  kinds?: CampaignOptions['kinds'];
  /** Connection faults (reset, GOAWAY) of each kind (default 1 per 5,000 messages). */
  connectionFaults?: number;
  connectionKinds?: CampaignOptions['connectionKinds'];
}

export interface DemoOutcome {
  id: string;
  outcome: Outcome<DemoMessage>['outcome'];
  attempts: number;
  elapsedMs: number;
}

export interface DemoResult {
  summary: DemoSummary;
  campaign: Campaign;
  outcomes: DemoOutcome[];
  /** The server's request log, normalised (raw tokens: for assertions only). */
  log: LoggedRequest[];
  /** Every attempt as the client made it: sent at, answer read at, status and Retry-After. */
  attemptLog: LoggedRequest[];
  /** Tokens the prune hook received. */
  pruned: string[];
  /** Secrets the run used (for redaction checks): FCM access token, APNs private keys (PEM). */
  secrets: string[];
}

const FAULT_OF: Record<FaultStep['kind'], (p: DemoMessage['provider']) => Omit<FaultRule, 'token' | 'route'>> = {
  unavailable: (p) => ({ code: p === 'apns' ? 'ServiceUnavailable' : 'UNAVAILABLE' }),
  internal: (p) => ({ code: p === 'apns' ? 'InternalServerError' : 'INTERNAL' }),
  'too-many-requests': (p) => ({ code: p === 'apns' ? 'TooManyRequests' : 'QUOTA_EXCEEDED', ...(p === 'fcm' ? { quota: 'device' as const } : {}) }),
  'quota-project': () => ({ code: 'QUOTA_EXCEEDED', quota: 'project' }),
  reset: () => ({ transport: 'reset' }),
  // GOAWAY on every open connection (in-flight streams are still answered; streams the server has not
  // seen are refused and re-sent by the senders). The per-request `transport: 'goaway'` fault is not
  // used under load: on Node 20.20, GOAWAY and RST_STREAM on the same stream in one tick corrupted the
  // server's heap (the fake server now defers the refusal; see src/testing/server.ts `outsideReceive`).
  goaway: (p) => ({ goawayAll: p === 'apns' ? { debug: { reason: 'Shutdown' } } : true }),
  'refused-stream': () => ({ transport: 'refuse' }),
  hang: () => ({ transport: 'hang' }),
  latency: () => ({ latencyMs: 50 }),
};

/** The FCM message for a demo message (a bad one carries a non-string data value, which FCM rejects). */
export function toFcm(m: DemoMessage): FcmMessage {
  return {
    token: m.token,
    notification: { title: m.title, body: m.body },
    data: m.bad ? ({ id: m.id, count: 3 } as unknown as Record<string, string>) : { id: m.id },
    android: { ...(m.collapseKey ? { collapse_key: m.collapseKey } : {}), ...(m.ttlMs ? { ttl: `${m.ttlMs / 1000}s` } : {}) },
  };
}

/** A device token outside any campaign, for warming an app's connections. */
function warmUpToken(provider: DemoMessage['provider'], i: number): string {
  return provider === 'apns' ? `${'0'.repeat(56)}${i.toString(16).padStart(8, '0')}` : `warm-up-${i}`;
}

function ignore(): void {}

/** The APNs notification for a demo message (a bad one is over the 4 KB payload limit: rejected before sending). */
export function toApns(m: DemoMessage): ApnsNotification {
  return {
    token: m.token,
    topic: m.project,
    payload: { aps: { alert: { title: m.title, body: m.body } }, id: m.id, ...(m.bad ? { blob: 'x'.repeat(5000) } : {}) },
    ...(m.collapseKey ? { collapseId: m.collapseKey } : {}),
  };
}

/** The campaign `runDemo(opts)` sends (the same options give the same messages and tokens). */
export function demoCampaign(opts: DemoOptions): Campaign {
  return createCampaign({
    messages: opts.messages,
    faultRate: opts.faultRate,
    seed: opts.seed,
    retryAfterS: opts.retryAfterS ?? [1, 2],
    maxAttempts: DEMO_MAX_ATTEMPTS,
    ...(opts.kinds ? { kinds: opts.kinds } : {}),
    ...(opts.connectionFaults !== undefined ? { connectionFaults: opts.connectionFaults } : {}),
    connectionKinds: opts.connectionKinds ?? DEMO_CONNECTION_FAULTS,
  });
}

const DEMO_MAX_ATTEMPTS = 5;

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const retryAfterS = opts.retryAfterS ?? [1, 2];
  const limits = opts.limits ?? DEMO_LIMITS;
  const maxAttempts = DEMO_MAX_ATTEMPTS;
  const campaign = demoCampaign(opts);

  const fcmAccessToken = `demo-${randomBytes(16).toString('hex')}`;
  const apnsKey = generateApnsKey('DEMOKEY001', 'DEMOTEAM01');
  const revokedKey = generateApnsKey('REVOKED001', 'DEMOTEAM01');
  // The provider runs in a worker thread, as a real one runs elsewhere: its clock sees requests when they
  // arrive, not when this process's busy event loop gets to them (which would bunch arrivals together).
  const fake = await startFakeProviderInWorker({
    fcmAccessTokens: [fcmAccessToken],
    apnsKeys: [{ keyId: apnsKey.keyId, teamId: apnsKey.teamId, publicKey: apnsKey.publicKey }],
    logLimit: 10_000_000,
  });

  // Scripted faults (the server records each Retry-After it sends in its log).
  const providerOf = new Map(campaign.messages.map((m) => [m.token, m.provider]));
  const rules: WorkerFaultRule[] = [];
  for (const [token, steps] of campaign.faults) {
    const provider = providerOf.get(token)!;
    for (const step of steps) {
      rules.push({
        route: provider,
        token,
        ...FAULT_OF[step.kind](provider),
        ...(step.retryAfterS !== undefined ? { retryAfter: step.retryAfterS } : {}),
      });
    }
  }
  await fake.script(rules);
  await Promise.all([...campaign.deadTokens].map((t) => fake.markDead(t)));

  const tls = { ca: fake.ca };
  const timeoutMs = opts.senderTimeoutMs ?? 2000;
  const fcmSenders = new Map<string, FcmSender>();
  const apnsSenders = new Map<string, ApnsSender>();
  for (const app of campaign.apps) {
    if (app.provider === 'fcm') {
      fcmSenders.set(app.project, fcmSender({ projectId: app.project, credential: { getAccessToken: () => ({ access_token: fcmAccessToken, expires_in: 3600 }) }, url: fake.url, tls, timeoutMs }));
    } else {
      const key = app.credential === 'wrong' ? revokedKey : apnsKey;
      apnsSenders.set(app.project, apnsSender({ key: key.privateKey, keyId: key.keyId, teamId: key.teamId, environment: 'production', topic: app.project, url: fake.url, tls, timeoutMs }));
    }
  }

  const counts: ProgressCounts = { total: campaign.messages.length, done: 0, delivered: 0, retries: 0, notDelivered: 0 };
  const pruned: string[] = [];
  let quarantined = 0;
  const onEvent = (e: EngineEvent) => {
    if (e.type === 'outcome') {
      counts.done++;
      if (e.outcome === 'delivered') counts.delivered++;
      else counts.notDelivered++;
      opts.progress?.update(counts);
    } else if (e.type === 'attempt' && e.decision.kind === 'retry') counts.retries++;
    else if (e.type === 'prune-suspended') quarantined = Math.max(quarantined, e.quarantined);
    opts.onEvent?.(e);
  };
  opts.progress?.update(counts);

  const demoCatalog = scaleCatalog(catalog(), DEMO_TIME_SCALE);
  const common = <M>(target: SenderOptions<M>['target']): Omit<SenderOptions<M>, 'provider'> => ({
    target,
    deadline: (m, first) => ((m as DemoMessage).ttlMs ? first + (m as DemoMessage).ttlMs! : undefined),
    collapsible: (m) => (m as DemoMessage).collapseKey !== undefined,
    // Demo time scale: FCM asks for at least 10 s between retries; the demo waits what the server says.
    retry: { maxAttempts, initialDelayMs: 100, maxDelayMs: 2000, minDelayMs: 0, defaultRetryAfterMs: 60_000 * DEMO_TIME_SCALE },
    classify: (input) => classify(input, { catalog: demoCatalog }),
    // Client and provider share this machine's two cores: a request can reach the provider up to ~200 ms
    // later than another sent just after it, so the windows leave that much room (the default is 100 ms).
    limits: { device: limits.device, project: limits.project, concurrency: opts.concurrency ?? 200, arrivalJitterMs: DEMO_ARRIVAL_JITTER_MS },
    onDropToken: (batch) => {
      for (const e of batch) pruned.push(e.token);
    },
    onEvent,
  });
  // Client-side attempt log: when each attempt left and when its answer was read, for the exact
  // cool-down check (the server cannot tell a request sent before the client read a 429 from one after).
  const attemptLog: LoggedRequest[] = [];
  const logged =
    <R extends { status: number; headers: Record<string, string> }>(send: (m: DemoMessage, ctx: SendContext) => Promise<R>) =>
    async (m: DemoMessage, ctx: SendContext): Promise<R> => {
      const rec: LoggedRequest = { at: Date.now(), provider: m.provider, project: m.project, token: m.token, messageId: m.id };
      attemptLog.push(rec);
      const watchdog = opts.attemptTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      try {
        const res =
          watchdog > 0
            ? await Promise.race([
                send(m, ctx),
                new Promise<never>((_, reject) => {
                  timer = setTimeout(() => reject(new TransportError(`demo watchdog: no answer within ${watchdog} ms`, { code: 'ETIMEDOUT', requestSent: true })), watchdog);
                }),
              ])
            : await send(m, ctx);
        rec.status = res.status;
        const ra = Number(res.headers['retry-after']);
        if (res.headers['retry-after'] !== undefined && Number.isFinite(ra)) rec.retryAfterMs = ra * 1000;
        return res;
      } finally {
        clearTimeout(timer);
        rec.answeredAt = Date.now();
      }
    };
  const fcmEngine: Sender<DemoMessage> = createSender(
    logged((m, ctx) => fcmSenders.get(m.project)!.send(toFcm(m), ctx)),
    { provider: 'fcm', ...common<DemoMessage>((m) => fcmSenders.get(m.project)!.target(toFcm(m))) },
  );
  const apnsEngine: Sender<DemoMessage> = createSender(
    logged((m, ctx) => apnsSenders.get(m.project)!.send(toApns(m), ctx)),
    { provider: 'apns', ...common<DemoMessage>((m) => apnsSenders.get(m.project)!.target(toApns(m))) },
  );

  // Connections are opened before the campaign, as a long-running sender has them: one request per app to
  // a device outside the campaign. (A cold pool holds a burst until its first connection is up, so the
  // burst reaches the provider up to a TLS handshake later than the engine counted it.)
  await Promise.all(
    campaign.apps.map((app, i) => {
      const token = warmUpToken(app.provider, i);
      if (app.provider === 'fcm') return fcmSenders.get(app.project)!.send({ token, data: { warmUp: '1' } }).catch(ignore);
      if (app.credential === 'wrong') return undefined;
      return apnsSenders.get(app.project)!.send({ token, topic: app.project, payload: { aps: { 'content-available': 1 } } }).catch(ignore);
    }),
  );

  const byProvider = (p: DemoMessage['provider']) => campaign.messages.filter((m) => m.provider === p);
  let results: Outcome<DemoMessage>[];
  try {
    const [f, a] = await Promise.all([fcmEngine.sendMany(byProvider('fcm')), apnsEngine.sendMany(byProvider('apns'))]);
    results = [...f, ...a];
  } finally {
    await Promise.allSettled([fcmEngine.close(), apnsEngine.close()]);
    opts.progress?.stop();
  }
  // Senders close after their in-flight requests; a stuck one (findings item 6) is ended by the server
  // closing its connections.
  const closingSenders = Promise.allSettled([...fcmSenders.values(), ...apnsSenders.values()].map((s) => s.close()));
  await Promise.race([closingSenders, delay(2000)]);
  const stats = await fake.stats();
  const log = normalizeLog(await fake.log(), campaign);
  await fake.close();
  await Promise.race([closingSenders, delay(2000)]);

  const outcomes: DemoOutcome[] = results.map((o) => ({ id: o.message.id, outcome: o.outcome, attempts: o.attempts, elapsedMs: o.elapsedMs }));
  // Device limits are checked where the engine enforces them, on the times requests left it (exact); what
  // the provider saw is reported next to it: arrivals shift by the client's event loop and the OS
  // scheduler, which on two shared cores can exceed `arrivalJitterMs`. Project limits (two sub-windows
  // of margin) are checked at both ends.
  const rates = {
    device: limits.device.map((l) => ({ ...redactRate(maxRate(attemptLog, deviceKey, l), true), arrived: maxRate(log, deviceKey, l).max })),
    project: limits.project.map((l) => redactRate(maxRate(log, projectKey, l), false)),
  };
  const violations = [
    ...checkOneOutcomeEach(campaign.messages.map((m) => m.id), outcomes),
    // Server log: a message is never retried before a Retry-After the client received (exact; an answer
    // lost to a reset never reached the engine). Client log: no attempt leaves for a cooled-down message,
    // device or project after the client read the answer (exact, no grace).
    ...checkCoolDowns(receivedOnly(log, attemptLog), { scopes: messageScope }),
    ...checkCoolDowns(attemptLog, { scopes: engineCoolDownScopes, inFlightMs: 0 }),
    ...checkRateLimits(attemptLog, limits),
    ...checkRateLimits(log, { project: limits.project }),
  ];
  const faults: Record<string, number> = {};
  for (const [code, n] of Object.entries(stats.byCode)) if (code !== 'Unregistered' && code !== 'UNREGISTERED') faults[code] = n;
  for (const [kind, n] of Object.entries(stats.byFault)) faults[kind] = n;
  const times = outcomes.map((o) => o.elapsedMs);
  const summary: DemoSummary = {
    seed: campaign.seed,
    messages: campaign.messages.length,
    faultRate: opts.faultRate,
    outcomes: countOutcomes(outcomes),
    retried: outcomes.filter((o) => o.attempts > 1).length,
    attempts: outcomes.reduce((s, o) => s + o.attempts, 0),
    requests: stats.requests,
    faults,
    timeToOutcomeMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(0, ...times) },
    rates,
    pruned: pruned.length,
    quarantined,
    retryAfterS,
    timeScale: DEMO_TIME_SCALE,
    invariants: { ok: violations.length === 0, violations },
    durationMs: Math.round(performance.now() - started),
  };
  return { summary, campaign, outcomes, log, attemptLog, pruned, secrets: [fcmAccessToken, apnsKey.privateKey, revokedKey.privateKey] };
}

/** What the engine cools after an answer: the message after any Retry-After; its device after an APNs
 * 429; its project after an FCM 429 (the engine treats FCM quota errors as project-wide). */
export function engineCoolDownScopes(r: LoggedRequest): string[] {
  const keys = r.messageId ? [`message:${r.messageId}`] : [];
  if (r.status === 429 && r.provider === 'apns' && r.token) keys.push(`device:${r.provider}:${r.token}`);
  if (r.status === 429 && r.provider === 'fcm') keys.push(`project:${r.provider}:${r.project}`);
  return keys;
}

/**
 * The server log with Retry-After kept only on answers the client read: an attempt of the same message
 * that left no later than the server received the request, and read the same status at or after the
 * server wrote it (within 1 s). (An answer written just before its connection died is not read; the
 * message's next attempt may then read the same status from a later request, which must not count.)
 */
export function receivedOnly(log: readonly LoggedRequest[], attempts: readonly LoggedRequest[]): LoggedRequest[] {
  const byMessage = new Map<string, LoggedRequest[]>();
  for (const a of attempts) {
    if (a.messageId === undefined || a.status === undefined) continue;
    const list = byMessage.get(a.messageId) ?? [];
    list.push(a);
    byMessage.set(a.messageId, list);
  }
  return log.map((r) => {
    if (r.retryAfterMs === undefined || r.messageId === undefined || r.answeredAt === undefined) return r;
    const seen = (byMessage.get(r.messageId) ?? []).some(
      (a) => a.status === r.status && a.at <= r.at && a.answeredAt! >= r.answeredAt! && a.answeredAt! - r.answeredAt! < 1000,
    );
    if (seen) return r;
    const { retryAfterMs: _lost, ...rest } = r;
    return rest;
  });
}

const messageScope = (r: LoggedRequest): string[] => (r.messageId ? [`message:${r.messageId}`] : []);

/** Rate reports name their worst key: a device's token is shown redacted. */
function redactRate(r: RateReport, device: boolean): RateReport {
  const { key, ...rest } = r;
  if (key === undefined) return rest;
  const i = key.indexOf(':');
  return { ...rest, key: device ? `${key.slice(0, i)}:${redactToken(key.slice(i + 1))}` : key };
}

/** The fake server's log in the checkers' shape; message ids are known for tokens that got one message. */
export function normalizeLog(entries: readonly LogEntry[], campaign: Campaign): LoggedRequest[] {
  const perToken = new Map<string, string | null>();
  for (const m of campaign.messages) perToken.set(m.token, perToken.has(m.token) ? null : m.id);
  return entries.map((e) => {
    const r: LoggedRequest = { at: e.t, provider: e.provider, project: e.project ?? '' };
    if (e.doneAt !== undefined) r.answeredAt = e.doneAt;
    if (e.token !== undefined) {
      r.token = e.token;
      const id = perToken.get(e.token);
      if (id) r.messageId = id;
    }
    if (e.status) r.status = e.status;
    if (e.fault === 'refuse' || e.fault === 'refused-by-goaway' || e.fault === 'goaway') r.refused = true;
    const ra = e.retryAfter === undefined ? NaN : Number(e.retryAfter);
    if (Number.isFinite(ra)) r.retryAfterMs = ra * 1000;
    return r;
  });
}
