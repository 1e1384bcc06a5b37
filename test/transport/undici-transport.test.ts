import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';
import { TransportError } from '../../src/transport/transport-error.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';

let fake: FakeProvider;
const open: UndiciTransport[] = [];
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  fake.reset();
});

function transport(url = fake.url) {
  const t = new UndiciTransport({ origin: url, connections: 2, timeoutMs: 2000, warmUp: true, maxImmediateRetries: 2, tls: { ca: fake.ca } });
  open.push(t);
  return t;
}
const fcm = (token: string) => ({ path: '/v1/projects/p/messages:send', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify({ message: { token } }) });

describe('UndiciTransport', () => {
  it('multiplexes POSTs over HTTP/2 (idempotent + pipelining)', async () => {
    const t = transport();
    await t.request(fcm('warm'));
    fake.setFaults({ faults: [{ rate: 1, latencyMs: 30 }] });
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => t.request(fcm(`m${i}`))));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(fake.stats().maxStreamsPerSession).toBeGreaterThan(1);
    expect(fake.requests({ route: 'fcm' }).every((e) => e.proto === 'h2')).toBe(true);
  });

  it('speaks HTTP/1.1 keep-alive to a plain HTTP origin', async () => {
    const t = transport(fake.http1Url);
    expect((await t.request(fcm('h1'))).status).toBe(200);
    expect(fake.requests({ token: 'h1' })[0]!.proto).toBe('h1');
  });

  it('a reset after the request was written fails as maybe delivered, and the classifier agrees', async () => {
    const t = transport();
    await t.request(fcm('warm'));
    fake.script({ route: 'fcm', token: 'x', transport: 'reset' });
    const err = (await t.request(fcm('x')).catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.requestSent).toBe(true);
    expect(classify({ provider: 'fcm', error: err, requestSent: err.requestSent })).toMatchObject({ action: 'retry', maybeDelivered: true });
  });
});
