/**
 * firebase-admin: raw `sendEachForMulticast` vs the same through `wrapMessaging`, side by side in one run,
 * against the same local fake FCM server (HTTP/2 over TLS, in a worker thread) with nothing failing.
 * Both sides send the same tokens in calls of 500 with 2 calls in flight (the raw side with a small pool,
 * as an application would; the wrapper splits by itself). Each round runs both sides, in alternating order
 * (raw first, then wrapped first: a drift in machine load within a round does not favour one side); the
 * ratio is the median of the per-round ratios, the throughputs the medians of the rounds. A single round's
 * ratio on this 2-core machine spreads by ±20% (every `sendEachForMulticast` call opens a new HTTP/2
 * session), hence 25 rounds (the median of 15 still moved by ±0.03 between runs of the same code). Key: `firebaseAdmin.wrappedVsRaw` (goal ≥ 0.95). `*ClientCpuUsPerMsg`: CPU of
 * the client thread alone per message (the fake server runs in a worker thread), steadier than wall time.
 * `firebaseAdmin.stubRawUsPerMsg` / `stubWrappedUsPerMsg`: the same calls against a stub `Messaging` that
 * answers at once, µs per message: the wrapper's own cost without the SDK and the network.
 */
import { createRequire } from 'node:module';
import type * as AppModule from 'firebase-admin/app';
import type { Messaging } from 'firebase-admin/messaging';
import type * as MessagingModule from 'firebase-admin/messaging';
import { loadBuilt } from './built.js';
import { median } from './median.js';
import { threadCpuUs } from './thread-cpu.js';
import { redirectHttp2, startFakeProviderInWorker } from '../../src/testing/index.js';

const { wrapMessaging } = await loadBuilt<typeof import('../../src/firebase-admin/index.js')>('firebase-admin/index');

export const name = 'firebaseAdmin';

const require = createRequire(import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc; // `npm run bench` passes --expose-gc
const CALL = 500;
const IN_FLIGHT = 2;

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

/**
 * A stand-in for firebase-admin's `Messaging` whose `sendEach` answers every message at once (success),
 * for the wrapper's own cost without the SDK and the network. Its `sendEachForMulticast` builds one
 * message per token and calls `sendEach`, as firebase-admin's does.
 */
function stubMessaging(): Messaging {
  const sendEach = async (messages: unknown[]) => {
    await null; // answered on a later turn, as a response would be
    return { responses: messages.map((_, i) => ({ success: true, messageId: `projects/bench/messages/${i}` })), successCount: messages.length, failureCount: 0 };
  };
  return {
    app: { name: 'stub', options: { projectId: 'bench' } },
    sendEach,
    sendEachForMulticast: (m: { tokens: string[]; data?: unknown }) => sendEach(m.tokens.map((token) => ({ token, data: m.data }))),
    enableLegacyHttpTransport() {},
  } as unknown as Messaging;
}

/** µs of wall time per message for one multicast of `tokens` (in calls of 500, 2 in flight on the raw side). */
async function stubRound(m: Pick<Messaging, 'sendEachForMulticast'>, tokens: string[], chunked: boolean): Promise<number> {
  const t = performance.now();
  const ok = chunked ? await rawMulticast(m as Messaging, tokens) : (await m.sendEachForMulticast({ tokens, data: { k: 'v' } })).successCount;
  if (ok !== tokens.length) throw new Error(`stub: ${ok} of ${tokens.length} delivered`);
  return ((performance.now() - t) * 1000) / tokens.length;
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
  // The project quota is raised, as in the engine bench, so the bench measures the wrapper and not FCM's
  // 600,000/min: pushback enforces that strictly (about 9,100 msg/s, see Admission), the fake server goes
  // faster, and the raw side ignores it; with the default the wrapped side waited ~1 s for the project's
  // next sub-window in about half the rounds on a machine where the raw side outruns that quota (fixed
  // 2026-12-03).
  // The per-device windows stay FCM's.
  const wrapped = wrapMessaging(getMessaging(wrappedApp), {
    transport: 'http2',
    maxConcurrentBatches: IN_FLIGHT,
    prune: { valve: false },
    limits: { project: [{ count: 1e9, perMs: 60_000 }] },
  });
  const perRound = quick ? 2_000 : 10_000;
  const rounds = quick ? 4 : 25;
  const tokens = Array.from({ length: perRound }, (_, i) => `bench-token-${i.toString(36).padStart(8, '0')}-${'z'.repeat(120)}`);
  const rawRates: number[] = [];
  const wrappedRates: number[] = [];
  const rawCpu: number[] = [];
  const wrappedCpu: number[] = [];
  try {
    // Warm-up (TLS, JIT) for both.
    await rawMulticast(raw, tokens.slice(0, 1000));
    await wrapped.sendEachForMulticast({ tokens: tokens.slice(0, 1000), data: { k: 'v' } });
    /** One side of a round: its rate and client CPU are recorded, its call count returned for the log. */
    const side = async (which: 'raw' | 'wrapped', r: number): Promise<number> => {
      // Each side starts from a collected heap: a full collection left over from the other side (50 to
      // 100 ms, at a random point) would otherwise land in this one's time.
      gc?.();
      const s0 = redirect.sessions;
      const c0 = threadCpuUs();
      const t = performance.now();
      const ok = which === 'raw' ? await rawMulticast(raw, tokens) : (await wrapped.sendEachForMulticast({ tokens, data: { k: 'v' } })).successCount;
      const rate = perRound / ((performance.now() - t) / 1000);
      if (ok !== perRound) throw new Error(`round ${r + 1}: ${which} delivered ${ok} of ${perRound}`);
      (which === 'raw' ? rawRates : wrappedRates).push(rate);
      (which === 'raw' ? rawCpu : wrappedCpu).push((threadCpuUs() - c0) / perRound);
      return redirect.sessions - s0;
    };
    for (let r = 0; r < rounds; r++) {
      let rawCalls: number;
      let wrappedCalls: number;
      if (r % 2 === 0) {
        rawCalls = await side('raw', r);
        wrappedCalls = await side('wrapped', r);
      } else {
        wrappedCalls = await side('wrapped', r);
        rawCalls = await side('raw', r);
      }
      log(
        `  round ${r + 1}: raw ${Math.round(rawRates[r]!)} msg/s (${rawCalls} calls), wrapped ${Math.round(wrappedRates[r]!)} msg/s (${wrappedCalls} calls), ` +
          `ratio ${(wrappedRates[r]! / rawRates[r]!).toFixed(3)}; client CPU ${rawCpu[r]!.toFixed(1)} / ${wrappedCpu[r]!.toFixed(1)} µs/msg`,
      );
    }
  } finally {
    await wrapped.close();
    redirect.restore();
    await deleteApp(rawApp);
    await deleteApp(wrappedApp);
    await fake.close();
  }
  // The wrapper's own cost: the same calls against a stub that answers at once (same options as above).
  const stub = stubMessaging();
  const stubWrapped = wrapMessaging(stub, { sdkVersion: '13.6.0', sdkRetries: 'keep', polyfillHttpResponse: false, transport: 'http2', maxConcurrentBatches: IN_FLIGHT, prune: { valve: false }, limits: { project: [{ count: 1e9, perMs: 60_000 }] } });
  const stubRaw: number[] = [];
  const stubWrap: number[] = [];
  try {
    await stubRound(stubWrapped, tokens, false); // warm-up
    for (let r = 0; r < rounds; r++) {
      stubRaw.push(await stubRound(stub, tokens, true));
      stubWrap.push(await stubRound(stubWrapped, tokens, false));
    }
  } finally {
    await stubWrapped.close();
  }
  log(`  stub messaging: ${median(stubRaw).toFixed(2)} µs/msg raw, ${median(stubWrap).toFixed(2)} wrapped`);
  const sorted = wrappedRates.map((w, i) => w / rawRates[i]!).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  log(`  per-round ratios: min ${at(0)}, quartiles ${at(0.25)} / ${at(0.5)} / ${at(0.75)}, max ${at(1)}`);
  const rawPerSec = median(rawRates);
  const wrappedPerSec = median(wrappedRates);
  return {
    'firebaseAdmin.rawPerSec': Math.round(rawPerSec),
    'firebaseAdmin.wrappedPerSec': Math.round(wrappedPerSec),
    'firebaseAdmin.wrappedVsRaw': Number(median(wrappedRates.map((w, i) => w / rawRates[i]!)).toFixed(3)),
    'firebaseAdmin.rawClientCpuUsPerMsg': Number(median(rawCpu).toFixed(1)),
    'firebaseAdmin.wrappedClientCpuUsPerMsg': Number(median(wrappedCpu).toFixed(1)),
    // The wrapper alone: a stub Messaging that answers at once, µs of one thread per message (medians).
    'firebaseAdmin.stubRawUsPerMsg': Number(median(stubRaw).toFixed(2)),
    'firebaseAdmin.stubWrappedUsPerMsg': Number(median(stubWrap).toFixed(2)),
    'firebaseAdmin.messagesPerRound': perRound,
    'firebaseAdmin.rounds': rounds,
  };
}
