/**
 * The APNs sender against the fake provider over real loopback HTTP/2 + TLS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apnsSender, type ApnsSender, type ApnsSenderOptions } from '../../src/apns/index.js';
import { APNS_REASONS, startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { isTransportError, TransportError } from '../../src/transport/transport-error.js';

let fake: FakeProvider;
const senders: ApnsSender[] = [];

beforeAll(async () => {
  // The server's clock follows the (possibly faked) Date, so JWT ages agree with the sender's.
  fake = await startFakeProvider({ now: () => Date.now() });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(senders.splice(0).map((s) => s.close()));
  fake.reset();
});

function make(extra: Partial<ApnsSenderOptions> = {}): ApnsSender {
  const key = fake.apnsKey!;
  const s = apnsSender({
    key: key.privateKey,
    keyId: key.keyId,
    teamId: key.teamId,
    environment: 'sandbox',
    topic: 'com.example.app',
    url: fake.url,
    tls: { ca: fake.ca },
    ...extra,
  });
  senders.push(s);
  return s;
}

const tok = (i: number | string) => `ab${String(i).padStart(62, '0')}`;
const payload = { aps: { alert: 'hello' } };

/** Records the authorization header of every APNs request (a rule that never matches). */
function captureAuth(): string[] {
  const seen: string[] = [];
  fake.script({
    route: 'apns',
    times: Infinity,
    where: (r) => {
      seen.push(String(r.headers.authorization));
      return false;
    },
  });
  return seen;
}

describe('apnsSender: requests and responses', () => {
  it('delivers with every apns-* header and echoes apns-id', async () => {
    const s = make();
    const seen: Record<string, unknown>[] = [];
    fake.script({ route: 'apns', where: (r) => (seen.push({ ...r.headers }), false) });
    const res = await s.send({ token: tok(1), payload, id: '123e4567-e89b-12d3-a456-426614174000', expiration: 1_900_000_000, priority: 5, collapseId: 'c1', pushType: 'alert' });
    expect(res).toMatchObject({ provider: 'apns', status: 200, apnsId: '123e4567-e89b-12d3-a456-426614174000' });
    expect(seen[0]).toMatchObject({
      ':path': `/3/device/${tok(1)}`,
      'apns-topic': 'com.example.app',
      'apns-push-type': 'alert',
      'apns-expiration': '1900000000',
      'apns-priority': '5',
      'apns-collapse-id': 'c1',
    });
    expect(String(seen[0]!.authorization)).toMatch(/^bearer eyJ/);
    expect(fake.stats().ok).toBe(1);
  });

  it('returns status, reason and body raw for every APNs reason', async () => {
    const s = make();
    const reasons = Object.entries(APNS_REASONS);
    expect(reasons.length).toBeGreaterThanOrEqual(32);
    for (const [reason, status] of reasons) {
      fake.script({ route: 'apns', token: tok(reason), code: reason, timestamp: 1_700_000_000_123 });
      const res = await s.send({ token: tok(reason), payload });
      expect(res.status, reason).toBe(status);
      expect(res.reason, reason).toBe(reason);
      expect(res.body).toMatchObject({ reason });
      if (status === 410) expect(res.timestamp, reason).toBe(1_700_000_000_123);
      else expect(res.timestamp, reason).toBeUndefined();
    }
    expect(fake.stats().requests).toBe(reasons.length);
  });

  it('surfaces the 410 timestamp of a dead token', async () => {
    const s = make();
    const since = Date.now() - 86_400_000;
    fake.markDead(tok('dead'), { timestamp: since });
    const res = await s.send({ token: tok('dead'), payload });
    expect(res).toMatchObject({ status: 410, reason: 'Unregistered', timestamp: since });
  });

  it('rejects an oversized payload locally (413 PayloadTooLarge) without a request; VoIP gets 5120 bytes', async () => {
    const s = make();
    const big = { aps: { alert: 'x'.repeat(4100) } };
    const res = await s.send({ token: tok(2), payload: big });
    expect(res).toMatchObject({ status: 413, reason: 'PayloadTooLarge', local: true });
    expect(fake.stats().requests).toBe(0);
    const voip = await s.send({ token: tok(2), payload: big, pushType: 'voip' });
    expect(voip.status).toBe(200);
    expect(fake.requests({ token: tok(2) })).toHaveLength(1);
  });

  it('names the credential by team, key and environment', () => {
    const a = make();
    const b = make({ environment: 'production' });
    expect(a.credential).toBe(`apns:${fake.apnsKey!.teamId}:${fake.apnsKey!.keyId}:sandbox`);
    expect(b.credential).not.toBe(a.credential);
    expect(a.target({ token: tok(3), payload })).toEqual({ project: `${fake.apnsKey!.teamId}/com.example.app`, token: tok(3), credential: a.credential });
  });
});

describe('apnsSender: provider token timing', () => {
  it('reuses one JWT for 50 minutes, then signs a new one the server accepts', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = make();
    const auth = captureAuth();
    await s.send({ token: tok(1), payload });
    vi.advanceTimersByTime(49 * 60_000);
    expect((await s.send({ token: tok(1), payload })).status).toBe(200);
    vi.advanceTimersByTime(60_000);
    expect((await s.send({ token: tok(1), payload })).status).toBe(200);
    expect(auth[0]).toBe(auth[1]);
    expect(auth[2]).not.toBe(auth[1]);
    expect(s.tokens.current().generation).toBe(2);
  });

  it('a token held past one hour is ExpiredProviderToken at the server (the check the refresh avoids)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = make({ tokenRefreshMs: 59 * 60_000 + 59_000 });
    await s.send({ token: tok(1), payload });
    // Sign one more token at the same instant, then hold the clock past the server's one-hour limit.
    vi.advanceTimersByTime(59 * 60_000 + 58_000);
    const res = await s.send({ token: tok(1), payload });
    expect(res.status).toBe(200);
    vi.advanceTimersByTime(61 * 60_000 - (59 * 60_000 + 58_000));
    // The sender regenerates before use (age >= refresh), so the server still accepts.
    expect((await s.send({ token: tok(1), payload })).status).toBe(200);
  });

  it('concurrent ExpiredProviderToken answers regenerate the JWT exactly once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = make();
    await s.send({ token: tok(0), payload });
    const before = s.tokens.current();
    vi.advanceTimersByTime(30 * 60_000);
    fake.script({ route: 'apns', code: 'ExpiredProviderToken', times: 25 });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => s.send({ token: tok(i), payload })));
    expect(results.every((r) => r.status === 403 && r.reason === 'ExpiredProviderToken')).toBe(true);
    await Promise.all(Array.from({ length: 25 }, () => s.refreshCredential()));
    const after = s.tokens.current();
    expect(after.generation).toBe(before.generation + 1);
    const auth = captureAuth();
    expect((await s.send({ token: tok(1), payload })).status).toBe(200);
    expect(auth[0]).toBe(`bearer ${after.token}`);
  });

  it('does not regenerate a JWT younger than 20 minutes on ExpiredProviderToken (TooManyProviderTokenUpdates)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const s = make();
    await s.send({ token: tok(0), payload });
    const first = s.tokens.current();
    vi.advanceTimersByTime(5 * 60_000);
    fake.script({ route: 'apns', code: 'ExpiredProviderToken' });
    expect((await s.send({ token: tok(1), payload })).reason).toBe('ExpiredProviderToken');
    await s.refreshCredential();
    expect(s.tokens.current()).toBe(first);
    vi.advanceTimersByTime(15 * 60_000);
    expect(s.tokens.current().generation).toBe(first.generation + 1);
  });
});

describe.each(['frames', 'http2', 'undici'] as const)('apnsSender over %s: connection faults', (transport) => {
  it('a refused stream is re-sent at once and delivered', async () => {
    const s = make({ transport });
    await s.send({ token: tok('warm'), payload });
    fake.script({ route: 'apns', token: tok('r'), transport: 'refuse' });
    const res = await s.send({ token: tok('r'), payload });
    expect(res.status).toBe(200);
    expect(fake.requests({ token: tok('r') }).map((e) => e.fault ?? e.status)).toEqual(['refuse', 200]);
  });

  it('GOAWAY mid-burst loses nothing: every notification ends delivered or flagged maybe-delivered', async () => {
    const s = make({ transport, connections: 2 });
    await s.send({ token: tok('warm'), payload });
    fake.reset();
    const N = 300;
    // Every answer takes 5 ms so streams are in flight when the GOAWAY comes. The GOAWAY keeps the
    // faulted stream (lastStreamId = its id): refusing the faulted stream itself right after
    // session.goaway() crashes Node 20's HTTP/2 server natively (reported to the fake server's owner).
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 10 }] });
    fake.script({ route: 'apns', transport: 'goaway', latencyMs: 2, where: (r) => r.streamId === 101, goaway: { lastStreamId: 101 } });
    const settled = await Promise.allSettled(Array.from({ length: N }, (_, i) => s.send({ token: tok(i), payload })));
    let delivered = 0;
    const flagged = new Set<string>();
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        expect(r.value.status).toBe(200);
        delivered++;
      } else {
        expect(isTransportError(r.reason)).toBe(true);
        expect((r.reason as TransportError).requestSent).toBe(true);
        flagged.add(tok(i));
      }
    });
    const maybe = flagged.size;
    expect(delivered + maybe).toBe(N);
    const log = fake.requests({ route: 'apns' });
    const cut = log.filter((e) => e.fault === 'refused-by-goaway');
    expect(cut.length).toBeGreaterThan(0);
    // Nothing lost: every notification was answered 200, or its sender was told it may have been delivered.
    const answered = log.filter((e) => e.status === 200).map((e) => e.token!);
    expect(new Set([...answered, ...flagged]).size).toBe(N);
    // Every token the GOAWAY cut was re-sent and answered 200
    // (undici cannot tell them apart from processed ones: flagged maybe delivered instead).
    for (const e of cut) expect(fake.requests({ token: e.token! }).some((x) => x.status === 200) || flagged.has(e.token!), e.token).toBe(true);
    if (transport !== 'undici') {
      // node:http2 and the frames transport know the GOAWAY's last stream id: nothing is left in doubt,
      // nothing is sent twice.
      expect(maybe).toBe(0);
      expect(answered).toHaveLength(N);
    }
  });

  it('a reset after the request was written fails as maybe delivered', async () => {
    const s = make({ transport });
    await s.send({ token: tok('warm'), payload });
    fake.script({ route: 'apns', token: tok('x'), transport: 'reset' });
    const err = await s.send({ token: tok('x'), payload }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTransportError(err)).toBe(true);
    expect((err as TransportError).requestSent).toBe(true);
  });

  it('times out a hung request at timeoutMs and flags it maybe delivered', async () => {
    const s = make({ transport, timeoutMs: 150 });
    await s.send({ token: tok('warm'), payload });
    fake.script({ route: 'apns', token: tok('h'), transport: 'hang' });
    const err = (await s.send({ token: tok('h'), payload }).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.requestSent).toBe(true);
  });
});

describe('apnsSender over node:http2: connections', () => {
  it('warms each new connection with one request before a burst and opens no more than `connections`', async () => {
    const s = make({ connections: 3 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.send({ token: tok(i), payload })));
    const log = fake.requests({ route: 'apns' });
    const sessions = new Map<number, typeof log>();
    for (const e of log) sessions.set(e.session, [...(sessions.get(e.session) ?? []), e]);
    expect(sessions.size).toBeLessThanOrEqual(3);
    for (const entries of sessions.values()) {
      const [first, second] = entries.sort((a, b) => a.n - b.n);
      if (second) expect(second.t).toBeGreaterThanOrEqual(first!.doneAt!);
    }
    expect(log.every((e) => e.status === 200)).toBe(true);
  });

  it('aborts through the AbortSignal', async () => {
    const s = make();
    await s.send({ token: tok('warm'), payload });
    fake.script({ route: 'apns', token: tok('a'), transport: 'hang' });
    const ac = new AbortController();
    const p = s.send({ token: tok('a'), payload }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });

  it('reconnects after the server dropped the connection', async () => {
    const s = make({ connections: 1 });
    await s.send({ token: tok('warm'), payload });
    fake.dropConnections();
    // Once the client has seen the close, the next request opens a new connection. (A request written
    // into a connection the server already dropped is in doubt: it fails as maybe delivered.)
    await new Promise((r) => setTimeout(r, 50));
    expect((await s.send({ token: tok('after'), payload })).status).toBe(200);
  });
});

describe('apnsSender: apns-id', () => {
  it('returns the apns-id APNs assigned when the notification has none', async () => {
    const s = make();
    const res = await s.send({ token: tok(9), payload });
    expect(res.apnsId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
