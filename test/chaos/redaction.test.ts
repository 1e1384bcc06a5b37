/**
 * Redaction: every log line, event, error message and CLI output of a full demo run, searched for every
 * device token the campaign generated, the fake credentials (FCM access token) and the APNs key PEMs.
 * In-process (with an event sink and the progress display) and the built CLI as a child process.
 */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { campaignTokens } from '../../src/demo/campaign.js';
import { createProgress } from '../../src/demo/progress.js';
import { demoCampaign, runDemo } from '../../src/demo/run.js';
import { formatSummary } from '../../src/demo/summary.js';
import type { EngineEvent } from '../../src/engine/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The needles: whole secrets, plus distinctive slices (a token may be cut, a PEM re-wrapped). */
function needles(tokens: readonly string[], secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tokens) {
    out.add(t);
    out.add(t.slice(0, 24));
    out.add(t.slice(-24));
  }
  for (const s of secrets) {
    out.add(s);
    for (const line of s.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) out.add(line);
  }
  return [...out];
}

function findLeaks(text: string, list: readonly string[]): string[] {
  return list.filter((n) => text.includes(n)).map((n) => n.slice(0, 12) + '…');
}

describe('redaction', () => {
  it('a full in-process demo run: events, errors, progress and summary carry no token or key', async () => {
    const events: EngineEvent[] = [];
    const sink = new PassThrough();
    let progressText = '';
    sink.on('data', (d) => (progressText += String(d)));
    const progress = await createProgress({ stream: sink, intervalMs: 50 });
    const r = await runDemo({ messages: 2000, faultRate: 0.3, seed: 'redaction', progress, onEvent: (e) => events.push(e), senderTimeoutMs: 1000, connectionKinds: ['reset', 'goaway'] });
    const text = [
      events.map((e) => inspect(e, { depth: 8, showHidden: false })).join('\n'),
      events.filter((e) => e.type === 'error').map((e) => `${String((e as { error: Error }).error)} ${(e as { error: Error }).error.stack}`).join('\n'),
      progressText,
      formatSummary(r.summary),
      JSON.stringify(r.summary),
    ].join('\n');
    expect(events.length).toBeGreaterThan(2000);
    expect(events.some((e) => e.type === 'attempt' && e.verdict.action === 'drop-token')).toBe(true); // tokens were there to leak
    expect(r.secrets.some((s) => s.includes('BEGIN PRIVATE KEY'))).toBe(true);
    expect(findLeaks(text, needles(campaignTokens(r.campaign), r.secrets))).toEqual([]);
    // Redacted forms are there instead: the events still say which device.
    expect(text).toMatch(/tok:[0-9a-f]{10}/);
  }, 120_000);

  it('the CLI (human and --json output) carries no token or key', async () => {
    const run = promisify(execFile);
    const opts = { messages: 500, faultRate: 0.3, seed: 'cli-redaction' };
    const out: string[] = [];
    for (const extra of [[], ['--json']]) {
      const { stdout, stderr } = await run(process.execPath, ['dist/cli/main.js', 'demo', '--messages', '500', '--fault-rate', '0.3', '--seed', opts.seed, ...extra], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 }).catch((e: { stdout: string; stderr: string }) => e);
      out.push(stdout, stderr);
    }
    const text = out.join('\n');
    expect(text).toContain('pushback demo: 500 messages');
    const tokens = campaignTokens(demoCampaign(opts));
    expect(tokens.length).toBeGreaterThan(400);
    expect(findLeaks(text, needles(tokens, []))).toEqual([]);
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY|demo-[0-9a-f]{32}|eyJ[\w-]{6,}\./);
  }, 120_000);
});
