import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { testCertificate } from './cert.js';
import { FaultBook, type Fault, type GoawayOptions, type RequestInfo, type RouteName } from './faults.js';
import { handleApns, handleFcm, handleHms, handleVendor, type Answer, type DeadToken, type Enforcers, type HandlerContext, type Incoming } from './handlers.js';
import { ApnsJwtVerifier, generateApnsKey, type ApnsKey } from './jwt.js';
import { RateEnforcer, type RateLimits } from './rate.js';
import { filterLog, maxRate, Recorder, type LogEntry } from './recorder.js';
import { parseRoute, vendorTargets } from './routes.js';
import type { FakeProvider, FakeProviderOptions } from './api.js';
import { h1Exchange, h2Exchange, outsideReceive, readBody, resetSocket, type Conn, type Exchange, type Pending } from './exchange.js';
import { providerError, retryAfterValue } from './shapes/index.js';

const { NGHTTP2_NO_ERROR } = http2.constants;
const CONN = Symbol('pushback.fake.conn');
const noop = () => {};


function bodyOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return JSON.stringify(body);
}

function listen(server: NetServer, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts a fake FCM / APNs / HMS / vendor server on random loopback ports (HTTP/2 over TLS, HTTP/1.1, h2c).
 * See the README section "Testing against a fake provider" for usage.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error('startFakeProvider: host must be a loopback address');
  const { key, cert } = options.certificate ?? (await testCertificate());
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  let maxStreams = options.maxConcurrentStreams ?? 1000;
  const generatedKey = options.apnsKeys === undefined ? generateApnsKey() : undefined;
  const apnsKeys: readonly ApnsKey[] | false = generatedKey
    ? [{ keyId: generatedKey.keyId, teamId: generatedKey.teamId, publicKey: generatedKey.publicKey }]
    : (options.apnsKeys as readonly ApnsKey[] | false);

  let seq = 0;
  const ctx: HandlerContext = {
    now,
    nextId: () => ++seq,
    fcmAccessTokens: options.fcmAccessTokens ? new Set(options.fcmAccessTokens) : undefined,
    fcmProjects: options.fcmProjects ? new Set(options.fcmProjects) : undefined,
    hmsAccessTokens: options.hmsAccessTokens ? new Set(options.hmsAccessTokens) : undefined,
    apnsJwt: apnsKeys === false ? null : new ApnsJwtVerifier(apnsKeys),
    apnsTokenUpdateMs: options.apnsTokenUpdateMs ?? 0,
    apnsTopics: options.apnsTopics ? new Set(options.apnsTopics) : undefined,
    apnsTokenPattern: options.tokenPattern?.apns,
    fcmTokenPattern: options.tokenPattern?.fcm,
    dead: new Map<string, DeadToken>(),
    limits: new Map<string, Enforcers>(),
    vendorResponses: new Map(Object.entries(options.vendorResponses ?? {})),
  };
  const limitConfig = new Map<string, RateLimits>();
  const setLimits = (route: string, limits: RateLimits | undefined) => {
    if (!limits || (!limits.device && !limits.project)) {
      ctx.limits.delete(route);
      limitConfig.delete(route);
      return;
    }
    limitConfig.set(route, limits);
    ctx.limits.set(route, {
      ...(limits.device ? { device: new RateEnforcer(limits.device) } : {}),
      ...(limits.project ? { project: new RateEnforcer(limits.project) } : {}),
    });
  };
  for (const [route, limits] of Object.entries(options.limits ?? {})) setLimits(route, limits);

  const faults = new FaultBook();
  const recorder = new Recorder(options.log ?? true, options.logLimit ?? 1_000_000, options.countTokens ?? true);
  let requestNo = 0;
  let connNo = 0;
  const conns = new Set<Conn>();
  const sockets = new Set<Socket>();
  const hung = new Set<Pending>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  // ------------------------------------------------------------ connections

  const trackSocket = (socket: Socket) => {
    sockets.add(socket);
    recorder.connections++;
    recorder.openConnections++;
    socket.once('close', () => {
      sockets.delete(socket);
      recorder.openConnections--;
    });
  };

  const coldStart = options.apnsColdStart === true;
  const throttleOnError = options.apnsThrottleOnError === true;
  const newConn = (h2: http2.ServerHttp2Session | undefined, socket: Socket): Conn => ({
    id: ++connNo,
    h2,
    socket,
    open: new Map(),
    active: 0,
    goawayLast: undefined,
    maxStreamId: 0,
    apns: {},
    cold: coldStart && h2 !== undefined,
    throttled: false,
  });

  /** Changes one session's advertised stream limit, ignoring sessions that are going away. */
  const sessionStreams = (c: Conn, n: number) => {
    if (c.h2 && !c.h2.closed && !c.h2.destroyed) c.h2.settings({ maxConcurrentStreams: n });
  };

  /** APNs connection behaviour after an answer: leave cold start on success, throttle on error. */
  const apnsAfter = (c: Conn, status: number) => {
    if (!c.h2) return;
    if (status === 200) {
      if (c.cold || c.throttled) {
        c.cold = c.throttled = false;
        sessionStreams(c, maxStreams);
      }
    } else if (throttleOnError && status !== 410 && !c.throttled) {
      c.throttled = true;
      sessionStreams(c, 1);
    }
  };

  const connOf = (holder: object, make: () => Conn): Conn => {
    const h = holder as { [CONN]?: Conn };
    let c = h[CONN];
    if (!c) {
      c = make();
      h[CONN] = c;
      conns.add(c);
    }
    return c;
  };

  const onSession = (session: http2.ServerHttp2Session) => {
    session.on('error', noop);
    const conn = connOf(session, () => newConn(session, session.socket as unknown as Socket));
    session.once('close', () => conns.delete(conn));
  };

  // ------------------------------------------------------------ dispatch

  const finishPending = (p: Pending) => {
    p.ex.done = true;
    if (p.ex.streamId !== undefined) p.ex.conn.open.delete(p.ex.streamId);
    p.ex.conn.active--;
  };

  const answer = (p: Pending, a: Answer) => {
    if (p.ex.done) return;
    finishPending(p);
    if (p.ex.isClosed()) {
      recorder.dropped();
      return;
    }
    const ra = a.headers?.['retry-after'];
    recorder.answered(p.entry, a.status, a.code, now(), typeof ra === 'string' ? ra : undefined);
    p.ex.respond(a.status, a.headers, a.body);
    if ((coldStart || throttleOnError) && p.entry.route === 'apns') apnsAfter(p.ex.conn, a.status);
  };

  const goaway = (p: Pending, g: GoawayOptions | undefined, route: RouteName | 'unknown'): boolean => {
    const { conn, streamId } = p.ex;
    const session = conn.h2;
    if (!session || streamId === undefined) return false;
    const last = g?.lastStreamId ?? Math.max(0, streamId - 2);
    const debugValue = g?.debug === undefined ? (route === 'apns' ? { reason: 'Shutdown' } : null) : g.debug;
    const debug = debugValue === null ? undefined : Buffer.from(typeof debugValue === 'string' ? debugValue : JSON.stringify(debugValue));
    conn.goawayLast = last;
    if (!session.closed && !session.destroyed) session.goaway(g?.errorCode ?? NGHTTP2_NO_ERROR, last, debug as Buffer);
    // Streams above lastStreamId are not processed: refuse them (their RST_STREAMs are sent outside
    // nghttp2's receive loop, see outsideReceive in exchange.ts), then close the session gracefully.
    for (const [id, other] of [...conn.open]) if (id > last && other !== p) refuseCut(other);
    outsideReceive(() => {
      if (!session.closed && !session.destroyed) session.close();
    });
    return streamId > last;
  };

  const refuseCut = (p: Pending) => {
    if (p.ex.done) return;
    finishPending(p);
    hung.delete(p);
    recorder.faulted(p.entry, 'refused-by-goaway', now());
    p.ex.refuse();
  };

  const applyTransport = (p: Pending, f: Fault, route: RouteName | 'unknown'): boolean => {
    const kind = f.transport!;
    if (kind === 'hang') {
      hung.add(p);
      return true;
    }
    if (kind === 'goaway' && p.ex.proto === 'h2') {
      const cut = goaway(p, f.goaway, route);
      if (!cut) return false; // this stream is at or below lastStreamId: answer it normally
      finishPending(p);
      recorder.faulted(p.entry, 'goaway', now());
      p.ex.refuse();
      return true;
    }
    finishPending(p);
    recorder.faulted(p.entry, kind, now());
    if (kind === 'refuse') p.ex.refuse();
    else p.ex.destroy();
    return true;
  };

  const respondFault = (p: Pending, f: Fault, info: RequestInfo): void => {
    let a: Answer;
    if (f.code !== undefined) {
      const r = providerError(f.provider ?? info.provider, f.code, {
        ...(f.timestamp !== undefined ? { timestamp: f.timestamp } : { timestamp: now() }),
        ...(f.status !== undefined ? { status: f.status } : {}),
        ...(f.quota !== undefined ? { quota: f.quota } : {}),
        ...(info.project !== undefined ? { project: info.project } : {}),
        ...(f.context !== undefined ? { context: f.context } : {}),
        ...(f.field !== undefined ? { field: f.field } : {}),
        tokens: f.tokens ?? info.tokens ?? (info.token !== undefined ? [info.token] : []),
        n: ctx.nextId(),
      });
      a = { status: r.status, code: f.code, headers: { ...r.headers }, body: bodyOf(f.body ?? r.body) };
    } else {
      a = { status: f.status ?? 500, headers: {}, body: bodyOf(f.body) };
      if (f.body !== undefined && typeof f.body !== 'string') a.headers!['content-type'] = 'application/json; charset=UTF-8';
    }
    if (info.route === 'apns') {
      const id = info.headers['apns-id'];
      a.headers!['apns-id'] = typeof id === 'string' ? id : crypto.randomUUID();
    }
    if (f.retryAfter !== undefined) a.headers!['retry-after'] = retryAfterValue(f.retryAfter);
    if (f.headers) Object.assign(a.headers!, f.headers);
    answer(p, a);
  };

  const proceed = (p: Pending, incoming: Incoming, f: Fault | undefined) => {
    if (p.ex.done) return;
    const info = incoming.info;
    if (f?.transport && applyTransport(p, f, info.route)) return;
    if (f?.goawayAll) {
      const o = f.goawayAll === true ? {} : f.goawayAll;
      setImmediate(() => fake.goawayAll(o));
    }
    if (f && (f.code !== undefined || f.status !== undefined || f.body !== undefined)) return respondFault(p, f, info);
    let a: Answer;
    switch (info.route) {
      case 'apns':
        a = handleApns(ctx, incoming);
        break;
      case 'fcm':
        a = handleFcm(ctx, incoming);
        break;
      case 'hms':
        a = handleHms(ctx, incoming);
        break;
      default:
        a = handleVendor(ctx, incoming);
    }
    answer(p, a);
  };

  const dispatch = (ex: Exchange, method: string, path: string, headers: Incoming['headers'], rawHeaders: readonly string[] | undefined, body: Buffer, tooLarge: boolean) => {
    const route = parseRoute(path);
    const n = ++requestNo;
    const t = now();
    ex.conn.active++;
    if (ex.conn.active > recorder.maxStreamsPerSession && ex.proto === 'h2') recorder.maxStreamsPerSession = ex.conn.active;
    if (!route) {
      const entry: LogEntry = { n, t, route: 'unknown', provider: 'unknown', proto: ex.proto, session: ex.conn.id, streamId: ex.streamId, status: 0 };
      recorder.arrive(entry);
      const p: Pending = { entry, ex };
      const a: Answer = path.startsWith('/3/')
        ? { status: 404, code: 'BadPath', headers: { 'content-type': 'application/json' }, body: '{"reason":"BadPath"}' }
        : { status: 404, code: 'NOT_FOUND', headers: { 'content-type': 'application/json' }, body: '{"error":{"code":404,"message":"Not Found","status":"NOT_FOUND"}}' };
      answer(p, a);
      return;
    }
    let parsed: unknown;
    if (route.route !== 'apns' && body.length > 0 && !tooLarge) {
      const text = body.toString('utf8');
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const info: RequestInfo = {
      route: route.route,
      provider: route.provider,
      n,
      proto: ex.proto,
      headers,
      streamId: ex.streamId,
      project: route.project,
      token: route.token,
      body: parsed,
    };
    if (route.route === 'apns') {
      const topic = headers['apns-topic'];
      info.project = typeof topic === 'string' ? topic : undefined;
      if (body.length > 0 && !faults.empty) {
        try {
          info.body = JSON.parse(body.toString('utf8'));
        } catch {
          info.body = body.toString('utf8');
        }
      }
    } else if (route.route === 'vendor') {
      const tokens = vendorTargets(parsed, headers['content-type']);
      if (tokens) {
        info.tokens = tokens;
        info.token = tokens[0];
      }
    } else if (typeof parsed === 'object' && parsed !== null) {
      const tok = (parsed as { message?: { token?: unknown } }).message?.token;
      if (typeof tok === 'string') info.token = tok;
      else if (Array.isArray(tok)) {
        info.tokens = tok.filter((x): x is string => typeof x === 'string');
        info.token = info.tokens[0];
      }
    }
    const entry: LogEntry = {
      n,
      t,
      route: route.route,
      provider: route.provider,
      proto: ex.proto,
      session: ex.conn.id,
      streamId: ex.streamId,
      token: info.token,
      project: info.project,
      status: 0,
    };
    recorder.arrive(entry);
    const p: Pending = { entry, ex };
    if (ex.streamId !== undefined) {
      ex.conn.open.set(ex.streamId, p);
      // A stream above a GOAWAY's lastStreamId that finished arriving afterwards is not processed either.
      if (ex.conn.goawayLast !== undefined && ex.streamId > ex.conn.goawayLast) return refuseCut(p);
    }
    const incoming: Incoming = { apns: ex.conn.apns, method, headers, rawHeaders, body, tooLarge, info };
    const f = faults.empty ? undefined : faults.pick(info);
    if (f?.latencyMs && f.latencyMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        proceed(p, incoming, f);
      }, f.latencyMs);
      timers.add(timer);
      return;
    }
    proceed(p, incoming, f);
  };

  // ------------------------------------------------------------ protocol adapters

  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    stream.on('error', noop);
    const session = stream.session as http2.ServerHttp2Session | undefined;
    // The session can be gone (destroyed by a reset fault) before this listener runs.
    if (!session || session.destroyed) {
      stream.destroy();
      return;
    }
    const conn = connOf(session, () => newConn(session, session.socket as unknown as Socket));
    const ex = h2Exchange(stream, session, conn);
    if (stream.id !== undefined && stream.id > conn.maxStreamId) conn.maxStreamId = stream.id;
    const method = headers[':method'] ?? 'GET';
    const path = headers[':path'] ?? '/';
    readBody(stream, maxBody, (body, tooLarge) => dispatch(ex, method, path, headers as Incoming['headers'], rawHeaders, body, tooLarge));
    stream.on('close', () => {
      const p = conn.open.get(stream.id ?? -1);
      if (p && !p.ex.done) {
        finishPending(p);
        hung.delete(p);
        recorder.dropped();
      }
    });
  };

  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (req.httpVersionMajor === 2) return; // HTTP/2 is served from the 'stream' event
    const r = req as http.IncomingMessage;
    const socket = r.socket;
    const ex = h1Exchange(res as http.ServerResponse, socket, connOf(socket, () => newConn(undefined, socket)));
    r.on('error', noop);
    readBody(r, maxBody, (body, tooLarge) => dispatch(ex, r.method ?? 'GET', r.url ?? '/', r.headers, r.rawHeaders, body, tooLarge));
  };

  const settings: http2.Settings = { maxConcurrentStreams: coldStart ? 1 : maxStreams };
  const secure = http2.createSecureServer({ key, cert, allowHTTP1: true, settings });
  // The compat layer would wrap every HTTP/2 stream in request/response objects; HTTP/2 is served from
  // 'stream' directly, so detach it before adding the 'request' listener that HTTP/1.1-over-TLS needs.
  secure.removeAllListeners('newListener');
  secure.on('stream', onStream);
  secure.on('request', onRequest);
  secure.on('session', onSession);
  secure.on('connection', trackSocket);
  secure.on('tlsClientError', noop);

  const plain = http.createServer({ keepAlive: true }, onRequest);
  plain.on('connection', trackSocket);
  plain.on('clientError', (_err, socket) => socket.destroy());

  const h2c = options.h2c === false ? undefined : http2.createServer({ settings });
  if (h2c) {
    h2c.removeAllListeners('newListener');
    h2c.on('stream', onStream);
    h2c.on('session', onSession);
    h2c.on('connection', trackSocket);
  }

  const [port, http1Port, h2cPort] = await Promise.all([
    listen(secure, host),
    listen(plain, host),
    h2c ? listen(h2c, host) : Promise.resolve(undefined),
  ]);
  // An IP literal, not `localhost`: no resolver involved, and the certificate names both.
  const urlHost = host === '::1' ? '[::1]' : '127.0.0.1';

  const fake: FakeProvider = {
    url: `https://${urlHost}:${port}`,
    http1Url: `http://${urlHost}:${http1Port}`,
    h2cUrl: h2cPort === undefined ? undefined : `http://${urlHost}:${h2cPort}`,
    port,
    http1Port,
    h2cPort,
    ca: cert,
    apnsKey: generatedKey,
    log: recorder.log,
    stats: () => recorder.stats(),
    requests: (filter) => filterLog(recorder.log, filter),
    maxRate: (o) => maxRate(recorder.log, o),
    script: (rules) => faults.script(rules),
    pendingScripts: () => faults.pending(),
    setFaults: (o) => faults.setRandom(o),
    markDead(token, o = {}) {
      ctx.dead.set(token, { apnsReason: o.apnsReason ?? 'Unregistered', fcmCode: o.fcmCode ?? 'UNREGISTERED', timestamp: o.timestamp ?? now() });
    },
    revive: (token) => void ctx.dead.delete(token),
    setLimits,
    setVendorResponse(provider, response) {
      if (response === undefined) ctx.vendorResponses.delete(provider);
      else ctx.vendorResponses.set(provider, response);
    },
    setFcmAccessTokens(tokens) {
      ctx.fcmAccessTokens = tokens ? new Set(tokens) : undefined;
    },
    setMaxConcurrentStreams(n) {
      maxStreams = n;
      if (!coldStart) {
        secure.updateSettings({ maxConcurrentStreams: n });
        h2c?.updateSettings({ maxConcurrentStreams: n });
      }
      for (const c of conns) if (!c.cold && !c.throttled) sessionStreams(c, n);
    },
    goawayAll(o = {}) {
      for (const c of conns) {
        const s = c.h2;
        if (!s || s.destroyed || s.closed) continue;
        const last = c.maxStreamId;
        const debug = o.debug === undefined || o.debug === null ? undefined : Buffer.from(typeof o.debug === 'string' ? o.debug : JSON.stringify(o.debug));
        c.goawayLast = last;
        s.goaway(o.errorCode ?? NGHTTP2_NO_ERROR, last, debug as Buffer);
        s.close();
      }
    },
    dropConnections() {
      for (const socket of [...sockets]) resetSocket(socket);
    },
    reset() {
      faults.clear();
      faults.setRandom(null);
      ctx.dead.clear();
      for (const [route, limits] of [...limitConfig]) setLimits(route, limits);
      recorder.reset();
      requestNo = 0;
    },
    async close() {
      if (closing) return;
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      hung.clear();
      const closed = Promise.all(
        [secure, plain, h2c].filter((s): s is NonNullable<typeof s> => s !== undefined).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      for (const c of conns) c.h2?.destroy();
      for (const socket of sockets) socket.destroy();
      plain.closeAllConnections();
      await closed;
      // Listening handles finish closing in the loop's close-callbacks phase, which comes after the check
      // phase of the turn 'close' was emitted in: resolve from the next turn's check phase, so nothing is left.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  return fake;
}
