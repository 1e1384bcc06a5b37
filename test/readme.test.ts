/**
 * The README's commands work: the quick start names `npm start` and `npm test`, the script behind
 * `npm start` (`node dist/cli/main.js demo`) runs with a small campaign, and every CLI example in a
 * ```sh block (lines starting with `pushback ` or `npx pushback `) runs against the built CLI.
 * Run after `npm run build` (npm test does).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '../src/types.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const run = promisify(execFile);

/** Shell lines of the ```sh blocks (comments stripped, continuation lines joined). */
export function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const m of markdown.matchAll(/^```(?:sh|shell|bash)[^\n]*\n([\s\S]*?)^```/gm)) {
    const body = m[1]!.replace(/\s*\\\n\s*/g, ' ');
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').replace(/^\s*\$\s+/, '').trim();
      if (line && !line.startsWith('#')) lines.push(line);
    }
  }
  return lines;
}

/** The CLI examples: `pushback …` / `npx pushback …`, as run here (`npx pushback` → the built bin). */
export function cliExamples(markdown: string): string[] {
  return shellLines(markdown)
    .filter((l) => /^(npx\s+)?pushback(\s|$)/.test(l))
    .map((l) => l.replace(/^npx\s+/, ''))
    // A full demo is 20,000 messages; the examples run it small (same code path).
    .map((l) => (/^pushback\s+demo\b/.test(l) && !/--messages\b/.test(l) && !/(-h|--help)\b/.test(l) ? `${l} --messages 500` : l));
}

const bin = mkdtempSync(join(tmpdir(), 'pushback-readme-'));
writeFileSync(join(bin, 'pushback'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}" "$@"\n`);
chmodSync(join(bin, 'pushback'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('README', () => {
  it('has a quick start with npm start and npm test, and npm start runs the demo', () => {
    const quick = /^##+\s*Quick start\s*$([\s\S]*?)(?=^##\s)/im.exec(README + '\n## end')?.[1] ?? '';
    expect(quick, 'a "Quick start" section').not.toBe('');
    const cmds = shellLines(quick).join('\n');
    expect(cmds).toMatch(/\bnpm start\b/);
    expect(cmds).toMatch(/\bnpm test\b/);
    expect(pkg.scripts.start).toBe('node dist/cli/main.js demo');
  });

  it('npm start with a small campaign: the JSON summary on the last line of stdout', async () => {
    const [cmd, ...args] = pkg.scripts.start!.split(' ');
    expect(cmd).toBe('node');
    // Exit code 1 would mean an invariant was violated (the run rejects then).
    const { stdout } = await run(process.execPath, [...args, '--messages', '500', '--json'], { cwd: ROOT, maxBuffer: 16 * 2 ** 20 });
    const last = stdout.trim().split('\n').at(-1)!;
    const summary = JSON.parse(last) as { outcomes: Record<string, number>; messages: number; invariants: { ok: boolean; violations: unknown[] } };
    expect(Object.keys(summary.outcomes).sort()).toEqual([...OUTCOMES].sort());
    expect(Object.values(summary.outcomes).reduce((s, n) => s + n, 0)).toBe(500);
    violations = summary.invariants.violations;
  }, 120_000);

  let violations: unknown[] = ['not run'];
  it('the demo reports no violated invariant', () => {
    expect(violations).toEqual([]);
  });

  const examples = cliExamples(README);
  it('its CLI examples are found in ```sh blocks', () => {
    // Today's README may have none yet; every one it has runs below.
    expect(examples.every((e) => e.startsWith('pushback'))).toBe(true);
  });

  for (const example of examples) {
    it(`runs: ${example}`, async () => {
      let stdout: string;
      let stderr: string;
      try {
        ({ stdout, stderr } = await run('/bin/sh', ['-c', example], {
          cwd: ROOT,
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
          maxBuffer: 16 * 2 ** 20,
          timeout: 120_000,
        }));
      } catch (err) {
        // `pushback demo` exits 1 when it ran to the end and reports a violated invariant (the README's
        // "Known gaps" names the one the current engine shows). Anything else (a crash, exit 2 for bad
        // flags, a timeout) fails the example.
        const e = err as { code?: number; stdout?: string; stderr?: string };
        const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
        if (!(example.startsWith('pushback demo') && e.code === 1 && /invariants|"violations"/.test(out))) throw err;
        ({ stdout, stderr } = { stdout: e.stdout ?? '', stderr: e.stderr ?? '' });
      }
      expect(stdout + stderr).not.toMatch(/unknown command|Usage: pushback <command>/);
    }, 130_000);
  }
});

describe('README command extraction', () => {
  it('reads sh blocks, strips comments and prompts, joins continuations, sizes the demo down', () => {
    const md = ['# x', '```sh', '$ npx pushback explain UNREGISTERED   # why', 'pushback demo \\', '  --seed 7', 'npm test', '```', '```ts', 'pushback nope', '```'].join('\n');
    expect(shellLines(md)).toEqual(['npx pushback explain UNREGISTERED', 'pushback demo --seed 7', 'npm test']);
    expect(cliExamples(md)).toEqual(['pushback explain UNREGISTERED', 'pushback demo --seed 7 --messages 500']);
  });
});
