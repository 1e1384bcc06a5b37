import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

describe('pushback', () => {
  it('lists its commands on --help and fails on unknown commands', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['classify', 'explain', 'catalog', 'demo']) expect(help.stdout).toContain(c);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const demo = await runCli(['demo', '--messages', 'lots']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('Expected `--messages` to be an integer');
  });

  it('ships a built entry with a shebang that runs (after npm run build)', async () => {
    const entry = `${ROOT}dist/cli/main.js`;
    expect(existsSync(entry), 'run npm run build first (npm test does)').toBe(true);
    expect(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = await runCli(['--help'], undefined, 'dist/cli/main.js');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pushback <command>');
  });
});
