import { randomUUID } from 'node:crypto';
import type { RequestInfo } from './faults.js';
import type { ApnsJwtVerifier } from './jwt.js';
import type { RateEnforcer } from './rate.js';
import { apnsErrorBody, apnsStatus } from './shapes/apns.js';
import { fcmErrorBody, type FcmQuota } from './shapes/fcm.js';
import { hmsBody, hmsErrorBody, hmsPartialBody } from './shapes/hms.js';
import type { FakeResponse } from './shapes/index.js';
import { isVendorId, vendorError, vendorSuccess, vendorTargetFailure } from './shapes/vendor.js';

/** How a dead token answers, per provider. */
export interface DeadToken {
  /** APNs reason; default `Unregistered` (410 with `timestamp`). */
  apnsReason: string;
  /** FCM code; default `UNREGISTERED` (404). */
  fcmCode: string;
  /** APNs 410 timestamp (ms): when the token was confirmed invalid. */
  timestamp: number;
}

export interface Enforcers {
  device?: RateEnforcer;
  project?: RateEnforcer;
}

/** What the handlers read; owned and mutated by the server. */
export interface HandlerContext {
  now(): number;
  nextId(): number;
  /** Accepted FCM OAuth access tokens; undefined = any non-empty bearer token. */
  fcmAccessTokens: Set<string> | undefined;
  fcmProjects: Set<string> | undefined;
  hmsAccessTokens: Set<string> | undefined;
  /** null = APNs authorization not checked. */
  apnsJwt: ApnsJwtVerifier | null;
  /** A connection changing its provider token sooner than this after the previous one (by `iat`) gets 429 TooManyProviderTokenUpdates; 0 = not enforced. */
  apnsTokenUpdateMs: number;
  apnsTopics: Set<string> | undefined;
  apnsTokenPattern: RegExp | undefined;
  fcmTokenPattern: RegExp | undefined;
  dead: Map<string, DeadToken>;
  limits: Map<string, Enforcers>;
  vendorResponses: Map<string, FakeResponse | ((req: RequestInfo) => FakeResponse)>;
}

/** What APNs remembers about one connection. */
export interface ApnsConnState {
  /** Key and team of the first accepted token: APNs binds them to the connection. */
  keyId?: string;
  teamId?: string;
  /** The provider token in use and its `iat` (seconds). */
  jwt?: string;
  iat?: number;
}

/** A request ready for a handler. */
export interface Incoming {
  /** Per-connection APNs state. */
  apns: ApnsConnState;
  method: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Flat [name, value, ...] list when available, to spot repeated headers. */
  rawHeaders: readonly string[] | undefined;
  body: Buffer;
  /** The body was larger than the server reads. */
  tooLarge: boolean;
  info: RequestInfo;
}

/** A handler's answer; `code` is the provider code for counters (absent on plain success). */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  code?: string;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const header = (h: Incoming['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

// ---------------------------------------------------------------- APNs

const PUSH_TYPES = new Set(['alert', 'background', 'complication', 'controls', 'fileprovider', 'liveactivity', 'location', 'mdm', 'pushtotalk', 'voip', 'widgets']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const APNS_HEADERS = ['apns-id', 'apns-topic', 'apns-push-type', 'apns-expiration', 'apns-priority', 'apns-collapse-id', 'authorization'];
/** Topic suffixes that name a push type rather than another app. */
const TOPIC_SUFFIXES = ['.voip', '.complication', '.push-type.liveactivity', '.pushkit.fileprovider', '.location-query', '.voip-ptt', '.push-type.widgets', '.push-type.controls'];

function apnsError(reason: string, apnsId: string, timestamp = 0): Answer {
  const status = apnsStatus(reason);
  return { status, code: reason, headers: { 'apns-id': apnsId, 'content-type': JSON_TYPE }, body: apnsErrorBody(reason, status, timestamp) };
}

/** Whether an apns-* header (or authorization) is repeated; a bitmask, so no allocation per request. */
function repeated(raw: readonly string[] | undefined): boolean {
  if (!raw) return false;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const at = APNS_HEADERS.indexOf(raw[i]!.toLowerCase());
    if (at === -1) continue;
    if (seen & (1 << at)) return true;
    seen |= 1 << at;
  }
  return false;
}

function baseTopic(topic: string): string {
  for (const s of TOPIC_SUFFIXES) if (topic.endsWith(s)) return topic.slice(0, -s.length);
  return topic;
}

export function handleApns(ctx: HandlerContext, req: Incoming): Answer {
  const h = req.headers;
  const given = header(h, 'apns-id');
  const apnsId = given && UUID.test(given) ? given.toLowerCase() : randomUUID();
  if (req.method !== 'POST') return apnsError('MethodNotAllowed', apnsId);
  const token = req.info.token ?? '';
  if (!token) return apnsError('MissingDeviceToken', apnsId);
  if (ctx.apnsJwt) {
    const authorization = header(h, 'authorization');
    const jwt = ctx.apnsJwt.check(authorization, ctx.now());
    if (!jwt.ok) return apnsError(jwt.reason, apnsId);
    const conn = req.apns;
    if (conn.jwt !== authorization) {
      // APNs binds a connection to the key and team of its first token, and limits how often it changes.
      if (conn.keyId === undefined) {
        conn.keyId = jwt.keyId;
        conn.teamId = jwt.teamId;
      } else if (conn.keyId !== jwt.keyId || conn.teamId !== jwt.teamId) {
        return apnsError('UnrelatedKeyIdInToken', apnsId);
      } else if (ctx.apnsTokenUpdateMs > 0 && conn.iat !== undefined && (jwt.iat - conn.iat) * 1000 < ctx.apnsTokenUpdateMs) {
        return apnsError('TooManyProviderTokenUpdates', apnsId);
      }
      conn.jwt = authorization;
      conn.iat = jwt.iat;
    }
  }
  if (repeated(req.rawHeaders)) return apnsError('DuplicateHeaders', apnsId);
  if (given !== undefined && !UUID.test(given)) return apnsError('BadMessageId', apnsId);
  const topic = header(h, 'apns-topic');
  if (!topic) return apnsError('MissingTopic', apnsId);
  if (ctx.apnsTopics && !ctx.apnsTopics.has(baseTopic(topic))) return apnsError('TopicDisallowed', apnsId);
  const pushType = header(h, 'apns-push-type');
  if (pushType !== undefined && !PUSH_TYPES.has(pushType)) return apnsError('InvalidPushType', apnsId);
  const priority = header(h, 'apns-priority');
  if (priority !== undefined && priority !== '10' && priority !== '5' && priority !== '1') return apnsError('BadPriority', apnsId);
  const expiration = header(h, 'apns-expiration');
  if (expiration !== undefined && !/^\d{1,10}$/.test(expiration)) return apnsError('BadExpirationDate', apnsId);
  const collapse = header(h, 'apns-collapse-id');
  if (collapse !== undefined && Buffer.byteLength(collapse) > 64) return apnsError('BadCollapseId', apnsId);
  if (req.body.length === 0) return apnsError('PayloadEmpty', apnsId);
  const limit = pushType === 'voip' ? 5120 : 4096;
  if (req.tooLarge || req.body.length > limit) return apnsError('PayloadTooLarge', apnsId);
  if (ctx.apnsTokenPattern && !ctx.apnsTokenPattern.test(token)) return apnsError('BadDeviceToken', apnsId);
  const dead = ctx.dead.get(token);
  if (dead) return apnsError(dead.apnsReason, apnsId, dead.timestamp);
  const limits = ctx.limits.get('apns');
  if (limits) {
    const now = ctx.now();
    if ((limits.device && limits.device.take(token, now)) || (limits.project && limits.project.take(topic, now))) {
      return apnsError('TooManyRequests', apnsId);
    }
  }
  return { status: 200, headers: { 'apns-id': apnsId } };
}

// ---------------------------------------------------------------- FCM

function fcmError(code: string, options: { message?: string; field?: string; quota?: FcmQuota; project?: string } = {}): Answer {
  const r = fcmErrorBody(code, options);
  return { status: r.status, code, headers: { 'content-type': JSON_TYPE }, body: r.body };
}

function bearer(value: string | undefined): string | undefined {
  const m = value ? /^bearer\s+(\S+)\s*$/i.exec(value) : null;
  return m ? m[1] : undefined;
}

interface FcmMessage {
  token?: unknown;
  topic?: unknown;
  condition?: unknown;
  data?: unknown;
  notification?: unknown;
}

export function handleFcm(ctx: HandlerContext, req: Incoming): Answer {
  const project = req.info.project!;
  if (req.method !== 'POST') return fcmError('NOT_FOUND');
  const access = bearer(header(req.headers, 'authorization'));
  if (!access || (ctx.fcmAccessTokens && !ctx.fcmAccessTokens.has(access))) return fcmError('UNAUTHENTICATED');
  if (ctx.fcmProjects && !ctx.fcmProjects.has(project)) return fcmError('PERMISSION_DENIED');
  if (req.tooLarge) return { status: 413, code: 'PAYLOAD_TOO_LARGE', headers: { 'content-type': 'text/html' }, body: '<html><body>413 Request Entity Too Large</body></html>' };
  const body = req.info.body as { message?: FcmMessage; validate_only?: unknown } | undefined;
  if (typeof body !== 'object' || body === null) return fcmError('INVALID_ARGUMENT', { message: 'Invalid JSON payload received.', field: 'message' });
  const message = body.message;
  if (typeof message !== 'object' || message === null) {
    return fcmError('INVALID_ARGUMENT', { message: 'Request contains an invalid argument.', field: 'message' });
  }
  const targets = [message.token, message.topic, message.condition].filter((t) => t !== undefined).length;
  if (targets !== 1) return fcmError('INVALID_ARGUMENT', { message: 'Exactly one of token, topic or condition must be set.', field: 'message' });
  if (message.data !== undefined) {
    if (typeof message.data !== 'object' || message.data === null) return fcmError('INVALID_ARGUMENT', { field: 'message.data' });
    let i = 0;
    for (const v of Object.values(message.data)) {
      if (typeof v !== 'string') {
        const field = `message.data[${i}].value`;
        return fcmError('INVALID_ARGUMENT', { field, message: `Invalid value at '${field}' (TYPE_STRING), ${JSON.stringify(v)}` });
      }
      i++;
    }
  }
  const token = typeof message.token === 'string' ? message.token : undefined;
  const topic = typeof message.topic === 'string' ? message.topic : undefined;
  // Only a body this large can hold a payload over the limit, so the common path skips the measure.
  const limit = topic !== undefined ? 2048 : 4096;
  if (req.body.length > limit) {
    const size = Buffer.byteLength(JSON.stringify(message.data ?? {})) + Buffer.byteLength(JSON.stringify(message.notification ?? {}));
    if (size > limit) return fcmError('INVALID_ARGUMENT', { message: 'Android message is too big' });
  }
  if (message.token !== undefined) {
    if (!token || (ctx.fcmTokenPattern && !ctx.fcmTokenPattern.test(token))) return fcmError('INVALID_ARGUMENT');
    const dead = ctx.dead.get(token);
    if (dead) return fcmError(dead.fcmCode);
  }
  const limits = ctx.limits.get('fcm');
  if (limits) {
    const now = ctx.now();
    const target = token ?? topic;
    const deviceWait = target !== undefined && limits.device ? limits.device.take(target, now) : 0;
    const projectWait = deviceWait === 0 && limits.project ? limits.project.take(project, now) : 0;
    const wait = deviceWait || projectWait;
    if (wait) {
      const quota: FcmQuota = deviceWait ? (token ? 'device' : 'topic') : 'project';
      const a = fcmError('QUOTA_EXCEEDED', { quota, project });
      a.headers!['retry-after'] = String(Math.ceil(wait / 1000));
      return a;
    }
  }
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: `{"name":"projects/${project}/messages/${ctx.nextId()}"}` };
}

// ---------------------------------------------------------------- HMS

export function handleHms(ctx: HandlerContext, req: Incoming): Answer {
  const requestId = String(ctx.nextId());
  const json = { 'content-type': JSON_TYPE };
  const err = (code: string, msg?: string): Answer => ({ ...hmsErrorBody(code, requestId, msg), code, headers: json });
  if (req.method !== 'POST') return { status: 404, code: 'NOT_FOUND', headers: json, body: '{"error":"service not found"}' };
  const access = bearer(header(req.headers, 'authorization'));
  if (!access || (ctx.hmsAccessTokens && !ctx.hmsAccessTokens.has(access))) return err('80200001');
  if (req.tooLarge) return err('80300008');
  const body = req.info.body as { message?: { token?: unknown; topic?: unknown; condition?: unknown } } | undefined;
  const message = typeof body === 'object' && body !== null ? body.message : undefined;
  if (typeof message !== 'object' || message === null) return err('80100003');
  const tokens = req.info.tokens ?? [];
  if (message.token === undefined && message.topic === undefined && message.condition === undefined) return err('80100003');
  if (tokens.length > 1000) return err('80300010');
  const limits = ctx.limits.get('hms');
  if (limits?.project && limits.project.take(req.info.project!, ctx.now())) {
    return { status: 503, code: 'FLOW_CONTROL', headers: json, body: hmsBody('503', 'Flow control: too many requests', requestId) };
  }
  if (tokens.length > 0 && ctx.dead.size > 0) {
    const illegal = tokens.filter((t) => ctx.dead.has(t));
    if (illegal.length === tokens.length) return err('80300007');
    if (illegal.length > 0) return { status: 200, code: '80100000', headers: json, body: hmsPartialBody(tokens.length - illegal.length, illegal, requestId) };
  }
  return { status: 200, headers: json, body: hmsBody('80000000', 'Success', requestId) };
}

// ---------------------------------------------------------------- generic vendors

/** The code each vendor uses when its request rate is exceeded (vendors.md §6). */
const VENDOR_RATE_CODES: Record<string, { code: string; status?: number }> = {
  honor: { code: '503' },
  xiaomi: { code: '200002' },
  oppo: { code: '13' },
  vivo: { code: '10072' },
  meizu: { code: '110010' },
  tencent: { code: '90024' },
  infobip: { code: 'TOO_MANY_REQUESTS', status: 429 },
  cometchat: { code: 'ERR_TOO_MANY_REQUESTS', status: 429 },
};

/** How each vendor lists a dead target inside a success (catalog `target` codes). */
const DEAD_TARGET_CODES: Record<string, string> = { xiaomi: 'bad_regids', vivo: 'invalidUsers', meizu: '110003', honor: 'expireTokens' };

export function handleVendor(ctx: HandlerContext, req: Incoming): Answer {
  const vendor = req.info.provider;
  const json = { 'content-type': JSON_TYPE };
  const limits = ctx.limits.get(vendor);
  if (limits) {
    const now = ctx.now();
    const deviceWait = req.info.token !== undefined && limits.device ? limits.device.take(req.info.token, now) : 0;
    if (deviceWait || (limits.project && limits.project.take(req.info.project ?? vendor, now))) {
      const rate = VENDOR_RATE_CODES[vendor] ?? { code: 'TOO_MANY_REQUESTS', status: 429 };
      const r = isVendorId(vendor) ? vendorError(vendor, rate.code, 'request rate exceeded', rate.status) : { status: 429, body: { error: 'rate limited' } };
      return { status: r.status, code: rate.code, headers: json, body: JSON.stringify(r.body) };
    }
  }
  if (ctx.dead.size > 0 && isVendorId(vendor)) {
    const tokens = req.info.tokens ?? (req.info.token !== undefined ? [req.info.token] : []);
    const dead = tokens.filter((t) => ctx.dead.has(t));
    const r = dead.length > 0 ? vendorTargetFailure(vendor, DEAD_TARGET_CODES[vendor] ?? '', dead, ctx.nextId()) : undefined;
    if (r) return { status: r.status, code: DEAD_TARGET_CODES[vendor], headers: json, body: JSON.stringify(r.body) };
  }
  const configured = ctx.vendorResponses.get(vendor);
  if (configured) {
    const r = typeof configured === 'function' ? configured(req.info) : configured;
    return { status: r.status, headers: { ...json, ...r.headers }, body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {}) };
  }
  const r = isVendorId(vendor) ? vendorSuccess(vendor, ctx.nextId()) : { status: 200, body: { ok: true } };
  return { status: r.status, headers: json, body: JSON.stringify(r.body) };
}
