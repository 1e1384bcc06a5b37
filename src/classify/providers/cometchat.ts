/** CometChat REST v3: errors `{ error: { code: "ERR_…", message, details } }` with HTTP 4xx/5xx; success HTTP 2xx, code "200". */
import { codeOf, isObject, str, type Extraction } from '../extraction.js';

export function cometchatBody(body: unknown, status: number | undefined): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const error = body.error;
  if (isObject(error)) return { code: codeOf(error.code), text: str(error.message) };
  if (status === undefined || (status >= 200 && status < 300)) {
    const data = isObject(body.data) ? body.data : undefined;
    return { code: '200', messageId: data ? (str(data.id) ?? codeOf(data.id)) : undefined };
  }
  return undefined;
}
