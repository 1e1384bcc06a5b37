/**
 * Reads the seed documents (`../shared/seeds/*.txt` beside the repository) and extracts every code in
 * them, with the provider (and context) it belongs to. The codes come from parsing only; what this file
 * encodes is which table is which vendor (`../shared/reference/vendors.md` §1), never a list of codes.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderId } from '../../src/types.js';

export interface SeedCode {
  provider: ProviderId;
  code: string;
  /** `target` for Meizu's per-target `value` map keys; absent = top level. */
  context?: string;
  /** HTTP status the seed gives for the code (FCM and APNs tables keyed by status). */
  status?: number;
  /** Tencent client table, HMS Core client codes. */
  scope?: 'client';
  /** Seed file name. */
  file: string;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `../shared/seeds` next to the repository (CI layout); from a worktree nested deeper, the nearest
 * ancestor that has `shared/seeds`; `PUSHBACK_SEEDS_DIR` overrides. Throws when none exists.
 */
export function findSeedsDir(): string {
  const fromEnv = process.env['PUSHBACK_SEEDS_DIR'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PUSHBACK_SEEDS_DIR=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (let dir = dirname(REPO); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'seeds');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`seed documents not found: expected ${join(dirname(REPO), 'shared', 'seeds')} (or set PUSHBACK_SEEDS_DIR)`);
}

function seedFile(dir: string, prefix: string): { file: string; text: string } {
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.txt'));
  if (!file) throw new Error(`seed ${prefix}_*.txt missing in ${dir}`);
  return { file, text: readFileSync(join(dir, file), 'utf8') };
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim());
}

/** Seed 000: Infobip MobileMessaging "Server errors" (codes in the first column, `2, 4, 7` rows split). */
export function parseInfobip(file: string, text: string): SeedCode[] {
  const all = lines(text);
  const start = all.findIndex((l) => l.startsWith('Error code Error message'));
  if (start < 0) throw new Error(`${file}: no "Error code Error message" table`);
  const out: SeedCode[] = [];
  for (const line of all.slice(start)) {
    const named = /^([A-Z][A-Z0-9_]+)\s/.exec(line);
    const numbered = /^(\d+(?:\s*,\s*\d+)*)\s/.exec(line);
    const codes = named ? [named[1]!] : numbered ? numbered[1]!.split(',').map((c) => c.trim()) : [];
    for (const code of codes) out.push({ provider: 'infobip', code, file });
  }
  return out;
}

/** Seed 001: CometChat "Error Guide" (`CODE | description |`; section rows are mixed case). */
export function parseCometChat(file: string, text: string): SeedCode[] {
  const out: SeedCode[] = [];
  for (const line of lines(text)) {
    const m = /^([A-Z][A-Z0-9_]+) \|/.exec(line);
    if (m) out.push({ provider: 'cometchat', code: m[1]!, file });
  }
  return out;
}

/**
 * Seed 002: Tencent's error-code page. Tables start with `Error Code | Description |`; their order is
 * the vendor identification of vendors.md §1.
 */
export const SEED_002_TABLES = [
  { provider: 'tencent', kind: 'numeric' },
  { provider: 'tencent', kind: 'numeric', scope: 'client' },
  { provider: 'xiaomi', kind: 'numeric' },
  { provider: 'hms', kind: 'numeric' },
  { provider: 'oppo', kind: 'numeric' },
  { provider: 'vivo', kind: 'numeric' },
  { provider: 'meizu', kind: 'meizu' },
  { provider: 'honor', kind: 'numeric' },
  { provider: 'fcm', kind: 'status-name' },
  { provider: 'apns', kind: 'status-reason' },
] as const;

export function parseTencentPage(file: string, text: string): SeedCode[] {
  const tables: string[][] = [];
  for (const line of lines(text)) {
    if (line.startsWith('Error Code | Description |')) tables.push([]);
    else tables.at(-1)?.push(line);
  }
  if (tables.length !== SEED_002_TABLES.length) {
    throw new Error(`${file}: expected ${SEED_002_TABLES.length} "Error Code | Description |" tables, found ${tables.length}; re-check vendors.md §1`);
  }
  const out: SeedCode[] = [];
  tables.forEach((rows, i) => {
    const table = SEED_002_TABLES[i]!;
    const provider: ProviderId = table.provider;
    let status: number | undefined;
    let previous = -Infinity;
    let context: string | undefined;
    for (const row of rows) {
      if (table.kind === 'status-name') {
        // `400 | INVALID_ARGUMENT, possible reasons…` → entry INVALID_ARGUMENT with status 400.
        const m = /^(\d{3}) \| ([A-Z_]+)\b/.exec(row);
        if (m) out.push({ provider, code: m[2]!, status: Number(m[1]), file });
      } else if (table.kind === 'status-reason') {
        // `403 | BadCertificate: …` and `| BadCertificateEnvironment: …` (status carried down); `200 | Success.`
        const m = /^(\d{3})? ?\| ?(?:([A-Za-z]+):|Success)/.exec(row);
        if (!m) continue;
        if (m[1]) status = Number(m[1]);
        if (status === undefined) throw new Error(`${file}: APNs row without status: ${row}`);
        out.push({ provider, code: m[2] ?? String(status), status, file });
      } else {
        const m = /^(-?\d+) \|/.exec(row);
        if (!m) continue;
        const code = m[1]!;
        if (table.kind === 'meizu') {
          // The top-level codes ascend; the first code lower than its predecessor starts the per-target
          // `value` map keys (vendors.md §1, row 7: 201 … final 110010).
          if (Number(code) < previous) context = 'target';
          previous = Number(code);
        }
        // HMS mixes server codes with HMS Core client codes (-5, 6003, 6004, 9071xxxxx): vendors.md §3.
        const hmsClient = provider === 'hms' && (/^907\d{6}$/.test(code) || ['-5', '6003', '6004'].includes(code));
        const scope = 'scope' in table || hmsClient ? ('client' as const) : undefined;
        out.push({ provider, code, file, ...(context ? { context } : {}), ...(scope ? { scope } : {}) });
      }
    }
  });
  return out;
}

/** Seed 003: FCM error codes in Indonesian: the server table, then the Admin SDK `messaging/*` table. */
export function parseFcmPage(file: string, text: string): SeedCode[] {
  const all = lines(text);
  const admin = all.findIndex((l) => /^Kode error Admin SDK/i.test(l));
  if (admin < 0) throw new Error(`${file}: no "Kode error Admin SDK" section`);
  const serverStart = all.findIndex((l) => l.startsWith('Kode Error |'));
  if (serverStart < 0 || serverStart > admin) throw new Error(`${file}: no server "Kode Error |" table`);
  const out: SeedCode[] = [];
  for (const line of all.slice(serverStart + 1, admin)) {
    // `INVALID_ARGUMENT (Kode error HTTP = 400) …|`
    const m = /^([A-Z][A-Z_]*[A-Z]) (.*)\|$/.exec(line);
    if (!m) continue;
    const status = /kode error HTTP = (\d{3})/i.exec(m[2]!);
    out.push({ provider: 'fcm', code: m[1]!, file, ...(status ? { status: Number(status[1]) } : {}) });
  }
  for (const line of all.slice(admin)) {
    const m = /^(messaging\/[a-z0-9-]+)\s*\|/.exec(line);
    if (m) out.push({ provider: 'firebase-admin', code: m[1]!, file });
  }
  return out;
}

/** Every code of every seed, in file order. */
export function seedCodes(dir: string = findSeedsDir()): SeedCode[] {
  const parsers: [string, (file: string, text: string) => SeedCode[]][] = [
    ['000', parseInfobip],
    ['001', parseCometChat],
    ['002', parseTencentPage],
    ['003', parseFcmPage],
  ];
  return parsers.flatMap(([prefix, parse]) => {
    const { file, text } = seedFile(dir, prefix);
    return parse(file, text);
  });
}
