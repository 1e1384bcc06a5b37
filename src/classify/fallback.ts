/**
 * What to do when the catalog does not know the code: decide by HTTP status class, like every HTTP client
 * does (429, 408 and 5xx are transient; 401/403 are credential problems that repeat for every message;
 * other 4xx mean this request is wrong). Verdicts from here are `known: false`.
 */
import type { Action, ProviderId } from '../types.js';
import { CODE_IN_BODY, SUCCESS_CODES } from './providers/index.js';
import { safeCode } from './sanitize.js';

export interface Fallback {
  code: string;
  action: Action;
  reason: string;
  maybeDelivered?: boolean;
}

export function actionForStatus(status: number): Action {
  if (status === 429 || status === 408 || status >= 500) return 'retry';
  if (status === 401 || status === 403) return 'fatal';
  if (status >= 200 && status < 300) return 'ok';
  return 'fix-request';
}

const WHY: Readonly<Record<Action, string>> = {
  ok: 'success',
  retry: 'transient (retried with backoff)',
  'drop-token': 'dead token',
  'fix-request': 'the request is wrong (not retried, token kept)',
  fatal: 'a credential or account problem (not retried)',
};

/** `code`: the provider's unrecognised code, if the response carried one. */
export function fallback(provider: ProviderId, code: string | undefined, status: number | undefined, tooLarge: boolean): Fallback {
  const isError = status !== undefined && (status < 200 || status >= 300);
  if (isError) {
    const action = actionForStatus(status);
    const shown = code !== undefined ? safeCode(code) : `HTTP_${status}`;
    const what = code !== undefined ? `${named(provider, shown)} with HTTP ${status}` : `HTTP ${status} without a code from ${provider}`;
    return { code: shown, action, reason: `${what}: ${WHY[action]}, by HTTP status class.` };
  }
  if (code !== undefined) {
    const shown = safeCode(code);
    return {
      code: shown,
      action: 'fix-request',
      reason: `${named(provider, shown)}${status !== undefined ? ` in an HTTP ${status} reply` : ''}: treated conservatively as fix-request (not retried, token kept).`,
    };
  }
  if (status !== undefined) {
    if (CODE_IN_BODY.has(provider)) {
      return {
        code: 'UNKNOWN',
        action: 'retry',
        maybeDelivered: true,
        reason: `HTTP ${status} without a readable result code from ${provider}${tooLarge ? ' (body too large to read)' : ''}: retried; it may have been delivered.`,
      };
    }
    return { code: SUCCESS_CODES[provider][0] ?? String(status), action: 'ok', reason: `HTTP ${status}: accepted.` };
  }
  return { code: 'UNKNOWN', action: 'retry', maybeDelivered: true, reason: `No status and no ${provider} code: treated as transient; it may have been delivered.` };
}

function named(provider: ProviderId, shown: string): string {
  return shown === 'UNKNOWN' ? `An unreadable ${provider} code` : `Unknown ${provider} code ${shown}`;
}
