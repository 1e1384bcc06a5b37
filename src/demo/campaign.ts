/**
 * The demo campaign: a seeded, realistic mix of messages, targets and injected faults.
 * Pure data (no I/O): the runner turns the fault plan into fake-server scripts, and the tests derive
 * their expectations from the same plan.
 */
import type { OutcomeKind } from '../types.js';
import { createRng, type Rng } from './rng.js';

/** Per-request transient faults the demo injects by default; each one is retryable. */
export const TRANSIENT_FAULTS = ['unavailable', 'internal', 'too-many-requests', 'refused-stream'] as const;
/** Extra per-request faults for the chaos suite: a request that is never answered, a slow answer. */
export const CHAOS_FAULTS = [...TRANSIENT_FAULTS, 'hang', 'latency'] as const;
export type MessageFault = (typeof CHAOS_FAULTS)[number];
/** Faults that hit a whole connection (every request in flight on it), injected a few times per campaign. */
export const CONNECTION_FAULTS = ['reset', 'goaway'] as const;
export type TransientFault = MessageFault | (typeof CONNECTION_FAULTS)[number] | 'quota-project';

export type DemoProvider = 'fcm' | 'apns';

/** One app the campaign sends to: an FCM project or an APNs topic, with the credential in use. */
export interface DemoApp {
  provider: DemoProvider;
  /** FCM project id or APNs topic (bundle id). */
  project: string;
  /** `wrong`: the credential is not accepted by the server (the wrong-credential path). */
  credential: 'ok' | 'wrong';
  /** Share of the campaign's messages. */
  share: number;
}

export interface DemoMessage {
  /** Campaign-unique id (`m000042`); carried in the payload's data so logs can be joined. */
  id: string;
  provider: DemoProvider;
  project: string;
  /** Raw device token. */
  token: string;
  title: string;
  body: string;
  /** Collapse key / apns-collapse-id (messages without one are not retried when maybe delivered). */
  collapseKey?: string;
  /** Time to live from the first attempt, ms; a retry that would land later ends as `expired`. */
  ttlMs?: number;
  /** A malformed request: the provider (or the sender, before sending) rejects it. */
  bad?: boolean;
}

/** One scripted response to one request for a token, in order; after the script, the token behaves. */
export interface FaultStep {
  kind: TransientFault;
  /** Retry-After to send, seconds (503, 429). */
  retryAfterS?: number;
}

export interface CampaignOptions {
  messages: number;
  /** Share of ordinary messages that meet at least one transient fault, 0..1. */
  faultRate: number;
  seed: number | string;
  /** Retry-After values injected, seconds (inclusive range). Default [1, 2]. */
  retryAfterS?: [number, number];
  /** Attempts the engine makes, counting the first; scripts this long or longer end as `gave-up`. */
  maxAttempts?: number;
  /** Per-request fault kinds to use (default TRANSIENT_FAULTS). */
  kinds?: readonly MessageFault[];
  /** How many times each connection fault (reset, GOAWAY) is injected per app. Default 1 per 20,000 messages (at least 1). */
  connectionFaults?: number;
  /** Which connection faults (default both). */
  connectionKinds?: readonly (typeof CONNECTION_FAULTS)[number][];
}

export interface Campaign {
  seed: string;
  apps: DemoApp[];
  messages: DemoMessage[];
  /** Tokens that answer "unregistered" forever (FCM 404 UNREGISTERED, APNs 410 Unregistered). */
  deadTokens: Set<string>;
  /** Tokens that receive many messages (to exercise per-device limits). */
  hotTokens: Set<string>;
  /** Scripted transient faults, by token (each scripted token receives exactly one message). */
  faults: Map<string, FaultStep[]>;
  /** What the engine must produce for the deterministic parts of the plan; see `expectedOutcomes`. */
  expected: ExpectedOutcomes;
}

/** Outcomes the plan determines. Messages whose last fault may have been delivered (resets, GOAWAY on
 * a written request) may end `delivered` or `gave-up`, so those two are given as a sum and a bound. */
export interface ExpectedOutcomes {
  exact: Partial<Record<OutcomeKind, number>>;
  /** delivered + gave-up. */
  deliveredOrGaveUp: number;
  /** gave-up is at least this (scripts longer than the attempts). */
  gaveUpAtLeast: number;
}

export const DEFAULT_APPS: readonly DemoApp[] = [
  { provider: 'fcm', project: 'acme-shop', credential: 'ok', share: 0.55 },
  { provider: 'fcm', project: 'acme-news', credential: 'ok', share: 0.1 },
  { provider: 'apns', project: 'com.acme.shop', credential: 'ok', share: 0.33 },
  { provider: 'apns', project: 'com.acme.legacy', credential: 'wrong', share: 0.02 },
];

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';

/** An FCM registration token shaped like real ones (`<22 chars>:APA91b<134 chars>`). */
export function fcmToken(rng: Rng): string {
  return `${rng.string(B64URL, 22)}:APA91b${rng.string(B64URL, 134)}`;
}

/** An APNs device token: 64 hex characters. */
export function apnsToken(rng: Rng): string {
  return rng.string(HEX, 64);
}

const TITLES = ['Your order shipped', 'Flash sale: 2 hours left', 'New reply to your comment', 'Breaking: markets rally', 'Your weekly summary'];

/** Builds a campaign; the same options always give the same campaign. */
export function createCampaign(opts: CampaignOptions): Campaign {
  const n = Math.max(0, Math.floor(opts.messages));
  const rng = createRng(opts.seed);
  const [raMin, raMax] = opts.retryAfterS ?? [1, 2];
  const maxAttempts = opts.maxAttempts ?? 5;
  const kinds = opts.kinds ?? TRANSIENT_FAULTS;
  // An FCM 429 is QUOTA_EXCEEDED, which cools down the whole project: FCM gets its 429s from the
  // project-quota faults below, not from per-message faults (it would stall the whole campaign).
  const fcmKinds = kinds.filter((k) => k !== 'too-many-requests');
  const kindsFor = (p: DemoProvider) => (p === 'fcm' && fcmKinds.length > 0 ? fcmKinds : kinds);
  const faultRate = Math.min(1, Math.max(0, opts.faultRate));
  const apps = DEFAULT_APPS.map((a) => ({ ...a }));
  const tokenFor = (p: DemoProvider) => (p === 'fcm' ? fcmToken(rng) : apnsToken(rng));
  const retryAfter = () => rng.int(raMin, raMax);
  const connectionFaults = opts.connectionFaults ?? Math.max(1, Math.round(n / 20_000));

  const messages: DemoMessage[] = [];
  const deadTokens = new Set<string>();
  const hotTokens = new Set<string>();
  const faults = new Map<string, FaultStep[]>();
  const exact: Partial<Record<OutcomeKind, number>> = { 'dropped-token': 0, rejected: 0, fatal: 0, expired: 0 };
  let deliveredOrGaveUp = 0;
  let gaveUpAtLeast = 0;

  // Per-app quotas of messages: largest remainder, so they sum to n exactly.
  const perApp = apps.map((a) => Math.floor(a.share * n));
  const byRemainder = apps.map((a, i) => ({ i, r: a.share * n - Math.floor(a.share * n) })).sort((x, y) => y.r - x.r);
  for (let k = 0, left = n - perApp.reduce((s, c) => s + c, 0); left > 0; k++, left--) perApp[byRemainder[k % apps.length]!.i]! += 1;

  let seq = 0;
  const push = (app: DemoApp, token: string, extra: Partial<DemoMessage> = {}) => {
    const id = `m${String(seq++).padStart(6, '0')}`;
    const title = rng.pick(TITLES);
    messages.push({
      id,
      provider: app.provider,
      project: app.project,
      token,
      title,
      body: `${title} (${id})`,
      ...(rng.chance(0.9) ? { collapseKey: `campaign-${rng.int(1, 5)}` } : {}),
      ...extra,
    });
  };

  apps.forEach((app, i) => {
    let left = perApp[i] ?? 0;
    if (app.credential === 'wrong') {
      // Every message to this app fails with a credential error: one fatal circuit, no pruning.
      exact.fatal! += left;
      while (left-- > 0) push(app, tokenFor(app.provider));
      return;
    }
    const take = (share: number) => {
      const k = Math.min(left, left === 0 ? 0 : Math.max(1, Math.round(share * (perApp[i] ?? 0))));
      left -= k;
      return k;
    };
    // Hot devices: a few devices that receive many messages each (per-device limits).
    const hot = take(0.03);
    const hotDevices = Array.from({ length: Math.max(1, Math.ceil(hot / 20)) }, () => tokenFor(app.provider));
    for (const t of hotDevices) hotTokens.add(t);
    for (let k = 0; k < hot; k++) push(app, hotDevices[k % hotDevices.length]!);
    deliveredOrGaveUp += hot;
    // Dead tokens.
    const dead = take(0.02);
    for (let k = 0; k < dead; k++) {
      const t = tokenFor(app.provider);
      deadTokens.add(t);
      push(app, t);
    }
    exact['dropped-token']! += dead;
    // Bad payloads.
    const bad = take(0.003);
    for (let k = 0; k < bad; k++) push(app, tokenFor(app.provider), { bad: true });
    exact.rejected! += bad;
    // Short-lived messages whose first answer asks for a longer wait than their life.
    const expiring = take(0.003);
    for (let k = 0; k < expiring; k++) {
      const t = tokenFor(app.provider);
      faults.set(t, [{ kind: 'unavailable', retryAfterS: Math.max(2, raMax) }]);
      push(app, t, { ttlMs: 1000 });
    }
    exact.expired! += expiring;
    // A project-wide quota 429 (the whole project cools down), only on the news project.
    // A handful per campaign: each one holds the whole project back for its Retry-After.
    if (app.project === 'acme-news' && left > 0) {
      const quota = Math.min(left, 3);
      left -= quota;
      for (let k = 0; k < quota; k++) {
        const t = tokenFor(app.provider);
        faults.set(t, [{ kind: 'quota-project', retryAfterS: raMin }]);
        push(app, t);
      }
      deliveredOrGaveUp += quota;
    }
    // Connection faults: each kills (reset) or drains (GOAWAY) a connection with whatever is on it.
    if (app.project !== 'acme-news') {
      for (const kind of opts.connectionKinds ?? CONNECTION_FAULTS) {
        for (let k = 0; k < connectionFaults && left > 0; k++) {
          left--;
          const t = tokenFor(app.provider);
          faults.set(t, [{ kind }]);
          push(app, t);
          deliveredOrGaveUp++;
        }
      }
    }
    // Ordinary messages, some with transient faults.
    while (left > 0) {
      left--;
      const t = tokenFor(app.provider);
      if (rng.chance(faultRate)) {
        const r = rng.next();
        const length = r < 0.7 ? 1 : r < 0.9 ? 2 : r < 0.98 ? 3 : maxAttempts;
        const steps: FaultStep[] = [];
        for (let s = 0; s < length; s++) {
          const kind = rng.pick(kindsFor(app.provider));
          steps.push(kind === 'unavailable' || kind === 'too-many-requests' ? { kind, retryAfterS: retryAfter() } : { kind });
        }
        faults.set(t, steps);
        if (length >= maxAttempts) gaveUpAtLeast++;
      }
      push(app, t);
      deliveredOrGaveUp++;
    }
  });

  // Interleave the apps and categories as a real campaign would (Fisher-Yates with the seeded source).
  for (let i = messages.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  return { seed: String(opts.seed), apps, messages, deadTokens, hotTokens, faults, expected: { exact, deliveredOrGaveUp, gaveUpAtLeast } };
}

/** Every raw token of the campaign (for redaction checks). */
export function campaignTokens(c: Campaign): string[] {
  return [...new Set(c.messages.map((m) => m.token))];
}
