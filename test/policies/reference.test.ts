/**
 * Codes the seeds lack but providers return, checked against their sources: the APNs reason table and
 * firebase-admin code lists in `../shared/reference`, and the firebase-admin SDK actually installed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { findSeedsDir } from './seed-tables.js';

const catalog = loadCatalog();
const reference = (name: string) => readFileSync(join(dirname(findSeedsDir()), 'reference', name), 'utf8');

describe('APNs reasons (apns.md §2.1, Apple\'s table)', () => {
  const rows = [...reference('apns.md').matchAll(/^\| (\d{3}) \| `([A-Za-z]+)` \|/gm)].map((m) => ({ status: Number(m[1]), reason: m[2]! }));

  it('parses all 32 of Apple\'s reasons', () => {
    expect(rows.length).toBe(32);
  });

  it('has every reason with Apple\'s status', () => {
    const wrong = rows.filter((r) => catalog.lookup('apns', r.reason)?.status !== r.status).map((r) => `${r.status} ${r.reason}`);
    expect(wrong).toEqual([]);
  });

  it('accepts both spellings of the environment-key reason, with one meaning', () => {
    const documented = catalog.lookup('apns', 'BadEnvironmentKeyIdInToken');
    const observed = catalog.lookup('apns', 'BadEnvironmentKeyInToken');
    expect(observed?.action).toBe(documented?.action);
    expect(observed?.status).toBe(documented?.status);
  });
});

describe('firebase-admin codes (fcm.md §4.2)', () => {
  const text = reference('fcm.md');
  const list = (heading: RegExp) => {
    const line = text.split('\n').find((l) => heading.test(l));
    if (!line) throw new Error(`fcm.md: no line matching ${heading}`);
    return line;
  };

  it('has the 19 v12/v13 codes', () => {
    const line = list(/v12\/v13, 19 codes/);
    const codes = /: `([^`]+)`/.exec(line)![1]!.split(',').map((c) => `messaging/${c.trim()}`);
    expect(codes.length).toBe(19);
    expect(codes.filter((c) => !catalog.lookup('firebase-admin', c))).toEqual([]);
  });

  it('has the two codes v14 adds and the app/* transport and credential codes', () => {
    const v14 = [...list(/v14, 21 codes/).matchAll(/adds `([a-z-]+)`.*?and `([a-z-]+)`/g)].flatMap((m) => [m[1]!, m[2]!]);
    expect(v14.length).toBe(2);
    const app = [...list(/FirebaseAppError/).matchAll(/`(app\/[a-z-]+)`/g)].map((m) => m[1]!);
    expect(app.length).toBe(3);
    const codes = [...v14.map((c) => `messaging/${c}`), ...app];
    expect(codes.filter((c) => !catalog.lookup('firebase-admin', c))).toEqual([]);
  });
});

describe('the installed firebase-admin SDK', () => {
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(require.resolve('firebase-admin')));
  const source = readFileSync(join(root, 'lib', 'utils', 'error.js'), 'utf8');
  const block = (start: string) => {
    const at = source.indexOf(start);
    if (at < 0) throw new Error(`firebase-admin lib/utils/error.js: "${start}" not found`);
    const end = source.indexOf('\n};', at);
    if (end < 0) throw new Error(`firebase-admin lib/utils/error.js: "${start}" is not closed`);
    return source.slice(at, end);
  };

  it('every MessagingClientErrorCode is a catalog entry', () => {
    const codes = [...source.matchAll(/MessagingClientErrorCode\.[A-Z_]+ = \{\s*code: '([a-z-]+)'/g)].map((m) => `messaging/${m[1]}`);
    expect(codes.length).toBeGreaterThanOrEqual(19);
    expect(codes.filter((c) => !catalog.lookup('firebase-admin', c))).toEqual([]);
  });

  it('every AppErrorCodes transport/credential code is a catalog entry', () => {
    const codes = [...source.matchAll(/AppErrorCodes\.(?:NETWORK_ERROR|NETWORK_TIMEOUT|INVALID_CREDENTIAL) = '([a-z-]+)'/g)].map((m) => `app/${m[1]}`);
    expect(codes.length).toBe(3);
    expect(codes.filter((c) => !catalog.lookup('firebase-admin', c))).toEqual([]);
  });

  it('every FCM v1 server code it maps is an fcm entry whose sdkCodes name the code it becomes', () => {
    const map = block('const MESSAGING_SERVER_TO_CLIENT_CODE = {');
    const clientCode = (key: string) => new RegExp(`MessagingClientErrorCode\\.${key} = \\{\\s*code: '([a-z-]+)'`).exec(source)?.[1];
    const pairs = [...map.matchAll(/^\s+([A-Z][A-Z_]+): '([A-Z_]+)',/gm)].map((m) => [m[1]!, `messaging/${clientCode(m[2]!)}`] as const);
    expect(pairs.length).toBeGreaterThanOrEqual(13);
    const wrong = pairs.filter(([server, sdk]) => !catalog.lookup('fcm', server)?.sdkCodes?.includes(sdk)).map(([s, c]) => `${s} → ${c}`);
    expect(wrong).toEqual([]);
  });
});
