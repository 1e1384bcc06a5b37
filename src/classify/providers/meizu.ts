/**
 * Meizu Flyme Push: `{ code: "200", message, value: { "<code>": [pushId...] }, msgId }`, `code` a string.
 * The `value` map lists failed targets by code, read with context `target`: 110010 there is a pushId
 * with its switch off, while a top-level 110010 is the app's request rate (context `top`).
 */
import { codeOf, idList, isObject, str, type Extraction, type TargetReport } from '../extraction.js';

export function meizuBody(body: unknown): Extraction | undefined {
  if (!isObject(body)) return undefined;
  const code = codeOf(body.code);
  if (code === undefined) return undefined;
  const ext: Extraction = { code, text: str(body.message), messageId: str(body.msgId), okCode: '200' };
  const value = body.value;
  if (isObject(value) && !Array.isArray(value)) {
    const targets: TargetReport[] = [];
    const keys = Object.keys(value);
    for (let i = 0; i < Math.min(keys.length, 64); i++) {
      const key = keys[i]!;
      const ids = idList(value[key]);
      if (ids.length > 0) targets.push({ ids, codes: [key], fallback: 'retry' });
    }
    if (targets.length > 0) ext.targets = targets;
  }
  return ext;
}
