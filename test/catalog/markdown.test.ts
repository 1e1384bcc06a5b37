import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/catalog/catalog.js';
import { catalogMarkdown, providerTable, README_END, README_START, replaceReadmeSection, summaryTable } from '../../src/catalog/markdown.js';
import { ACTIONS } from '../../src/types.js';

describe('catalog markdown', () => {
  it('README.md action table is generated from policies/ (run `npm run readme:table` when this fails)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(README_START);
    expect(readme).toContain(README_END);
    expect(replaceReadmeSection(readme, catalogMarkdown(catalog()))).toBe(readme);
  });

  it('summarises every provider with its count of codes per action', () => {
    const cat = catalog();
    const table = summaryTable(cat);
    for (const [provider, policy] of cat.policies) {
      const row = table.split('\n').find((l) => l.startsWith(`| ${provider} |`));
      expect(row, provider).toBeDefined();
      const cells = row!.split('|').slice(2, -1).map((c) => Number(c.trim()));
      expect(cells).toEqual([...ACTIONS.map((a) => policy.entries.filter((e) => e.action === a).length), policy.entries.length]);
    }
  });

  it('lists every entry once in its provider table, escaping pipes', () => {
    const cat = catalog();
    for (const [, policy] of cat.policies) {
      const rows = providerTable(policy.entries).split('\n').slice(2);
      expect(rows).toHaveLength(policy.entries.length);
    }
    const t = providerTable([{ provider: 'fcm', code: 'X', action: 'retry', status: 500, meaning: 'a | b\nc', remedy: 'r', scope: 'server', source: 's' }]);
    expect(t).toContain('a \\| b c');
  });

  it('replaces only the marked section', () => {
    const doc = `# t\n\nbefore\n${README_START}\nold\n${README_END}\nafter\n`;
    expect(replaceReadmeSection(doc, 'NEW')).toBe(`# t\n\nbefore\n${README_START}\nNEW\n${README_END}\nafter\n`);
    expect(replaceReadmeSection('no markers', 'NEW')).toBeUndefined();
  });
});
