/**
 * Infobip: errors are HTTP 4xx/5xx `{ requestError: { serviceException: { messageId, text } } }`
 * (or `policyException`); SDK errors carry `code` (numeric `0` is an error, "Something went wrong").
 * Success: HTTP 2xx, code "200".
 */
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

export function infobipBody(body: unknown, status: number | undefined): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const req = body.requestError;
  if (isObject(req)) {
    const ex = isObject(req.serviceException) ? req.serviceException : isObject(req.policyException) ? req.policyException : undefined;
    if (ex) return { code: codeOf(ex.messageId), text: str(ex.text) };
  }
  if (status === undefined || (status >= 200 && status < 300)) {
    const first = Array.isArray(body.messages) && isObject(body.messages[0]) ? body.messages[0] : undefined;
    return { code: '200', messageId: (first ? str(first.messageId) : undefined) ?? str(body.messageId) ?? str(body.bulkId) };
  }
  return undefined;
}
