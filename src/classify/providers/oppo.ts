/** OPPO (HeyTap) Push: `{ code, message, data: { messageId } }`, `code` 0 on success, errors in the body. */
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

export function oppoBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.code);
  if (code === undefined) return undefined;
  const data = isObject(body.data) ? body.data : undefined;
  return { code, text: str(body.message), messageId: data ? (str(data.messageId) ?? str(data.message_id)) : undefined, okCode: '0' };
}
