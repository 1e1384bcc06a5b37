/**
 * Honor Push: `{ code: 200, message, data: { sendResult, requestId, failTokens, expireTokens } }`
 * (`code` a number; the Huawei-style endpoint answers `"80000000"`). Failed targets are listed in
 * `data.failTokens` (not said to be dead) and `data.expireTokens` (expired).
 */
import { codeOf, idList, isObject, str, type Extraction, type TargetReport } from '../extraction.js';

export function honorBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.code);
  if (code === undefined) return undefined;
  const data = isObject(body.data) ? body.data : undefined;
  const ext: Extraction = {
    code,
    text: str(body.message) ?? str(body.msg),
    messageId: data ? str(data.requestId) : undefined,
    okCode: code === '80000000' ? '80000000' : '200',
  };
  if (data) {
    const targets: TargetReport[] = [];
    const expired = idList(data.expireTokens);
    if (expired.length > 0) targets.push({ ids: expired, codes: ['expireTokens'], fallback: 'drop-token' });
    const failed = idList(data.failTokens);
    if (failed.length > 0) targets.push({ ids: failed, codes: ['failTokens', '80100000'], fallback: 'retry' });
    if (targets.length > 0) ext.targets = targets;
  }
  return ext;
}
