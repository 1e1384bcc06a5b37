/**
 * vivo Push: HTTP 200 `{ result: 0, desc, taskId }`; a business error is `{ result: <code>, desc }`.
 * Batch replies carry `invalidUsers: [{ status, userid }]`, grouped here by `status`.
 */
import { codeOf, isObject, str, type Extraction, type TargetReport } from '../extraction.js';

export function vivoBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.result);
  if (code === undefined) return undefined;
  const ext: Extraction = { code, text: str(body.desc), messageId: str(body.taskId) ?? codeOf(body.taskId), okCode: '0' };
  const invalid = body.invalidUsers;
  if (Array.isArray(invalid) && invalid.length > 0) {
    const byStatus = new Map<string, string[]>();
    const n = Math.min(invalid.length, 10_000);
    for (let i = 0; i < n; i++) {
      const u = invalid[i];
      if (!isObject(u)) continue;
      const id = str(u.userid) ?? str(u.regId);
      if (id === undefined || id.length === 0) continue;
      const status = codeOf(u.status) ?? '';
      const list = byStatus.get(status);
      if (list) list.push(id);
      else byStatus.set(status, [id]);
    }
    const targets: TargetReport[] = [];
    for (const [status, ids] of byStatus) {
      targets.push({ ids, codes: status ? [status, 'invalidUsers'] : ['invalidUsers'], fallback: 'drop-token' });
    }
    if (targets.length > 0) ext.targets = targets;
  }
  return ext;
}
