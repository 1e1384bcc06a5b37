import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { findSeedsDir, parseTencentPage, seedCodes, type SeedCode } from './seed-tables.js';

const catalog = loadCatalog();
const label = (s: SeedCode) => `${s.provider}:${s.code}${s.context ? ` (context ${s.context})` : ''} from ${s.file}`;

describe('seed documents', () => {
  let dir: string;
  let codes: SeedCode[];
  beforeAll(() => {
    dir = findSeedsDir(); // throws, failing the suite, when ../shared/seeds is absent
    codes = seedCodes(dir);
  });

  it('are all parsed: every seed file yields codes, and no table row is skipped', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect(codes.filter((c) => c.file === file).length, file).toBeGreaterThan(0);
    // Seed 002: every line that starts like a numeric table row must have become a code.
    const page = files.find((f) => f.startsWith('002'))!;
    const text = readFileSync(join(dir, page), 'utf8');
    const numericRows = text.split('\n').filter((l) => /^-?\d+ \|/.test(l.trim())).length;
    const statusRows = text.split('\n').filter((l) => /^\| [A-Za-z]+:/.test(l.trim())).length;
    expect(parseTencentPage(page, text).length).toBe(numericRows + statusRows);
  });

  it('every seed code is a catalog entry under the right provider and context', () => {
    const missing = codes.filter((s) => !catalog.lookup(s.provider, s.code, s.context)).map(label);
    expect(missing).toEqual([]);
  });

  it('the HTTP status the seeds give matches the entry', () => {
    const wrong = codes
      .filter((s) => s.status !== undefined && catalog.lookup(s.provider, s.code, s.context)?.status !== s.status)
      .map((s) => `${label(s)}: seed ${s.status}, catalog ${catalog.lookup(s.provider, s.code, s.context)?.status}`);
    expect(wrong).toEqual([]);
  });

  it('client-SDK codes are marked scope client', () => {
    const wrong = codes.filter((s) => s.scope === 'client' && catalog.lookup(s.provider, s.code, s.context)?.scope !== 'client').map(label);
    expect(wrong).toEqual([]);
  });

  it('every seed code names the seed in its source', () => {
    const unsourced = codes
      .filter((s) => !catalog.lookup(s.provider, s.code, s.context)?.source.includes(`seed:${s.file}`))
      .map(label);
    expect(unsourced).toEqual([]);
  });

  it('codes that collide across vendors are keyed by provider, with their own meaning', () => {
    const numeric = codes.filter((s) => s.code === '0');
    const providers = new Set(numeric.map((s) => s.provider));
    expect(providers.has('infobip') && providers.has('xiaomi')).toBe(true);
    expect(catalog.lookup('infobip', '0')?.action).not.toBe('ok');
    expect(catalog.lookup('xiaomi', '0')?.action).toBe('ok');
  });

  it('Meizu 110010 is a rate limit at the top level and a dead pushId per target', () => {
    const both = codes.filter((s) => s.provider === 'meizu' && s.code === '110010');
    expect(both.map((s) => s.context ?? 'top').sort()).toEqual(['target', 'top']);
    expect(catalog.lookup('meizu', '110010')?.action).toBe('retry');
    expect(catalog.lookup('meizu', '110010', 'target')?.action).toBe('drop-token');
  });
});
