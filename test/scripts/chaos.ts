/**
 * The chaos run at scale: `npx tsx test/scripts/chaos.ts [--messages 100000] [--fault-rate 0.35] [--seed S]`
 * Same campaign and invariants as test/chaos/chaos.test.ts (every fault kind the fake server injects,
 * Retry-After 1 s, real time), with a progress line every 5 s; prints the summary table and exits 1 when
 * an invariant was violated or an outcome differs from the plan (other than gave-up after a possibly
 * delivered failure).
 */
import { parseArgs } from 'node:util';
import { CHAOS_FAULTS, type DemoMessage } from '../../src/demo/campaign.js';
import { createProgress } from '../../src/demo/progress.js';
import { runDemo } from '../../src/demo/run.js';
import { formatSummary } from '../../src/demo/summary.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '100000' }, 'fault-rate': { type: 'string', default: '0.35' }, seed: { type: 'string', default: 'chaos' } },
});
const messages = Number(values.messages);
const faultRate = Number(values['fault-rate']);
if (!Number.isInteger(messages) || messages < 1 || !(faultRate >= 0 && faultRate <= 1)) {
  console.error('Expected --messages N (positive integer) and --fault-rate F (0..1).');
  process.exit(2);
}
const unhandled: unknown[] = [];
process.on('unhandledRejection', (r) => unhandled.push(r));

const progress = await createProgress({ stream: process.stdout, tty: false, intervalMs: 5000 });
const r = await runDemo({
  messages,
  faultRate,
  seed: values.seed!,
  kinds: CHAOS_FAULTS,
  connectionFaults: Math.max(1, Math.round(messages / 10_000)),
  connectionKinds: ['reset', 'goaway'],
  retryAfterS: [1, 1],
  senderTimeoutMs: 1000,
  progress,
});
const planned = (m: DemoMessage) =>
  m.project === 'com.acme.legacy' ? 'fatal' : r.campaign.deadTokens.has(m.token) ? 'dropped-token' : m.bad ? 'rejected' : m.ttlMs ? 'expired' : 'delivered';
const byId = new Map(r.outcomes.map((o) => [o.id, o.outcome]));
const unexpected = r.campaign.messages.filter((m) => byId.get(m.id) !== planned(m) && byId.get(m.id) !== 'gave-up');
const gaveUpInstead = r.campaign.messages.filter((m) => byId.get(m.id) === 'gave-up').length;
console.log('\n' + formatSummary(r.summary));
console.log(`  transient-fault share        ${(r.campaign.faults.size / r.campaign.messages.length).toFixed(2)}`);
console.log(`  gave-up instead of the plan  ${gaveUpInstead} (possibly delivered, no collapse key, or attempts exhausted)`);
console.log(`  unexpected outcomes          ${unexpected.length}`);
console.log(`  unhandled rejections         ${unhandled.length}`);
process.exitCode = r.summary.invariants.ok && unexpected.length === 0 && unhandled.length === 0 ? 0 : 1;
