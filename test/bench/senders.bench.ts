/**
 * `npm run bench -- --only senders`: the APNs and FCM senders against their peers, in one run, against
 * the same fake provider (a child process, HTTP/2 over TLS on loopback).
 *
 * - APNs: pushback/apns (node:http2 and undici transports) vs @parse/node-apn `Provider` (one session,
 *   its default) and `MultiProvider` (same connection count as ours). Every variant gets the same load:
 *   `WINDOW` concurrent single-token sends until N are done. `apns.vsNodeApn` = ours (default transport)
 *   over node-apn `Provider`.
 * - FCM: pushback/fcm vs firebase-admin `sendEach` for 10,000 messages (chunks of 500, the SDK maximum;
 *   run both sequentially and 4 chunks at a time, the better counts). firebase-admin's `http2.connect` is
 *   redirected to the fake server by `redirectHttp2` (src/testing/http2-redirect.ts), which also fixes its
 *   `':scheme': 'https:'`. `fcm.vsFirebaseAdmin` = ours over the better firebase-admin figure.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { apnsSender } from '../../src/apns/index.js';
import { fcmSender } from '../../src/fcm/index.js';
import { redirectHttp2 } from '../../src/testing/http2-redirect.js';
import type { ApnsTestKey } from '../../src/testing/index.js';

export const name = 'senders';

const require = createRequire(import.meta.url);
const WINDOW = 1000;
const payload = { aps: { alert: { title: 'Hello', body: 'A push notification of ordinary size' }, badge: 1 } };
const token = (i: number) => i.toString(16).padStart(64, '0');

interface Child {
  url: string;
  ca: string;
  key: ApnsTestKey;
  stop(): void;
}

async function startChild(): Promise<Child> {
  const child = fork(fileURLToPath(new URL('./senders-fake-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const info = await new Promise<{ url: string; ca: string; key: ApnsTestKey }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; ca: string; key: ApnsTestKey }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fake provider exited with ${code}`)));
  });
  return { ...info, stop: () => child.disconnect() };
}

/** Runs `one(i)` for i in [0, n) with `window` in flight; returns messages per second. */
async function throughput(n: number, window: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const ok = await one(i).then(
        (r) => r !== false,
        () => false,
      );
      if (!ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
  const secs = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} of ${n} sends failed`);
  return Math.round(n / secs);
}

/** Best of `runs` (the machine is shared: the best run is the least disturbed one). */
async function best(runs: number, f: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < runs; i++) top = Math.max(top, await f());
  return top;
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const server = await startChild();
  const runs = quick ? 1 : 3;
  try {
    // ---------------------------------------------------------------- APNs
    const N = quick ? 5_000 : 20_000;
    const connections = 2;
    const apnsOpts = {
      key: server.key.privateKey,
      keyId: server.key.keyId,
      teamId: server.key.teamId,
      environment: 'sandbox' as const,
      topic: 'com.example.app',
      url: server.url,
      tls: { ca: server.ca },
      connections,
    };
    for (const transport of ['http2', 'undici'] as const) {
      const s = apnsSender({ ...apnsOpts, transport });
      const one = (i: number) => s.send({ token: token(i), payload }).then((r) => r.status === 200);
      await throughput(500, 100, one);
      out[`apns.pushback.${transport}PerSec`] = await best(runs, () => throughput(N, WINDOW, one));
      log(`  pushback/apns (${transport}, ${connections} conns): ${out[`apns.pushback.${transport}PerSec`]} msgs/s`);
      await s.close();
    }

    const apn = require('@parse/node-apn') as typeof import('@parse/node-apn');
    const nodeApnOptions = {
      token: { key: server.key.privateKey, keyId: server.key.keyId, teamId: server.key.teamId },
      // node-apn passes `port` to http2.connect, which overrides the URL's port.
      address: new URL(server.url).hostname,
      port: Number(new URL(server.url).port),
      ca: [server.ca],
      production: false,
    };
    const note = new apn.Notification();
    note.topic = 'com.example.app';
    note.pushType = 'alert';
    note.rawPayload = payload;
    for (const [label, provider] of [
      ['Provider', new apn.Provider(nodeApnOptions)],
      ['MultiProvider', new apn.MultiProvider({ ...nodeApnOptions, clientCount: connections })],
    ] as const) {
      const one = (i: number) => provider.send(note, token(i)).then((r) => r.sent.length === 1);
      await throughput(500, 100, one);
      out[`apns.nodeApn.${label}PerSec`] = await best(runs, () => throughput(N, WINDOW, one));
      log(`  @parse/node-apn ${label}: ${out[`apns.nodeApn.${label}PerSec`]} msgs/s`);
      provider.shutdown();
    }
    out['apns.vsNodeApn'] = Number(out['apns.pushback.http2PerSec']) / Number(out['apns.nodeApn.ProviderPerSec']);
    out['apns.undiciVsHttp2'] = Number(out['apns.pushback.undiciPerSec']) / Number(out['apns.pushback.http2PerSec']);

    // ---------------------------------------------------------------- FCM
    const M = 10_000;
    const messages = Array.from({ length: M }, (_, i) => ({ token: `fcm-${i}`, notification: { title: 'Hello', body: 'A push notification of ordinary size' }, data: { n: String(i) } }));
    const credential = { getAccessToken: async () => ({ access_token: 'bench-access-token', expires_in: 3600 }) };

    for (const transport of ['http2', 'undici'] as const) {
      const fcm = fcmSender({ projectId: 'bench-project', credential, url: server.url, tls: { ca: server.ca }, connections, transport });
      const one = (i: number) => fcm.send(messages[i]!).then((r) => r.status === 200);
      await throughput(500, 100, one);
      out[`fcm.pushback.${transport}PerSec`] = await best(runs, () => throughput(M, WINDOW, one));
      log(`  pushback/fcm (${transport}, ${connections} conns): ${out[`fcm.pushback.${transport}PerSec`]} msgs/s`);
      await fcm.close();
    }

    const redirect = redirectHttp2({ target: server.url, connectOptions: { ca: server.ca, rejectUnauthorized: true, servername: 'localhost' } });
    const { initializeApp, deleteApp } = require('firebase-admin/app') as typeof import('firebase-admin/app');
    const { getMessaging } = require('firebase-admin/messaging') as typeof import('firebase-admin/messaging');
    const app = initializeApp({ credential, projectId: 'bench-project' }, `senders-bench-${process.pid}`);
    try {
      const messaging = getMessaging(app);
      const chunks = Array.from({ length: M / 500 }, (_, i) => messages.slice(i * 500, (i + 1) * 500));
      const sendChunk = async (c: typeof chunks[number]) => {
        const r = await messaging.sendEach(c);
        if (r.failureCount > 0) throw new Error(`firebase-admin: ${r.failureCount} failed: ${r.responses.find((x) => !x.success)?.error?.message}`);
      };
      await sendChunk(chunks[0]!);
      const timed = async (f: () => Promise<void>) => {
        const t = performance.now();
        await f();
        return Math.round(M / ((performance.now() - t) / 1000));
      };
      out['fcm.firebaseAdmin.sequentialPerSec'] = await best(runs, () =>
        timed(async () => {
          for (const c of chunks) await sendChunk(c);
        }),
      );
      out['fcm.firebaseAdmin.parallel4PerSec'] = await best(runs, () =>
        timed(async () => {
          let k = 0;
          await Promise.all(Array.from({ length: 4 }, async () => {
            while (k < chunks.length) await sendChunk(chunks[k++]!);
          }));
        }),
      );
      log(`  firebase-admin sendEach: ${out['fcm.firebaseAdmin.sequentialPerSec']} msgs/s sequential, ${out['fcm.firebaseAdmin.parallel4PerSec']} msgs/s 4 at a time (${redirect.sessions} sessions)`);
    } finally {
      await deleteApp(app);
      redirect.restore();
    }
    const theirs = Math.max(Number(out['fcm.firebaseAdmin.sequentialPerSec']), Number(out['fcm.firebaseAdmin.parallel4PerSec']));
    out['fcm.vsFirebaseAdmin'] = Number(out['fcm.pushback.http2PerSec']) / theirs;
    out['senders.window'] = WINDOW;
    out['senders.connections'] = connections;
  } finally {
    server.stop();
  }
  return out;
}
