/**
 * Making provider-supplied strings safe to put in a verdict. Only used off the hot path (unknown codes,
 * quoted provider text): known codes come from the catalog and need no checking.
 */
import { redactText } from '../redact.js';

const MAX_CODE = 64;
const MAX_QUOTE = 200;

/**
 * An unknown provider code kept as is when it looks like a code, else `UNKNOWN`. Codes are short names
 * (`BadDeviceToken`, `ERR_UID_NOT_FOUND`, `messaging/foo`) or numbers of at most 12 digits; device tokens
 * are long and digit-rich (Meizu pushIds, vivo regIds), or contain `:`, `+`, `=` (FCM, Xiaomi).
 */
export function safeCode(code: string): string {
  if (code.length === 0 || code.length > MAX_CODE) return 'UNKNOWN';
  let digits = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 45 || c === 46 || c === 47)) return 'UNKNOWN';
  }
  if (digits > 12 || (code.length >= 20 && digits > 4)) return 'UNKNOWN';
  return code;
}

/** Provider text quoted in a reason: capped, one line, redacted. */
export function quote(text: string | undefined): string {
  if (text === undefined || text.length === 0) return '';
  const short = text.length > MAX_QUOTE * 4 ? text.slice(0, MAX_QUOTE * 4) : text;
  let clean = redactText(short.replace(/\s+/g, ' ').trim());
  if (clean.length > MAX_QUOTE) clean = clean.slice(0, MAX_QUOTE) + '…';
  return clean;
}
