import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../src/testing/index.js';

// Regression: GOAWAY plus RST_STREAM in the same tick aborted the whole process (Node 20 nghttp2 heap
// corruption) once ~200 streams were in flight; a stream whose session was already destroyed crashed onStream.
describe('fake server under GOAWAY and reset storms', () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider({ log: false });
  });
  afterAll(() => fake.close());

  function burst(n: number): Promise<{ ok: number; failed: number }> {
    return new Promise((resolve) => {
      const session = http2.connect(fake.url, { ca: fake.ca, servername: 'localhost' });
      session.on('error', () => {});
      let ok = 0;
      let failed = 0;
      const done = () => {
        if (ok + failed === n) {
          session.destroy();
          resolve({ ok, failed });
        }
      };
      for (let i = 0; i < n; i++) {
        const req = session.request({ ':method': 'POST', ':path': '/v1/projects/demo/messages:send', authorization: 'Bearer t', 'content-type': 'application/json' });
        req.on('response', () => {});
        req.on('error', () => {
          failed++;
          done();
        });
        req.on('close', () => {
          if (req.rstCode === 0 && !req.destroyed) return;
        });
        req.on('end', () => {
          ok++;
          done();
        });
        req.resume();
        req.end(JSON.stringify({ message: { token: `t${i}`, data: { i: String(i) } } }));
      }
    });
  }

  it('answers or refuses every stream and stays up', async () => {
    fake.setFaults({ seed: 7, faults: [{ rate: 0.1, route: 'fcm', transport: 'goaway' }, { rate: 0.05, route: 'fcm', transport: 'reset' }] });
    let total = 0;
    let ok = 0;
    for (let round = 0; round < 5; round++) {
      const r = await burst(200);
      total += r.ok + r.failed;
      ok += r.ok;
    }
    expect(total).toBe(1000);
    expect(ok).toBeGreaterThan(0);
    fake.setFaults({ seed: 1, faults: [] });
    const after = await burst(1);
    expect(after.ok).toBe(1);
  });
});
