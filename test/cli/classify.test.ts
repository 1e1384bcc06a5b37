import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { APNS_TOKEN, FCM_TOKEN } from '../fixtures/classify-mix.js';
import { runCli } from './run-cli.js';

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

describe('pushback classify', () => {
  it('answers one JSON verdict per line, in order, and survives bad lines', async () => {
    const lines = [
      JSON.stringify({ provider: 'fcm', status: 404, headers: {}, body: { error: { code: 404, status: 'NOT_FOUND', details: [{ '@type': FCM_ERROR, errorCode: 'UNREGISTERED' }] } } }),
      'this is not json',
      JSON.stringify({ status: 410, body: { reason: 'Unregistered', timestamp: 1700000000000 } }),
      '[1,2]',
      JSON.stringify({ provider: 'firebase-admin', error: { code: 'messaging/registration-token-not-registered', message: 'Requested entity was not found.' } }),
      JSON.stringify({ provider: 'nope', status: 500 }),
      '',
      JSON.stringify({ provider: 'fcm', error: { code: 'ECONNRESET', message: 'read ECONNRESET' } }),
    ];
    const r = await runCli(['classify', '--provider', 'apns'], lines.join('\n') + '\n');
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(7); // the blank line is skipped
    expect(out[0]).toMatchObject({ provider: 'fcm', code: 'UNREGISTERED', action: catalog().lookup('fcm', 'UNREGISTERED')!.action, status: 404 });
    expect(out[1].error).toMatch(/^line 2: not valid JSON/);
    expect(out[2]).toMatchObject({ provider: 'apns', code: 'Unregistered', tokenInvalidSince: 1700000000000 });
    expect(out[3].error).toBe('line 4: expected a JSON object');
    expect(out[4]).toMatchObject({ provider: 'firebase-admin', code: 'messaging/registration-token-not-registered' });
    expect(out[5].error).toMatch(/^line 6: unknown provider/);
    expect(out[6]).toMatchObject({ provider: 'fcm', code: 'ECONNRESET', action: 'retry', maybeDelivered: true });
  });

  it('prints tokens only as keys of the per-token map', async () => {
    const other = 'IQAAAACy0kYvAAB' + 'x'.repeat(100);
    const lines = [
      JSON.stringify({ provider: 'hms', status: 200, body: { code: '80100000', msg: JSON.stringify({ success: 1, failure: 1, illegal_tokens: [other] }) }, targets: [other, FCM_TOKEN] }),
      JSON.stringify({ provider: 'fcm', status: 400, body: { error: { status: 'SOMETHING_NEW', message: `token ${FCM_TOKEN} rejected` } } }),
      JSON.stringify({ provider: 'apns', status: 400, body: { reason: APNS_TOKEN } }),
      `{"provider":"fcm","status":400,"body":"${FCM_TOKEN}`,
    ];
    const r = await runCli(['classify'], lines.join('\n'));
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(out[0]!.tokens as object).sort()).toEqual([FCM_TOKEN, other].sort());
    for (const v of out) {
      const { tokens: _t, ...rest } = v;
      const text = JSON.stringify(rest);
      for (const secret of [FCM_TOKEN, other, APNS_TOKEN, FCM_TOKEN.slice(0, 40)]) expect(text).not.toContain(secret);
    }
  });

  it('has --help and rejects unknown providers and flags', async () => {
    const help = await runCli(['classify', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pushback classify');
    const bad = await runCli(['classify', '--provider', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown provider "nope"');
    const flag = await runCli(['classify', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--frobnicate'");
  });
});

describe('pushback classify stdin failures', () => {
  it('exits 1 when stdin cannot be read, after answering the lines it got', async () => {
    const { PassThrough, Readable } = await import('node:stream');
    const { main } = await import('../../src/cli/main.js');
    const stdin = new Readable({ read() {} });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    stdin.push('{"provider":"fcm","status":503}\n');
    setTimeout(() => stdin.destroy(new Error('EIO: i/o error, read')), 20);
    const code = await main(['classify'], { stdin, stdout, stderr });
    expect(code).toBe(1);
    expect(JSON.parse(out.trim())).toMatchObject({ provider: 'fcm', code: 'HTTP_503', action: 'retry' });
    expect(err).toContain('cannot read stdin');
  });
});
