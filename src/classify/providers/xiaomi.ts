/**
 * Xiaomi MiPush: HTTP 200 `{ result: "ok"|"error", code, description, reason, data: { id, bad_regids } }`.
 * `data.bad_regids` is a comma-separated string of failed regIds, even when `code` is 0.
 */
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

export function xiaomiBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.code) ?? (body.result === 'ok' ? '0' : undefined);
  if (code === undefined) return undefined;
  const data = isObject(body.data) ? body.data : undefined;
  const ext: Extraction = { code, text: str(body.reason) ?? str(body.description), messageId: data ? str(data.id) : undefined, okCode: '0' };
  const bad = data ? data.bad_regids : undefined;
  if (typeof bad === 'string' && bad.length > 0) {
    const ids = splitIds(bad);
    if (ids.length > 0) ext.targets = [{ ids, codes: ['bad_regids'], fallback: 'drop-token' }];
  } else if (Array.isArray(bad)) {
    const ids = bad.filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (ids.length > 0) ext.targets = [{ ids, codes: ['bad_regids'], fallback: 'drop-token' }];
  }
  return ext;
}

function splitIds(s: string): string[] {
  const out: string[] = [];
  const capped = s.length > 1_048_576 ? s.slice(0, 1_048_576) : s;
  for (const part of capped.split(',')) {
    const id = part.trim();
    if (id.length > 0) out.push(id);
  }
  return out;
}
