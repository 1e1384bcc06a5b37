/**
 * Huawei Push Kit: `{ code: "80000000", msg, requestId }`, `code` a string, errors inside HTTP 200.
 * 80100000 (partial success): `msg` is a JSON string `{ success, failure, illegal_tokens: [...] }`.
 */
import { parseEmbedded } from '../body.js';
import { codeOf, idList, isObject, str, type Extraction } from '../extraction.js';

export function hmsBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.code);
  if (code === undefined) return undefined;
  const text = str(body.msg) ?? str(body.message);
  const ext: Extraction = { code, text, messageId: str(body.requestId), okCode: '80000000' };
  if (code === '80100000' || code === '80300007') {
    const detail = isObject(body.msg) ? body.msg : parseEmbedded(body.msg);
    const ids = isObject(detail) ? idList(detail.illegal_tokens) : [];
    if (ids.length > 0) {
      ext.targets = [{ ids, codes: [code, 'illegal_tokens'], fallback: 'drop-token' }];
      ext.text = undefined; // the embedded JSON lists tokens: never quote it
    }
  }
  return ext;
}
