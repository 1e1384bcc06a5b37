import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startFakeProvider } from '../../src/testing/index.js';
import { fcmBody, h2Request, h2Session } from './clients.js';

function count(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

describe('close()', () => {
  it('stops every listener and connection in this process', async () => {
    const servers = count('TCPServerWrap');
    const fake = await startFakeProvider();
    expect(count('TCPServerWrap')).toBe(servers + 3);
    fake.script({ transport: 'hang', times: Infinity });
    const s = h2Session(fake);
    const pending = h2Request(s, '/v1/projects/p/messages:send', { authorization: 'Bearer x' }, fcmBody('t')).catch((e: Error) => e);
    for (let i = 0; i < 100 && fake.stats().inFlight === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.stats().inFlight).toBe(1);
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(count('TCPServerWrap')).toBe(servers);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.destroyed || s.closed).toBe(true);
    await fake.close(); // idempotent
  });

  it('leaves nothing that keeps a process alive (child process exits by itself)', async () => {
    const script = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 20_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`child did not exit cleanly: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const report = JSON.parse(out.trim().split('\n').pop()!);
    expect(report.ok).toBe(200);
    expect(report.results).toEqual(['error', 'error']);
    expect(report.inFlight).toBe(3);
    expect(report.openConnections).toBe(3);
    expect(report.closeMs).toBeLessThan(1000);
  });
});
