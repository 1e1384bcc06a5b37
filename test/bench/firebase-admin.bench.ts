/**
 * firebase-admin: raw `sendEachForMulticast` vs the same through `wrapMessaging`, side by side in one run,
 * against the same local fake FCM server (HTTP/2 over TLS, in a worker thread) with nothing failing.
 * Both sides send the same tokens in calls of 500 with 2 calls in flight (the raw side with a small pool,
 * as an application would; the wrapper splits by itself). Rounds alternate raw/wrapped; the ratio is the
 * median of the per-round ratios (robust to load drifting between rounds on a shared 2-core machine),
 * the throughputs the medians of the rounds. Key: `firebaseAdmin.wrappedVsRaw` (goal ≥ 0.95).
 */
import { createRequire } from 'node:module';
import type * as AppModule from 'firebase-admin/app';
import type { Messaging } from 'firebase-admin/messaging';
import type * as MessagingModule from 'firebase-admin/messaging';
import { loadBuilt } from './built.js';
import { redirectHttp2, startFakeProviderInWorker } from '../../src/testing/index.js';

const { wrapMessaging } = await loadBuilt<typeof import('../../src/firebase-admin/index.js')>('firebase-admin/index');

export const name = 'firebaseAdmin';

const require = createRequire(import.meta.url);
const CALL = 500;
const IN_FLIGHT = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** What an application does without pushback: chunks of 500, a few calls at a time. */
async function rawMulticast(messaging: Messaging, tokens: string[]): Promise<number> {
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const chunk = tokens.slice(next, next + CALL);
      next += CALL;
      const res = await messaging.sendEachForMulticast({ tokens: chunk, data: { k: 'v' } });
      ok += res.successCount;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return ok;
}

export async function run({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number | string>> {
  const { initializeApp, deleteApp } = require('firebase-admin/app') as typeof AppModule;
  const { getMessaging } = require('firebase-admin/messaging') as typeof MessagingModule;
  const fake = await startFakeProviderInWorker({ log: false, countTokens: false });
  const redirect = redirectHttp2({ target: fake.url, connectOptions: { ca: fake.ca } });
  const credential = { getAccessToken: async () => ({ access_token: 'bench', expires_in: 3600 }) };
  const rawApp = initializeApp({ credential, projectId: 'bench' }, 'bench-raw');
  const wrappedApp = initializeApp({ credential, projectId: 'bench' }, 'bench-wrapped');
  const raw = getMessaging(rawApp);
  const wrapped = wrapMessaging(getMessaging(wrappedApp), { transport: 'http2', maxConcurrentBatches: IN_FLIGHT, prune: { valve: false } });
  const perRound = quick ? 2_000 : 10_000;
  const rounds = quick ? 3 : 7;
  const tokens = Array.from({ length: perRound }, (_, i) => `bench-token-${i.toString(36).padStart(8, '0')}-${'z'.repeat(120)}`);
  const rawRates: number[] = [];
  const wrappedRates: number[] = [];
  try {
    // Warm-up (TLS, JIT) for both.
    await rawMulticast(raw, tokens.slice(0, 1000));
    await wrapped.sendEachForMulticast({ tokens: tokens.slice(0, 1000), data: { k: 'v' } });
    for (let r = 0; r < rounds; r++) {
      const s0 = redirect.sessions;
      let t = performance.now();
      const okRaw = await rawMulticast(raw, tokens);
      rawRates.push(perRound / ((performance.now() - t) / 1000));
      const s1 = redirect.sessions;
      t = performance.now();
      const res = await wrapped.sendEachForMulticast({ tokens, data: { k: 'v' } });
      wrappedRates.push(perRound / ((performance.now() - t) / 1000));
      if (okRaw !== perRound || res.successCount !== perRound) throw new Error(`round ${r}: raw ${okRaw}, wrapped ${res.successCount} of ${perRound} delivered`);
      log(`  round ${r + 1}: raw ${Math.round(rawRates[r]!)} msg/s (${s1 - s0} calls), wrapped ${Math.round(wrappedRates[r]!)} msg/s (${redirect.sessions - s1} calls), ratio ${(wrappedRates[r]! / rawRates[r]!).toFixed(3)}`);
    }
  } finally {
    await wrapped.close();
    redirect.restore();
    await deleteApp(rawApp);
    await deleteApp(wrappedApp);
    await fake.close();
  }
  const rawPerSec = median(rawRates);
  const wrappedPerSec = median(wrappedRates);
  return {
    'firebaseAdmin.rawPerSec': Math.round(rawPerSec),
    'firebaseAdmin.wrappedPerSec': Math.round(wrappedPerSec),
    'firebaseAdmin.wrappedVsRaw': Number(median(wrappedRates.map((w, i) => w / rawRates[i]!)).toFixed(3)),
    'firebaseAdmin.messagesPerRound': perRound,
  };
}
