import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('close()', () => {
  it('leaves no handle: a process that closes its sender exits on its own', () => {
    const child = fileURLToPath(new URL('./exit.child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error, r.stderr).toBeUndefined(); // a timeout (a handle kept alive) is an error here
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { outcomes: string[]; pruned: number };
    expect(report.outcomes).toHaveLength(20);
    expect(report.outcomes.filter((o) => o === 'dropped-token').length).toBe(report.pruned);
    expect(report.pruned).toBeGreaterThan(0);
    expect(report.outcomes.every((o) => o === 'delivered' || o === 'dropped-token')).toBe(true);
  });
});
