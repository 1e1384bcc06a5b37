import type { Outcome } from '../types.js';
import { redactText } from '../redact.js';

/**
 * The error a wrapped call reports when firebase-admin gave none to pass on: no request was made
 * (open fatal circuit, expired before the first attempt, aborted) or the call itself was invalid.
 * It satisfies firebase-admin's `FirebaseError` (`code`, `message`, `toJSON()`), so code that reads
 * `response.error.code` keeps working. When firebase-admin did produce an error, that error is passed
 * on unchanged instead (with the pushback outcome attached as a non-enumerable `outcome`).
 */
export class PushbackMessagingError extends Error {
  override readonly name = 'PushbackMessagingError';
  readonly code: string;
  /** Non-enumerable: it holds the message and its raw token, which loggers and `util.inspect` must not print. */
  declare readonly outcome?: Outcome<unknown>;

  constructor(code: string, message: string, outcome?: Outcome<unknown>) {
    super(redactText(message));
    this.code = code;
    if (outcome) attachOutcome(this, outcome);
  }

  toJSON(): object {
    return { code: this.code, message: this.message, ...(this.outcome ? { outcome: this.outcome.outcome } : {}) };
  }
}

/** firebase-admin's own errors (and anything shaped like them). */
export function isFirebaseErrorLike(e: unknown): e is { code: string; message: string; toJSON(): object } {
  return !!e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { message?: unknown }).message === 'string';
}

function attachOutcome(error: object, outcome: Outcome<unknown>): void {
  Object.defineProperty(error, 'outcome', { value: outcome, enumerable: false, configurable: true, writable: true });
}

/**
 * The error a failed outcome is reported with: the last SDK error if there was one, else a synthesized one.
 * An SDK error shared by several messages (one error for a whole call) is reported to each of them as its
 * own copy (same prototype and fields), so each `error.outcome` is that message's.
 */
export function errorForOutcome(lastError: unknown, outcome: Outcome<unknown>): { code: string; message: string; toJSON(): object; stack?: string } {
  if (isFirebaseErrorLike(lastError)) {
    if (typeof lastError.toJSON !== 'function') {
      return new PushbackMessagingError(lastError.code, lastError.message, outcome);
    }
    if (!Object.isExtensible(lastError)) return lastError;
    let error: typeof lastError = lastError;
    if (Object.prototype.hasOwnProperty.call(lastError, 'outcome')) {
      // Another message's already: a real Error (for structuredClone, util.types.isNativeError) with the
      // original's prototype and fields, given this message's outcome.
      error = Object.defineProperties(Object.setPrototypeOf(new Error(), Object.getPrototypeOf(lastError)), Object.getOwnPropertyDescriptors(lastError)) as typeof lastError;
    }
    attachOutcome(error, outcome);
    return error;
  }
  const last = outcome.verdicts[outcome.verdicts.length - 1];
  const code = last && /^(messaging|app)\//.test(last.code) ? last.code : `pushback/${outcome.outcome}`;
  const reason = last?.reason ?? `no request was made (${outcome.outcome})`;
  return new PushbackMessagingError(code, `${outcome.outcome}: ${reason}`, outcome);
}
