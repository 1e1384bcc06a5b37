import { createHash } from 'node:crypto';

/**
 * Redaction: the only form in which device tokens and secrets leave pushback (logs, events, errors, CLI).
 * Hooks receive raw tokens; everything else calls these.
 */

/** A stable, irreversible short form of a device token: `tok:` + 10 hex chars of SHA-256. */
export function redactToken(token: string): string {
  return 'tok:' + createHash('sha256').update(String(token)).digest('hex').slice(0, 10);
}

const PEM = /-----BEGIN [A-Z ]*-----[\s\S]*?(?:-----END [A-Z ]*-----|$)/g;
const BEARER = /\b(bearer|basic|key=|authtoken[=:]?|access_token[=:]?|apikey[=:]?)\s*["']?[^\s"',;]+/gi;
const JWT = /\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*/g;
/** Long runs of token-ish characters: FCM tokens (152+), APNs hex (64), HMS/vivo/xiaomi ids (20+). */
const LONG = /[A-Za-z0-9_\-:+/=.]{20,}/g;

/**
 * Removes anything that may be a token, credential or key from free text (provider messages quoted in
 * reasons, error messages). Conservative: any run of 20+ token-like characters is replaced.
 */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = String(text);
  for (const s of knownSecrets) if (s && s.length >= 4) out = out.split(s).join(redactToken(s));
  return out
    .replace(PEM, '[redacted key]')
    .replace(BEARER, (_m, kind: string) => `${kind} [redacted]`)
    .replace(JWT, '[redacted jwt]')
    .replace(LONG, (m) => (/^tok:[0-9a-f]{10}$/.test(m) ? m : '[redacted]'));
}

/**
 * A redacted copy of an error (or any thrown value) for events: same `name`, message and stack passed
 * through `redactText` (with `knownSecrets`, e.g. the tokens a hook was given), the `cause` chain likewise
 * (3 levels), nothing else. Errors from user hooks and databases often quote the value they choked on
 * (`Key (token)=(…)`); the original stays with whoever threw it.
 */
export function redactError(err: unknown, context?: string, knownSecrets: readonly string[] = [], depth = 0): Error {
  const prefix = context ? `pushback: ${context}: ` : '';
  try {
    const src = err instanceof Error ? err : undefined;
    const text = redactText(src ? src.message : String(err), knownSecrets);
    const cause = src?.cause;
    const copy = new Error(prefix + text, cause !== undefined && depth < 3 ? { cause: redactError(cause, undefined, knownSecrets, depth + 1) } : undefined);
    if (src) {
      copy.name = String(src.name);
      if (typeof src.stack === 'string') copy.stack = redactText(src.stack, knownSecrets);
    }
    return copy;
  } catch {
    // Never throws itself: a value with no string form (a null-prototype object, a throwing getter).
    return new Error(`${prefix}[a value that cannot be printed]`);
  }
}
