/** Tencent Cloud Chat Push (TIMPush REST): HTTP 200 `{ ActionStatus: "OK"|"FAIL", ErrorCode, ErrorInfo, TaskId }`; `ErrorCode` 0 is success. */
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

export function tencentBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.ErrorCode) ?? (body.ActionStatus === 'OK' ? '0' : undefined);
  if (code === undefined) return undefined;
  return { code, text: str(body.ErrorInfo), messageId: str(body.TaskId), okCode: '0' };
}
