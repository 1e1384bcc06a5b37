import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { catalogMarkdown } from '../../src/catalog/markdown.js';
import { runCli } from './run-cli.js';

describe('pushback catalog', () => {
  it('prints every entry as JSON with provider, code, action and scope', async () => {
    const r = await runCli(['catalog', '--format', 'json']);
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(catalog().entries.length);
    for (const e of entries) for (const k of ['provider', 'code', 'action', 'scope']) expect(e[k], k).toBeTypeOf('string');
  });

  it('filters by provider and prints Markdown', async () => {
    const json = JSON.parse((await runCli(['catalog', '--provider', 'apns', '--format', 'json'])).stdout) as Array<{ provider: string }>;
    expect(json.length).toBe(catalog().policies.get('apns')!.entries.length);
    expect(new Set(json.map((e) => e.provider))).toEqual(new Set(['apns']));
    const md = await runCli(['catalog']);
    expect(md.code).toBe(0);
    expect(md.stdout).toBe(catalogMarkdown(catalog()));
  });

  it('fails clearly on bad flags and values', async () => {
    expect((await runCli(['catalog', '--format', 'xml'])).stderr).toContain('Unknown format "xml"');
    expect((await runCli(['catalog', '--provider', 'nope'])).code).toBe(2);
    expect((await runCli(['catalog', 'extra'])).code).toBe(2);
    const help = await runCli(['catalog', '-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pushback catalog');
  });
});
