import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { POLICIES_DIR, loadCatalog } from '../../src/catalog/catalog.js';
import { ACTIONS, PROVIDERS } from '../../src/types.js';

const schema = JSON.parse(readFileSync(join(POLICIES_DIR, 'schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const files = readdirSync(POLICIES_DIR).filter((f) => f.endsWith('.json') && f !== 'schema.json');
const policy = (file: string) => JSON.parse(readFileSync(join(POLICIES_DIR, file), 'utf8')) as Record<string, any>;
const errors = () => JSON.stringify(validate.errors, null, 1);

const goodEntry = { code: 'X', action: 'retry', status: 503, meaning: 'm', remedy: 'r', scope: 'server', source: 'seed:x' };
const good = { provider: 'fcm', description: 'd', entries: [goodEntry] };

describe('policies/*.json', () => {
  it('has one file per provider, and nothing else', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...PROVIDERS].sort());
  });

  it.each(files)('%s validates against schema.json', (file) => {
    expect(validate(policy(file)), errors()).toBe(true);
  });

  it.each(files)('%s: file name equals provider', (file) => {
    expect(`${policy(file)['provider']}.json`).toBe(file);
  });

  it.each(files)('%s: (code, context) is unique', (file) => {
    const keys = (policy(file)['entries'] as { code: string; context?: string }[]).map((e) => `${e.context ?? 'top'}:${e.code}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it.each(files)('%s: has a success entry (action ok)', (file) => {
    expect((policy(file)['entries'] as { action: string }[]).some((e) => e.action === 'ok')).toBe(true);
  });

  it('uses every action somewhere, and only known ones', () => {
    const used = new Set(loadCatalog().entries.map((e) => e.action));
    expect([...used].sort()).toEqual([...ACTIONS].sort());
  });
});

describe('policies/schema.json', () => {
  it('accepts a minimal good policy', () => {
    expect(validate(good), errors()).toBe(true);
  });

  it.each([
    ['a missing entry field', { ...good, entries: [{ ...goodEntry, remedy: undefined }] }],
    ['an unknown action', { ...good, entries: [{ ...goodEntry, action: 'ignore' }] }],
    ['an extra entry property', { ...good, entries: [{ ...goodEntry, retryable: true }] }],
    ['an extra top-level property', { ...good, version: 2 }],
    ['an unknown provider', { ...good, provider: 'pushy' }],
    ['a numeric code', { ...good, entries: [{ ...goodEntry, code: 200 }] }],
    ['an impossible status', { ...good, entries: [{ ...goodEntry, status: 999 }] }],
    ['a bad scope', { ...good, entries: [{ ...goodEntry, scope: 'device' }] }],
    ['no entries', { ...good, entries: [] }],
    ['refreshCredential on a non-retry action', { ...good, entries: [{ ...goodEntry, action: 'fatal', refreshCredential: true }] }],
    ['minRetryDelayMs on a non-retry action', { ...good, entries: [{ ...goodEntry, action: 'drop-token', minRetryDelayMs: 1000 }] }],
    ['a rate window without perMs', { ...good, defaults: { limits: { project: [{ count: 1 }] } } }],
    ['an unknown retry default', { ...good, defaults: { retry: { jitter: true } } }],
  ])('rejects %s', (_name, input) => {
    expect(validate(JSON.parse(JSON.stringify(input)))).toBe(false);
  });
});

describe('loadCatalog()', () => {
  const catalog = loadCatalog();

  it('loads every provider with its entries', () => {
    expect([...catalog.policies.keys()].sort()).toEqual([...PROVIDERS].sort());
    const total = files.reduce((n, f) => n + (policy(f)['entries'] as unknown[]).length, 0);
    expect(catalog.entries.length).toBe(total);
  });

  it('looks up top-level and context entries separately', () => {
    expect(catalog.lookup('fcm', 'INVALID_ARGUMENT')?.action).toBe('fix-request');
    expect(catalog.lookup('fcm', 'INVALID_ARGUMENT', 'top')?.action).toBe('fix-request');
    expect(catalog.lookup('fcm', 'INVALID_ARGUMENT', 'token')?.action).toBe('drop-token');
    expect(catalog.lookup('firebase-admin', 'messaging/mismatched-credential')?.action).toBe('fatal');
    expect(catalog.lookup('firebase-admin', 'messaging/mismatched-credential', 'token')?.action).toBe('drop-token');
    expect(catalog.lookup('hms', 'illegal_tokens', 'target')?.action).toBe('drop-token');
    expect(catalog.lookup('hms', 'illegal_tokens')).toBeUndefined();
    expect(catalog.lookup('fcm', 'NO_SUCH_CODE')).toBeUndefined();
  });

  it('keys colliding codes by provider', () => {
    const zero = catalog.find('0').map((e) => `${e.provider}:${e.action}`).sort();
    expect(zero).toEqual(['infobip:retry', 'oppo:ok', 'tencent:ok', 'vivo:ok', 'xiaomi:ok']);
  });
});
