import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { runCli } from './run-cli.js';

describe('pushback explain', () => {
  it('explains a code at every provider that has it', async () => {
    const entries = catalog().find('200');
    expect(entries.length).toBeGreaterThan(1);
    const r = await runCli(['explain', '200']);
    expect(r.code).toBe(0);
    for (const e of entries) {
      expect(r.stdout).toContain(`${e.provider} 200`);
      expect(r.stdout).toContain(e.meaning);
      expect(r.stdout).toContain(e.remedy);
    }
  });

  it('narrows to one provider and shows the disambiguation of ambiguous codes', async () => {
    const entries = catalog().find('110010').filter((e) => e.provider === 'meizu');
    expect(entries.length).toBe(2);
    const r = await runCli(['explain', '110010', '--provider', 'meizu']);
    expect(r.code).toBe(0);
    for (const e of entries) expect(r.stdout).toContain(`action:   ${e.action}`);
    const withDisambiguation = entries.find((e) => e.disambiguation);
    if (withDisambiguation) expect(r.stdout).toContain(withDisambiguation.disambiguation);
    expect(r.stdout).not.toContain('xiaomi');
    const json = await runCli(['explain', 'UNREGISTERED', '--provider', 'fcm', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([catalog().lookup('fcm', 'UNREGISTERED')]);
  });

  it('fails clearly for unknown codes, providers, flags and a missing code', async () => {
    const unknown = await runCli(['explain', 'NO_SUCH_CODE_XYZ']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown code "NO_SUCH_CODE_XYZ"');
    const provider = await runCli(['explain', '200', '--provider', 'nope']);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain('Unknown provider "nope"');
    expect((await runCli(['explain'])).code).toBe(2);
    expect((await runCli(['explain', '200', '--bad'])).code).toBe(2);
    const help = await runCli(['explain', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pushback explain');
  });
});
