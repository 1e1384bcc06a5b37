/**
 * OAuth access tokens for FCM from any `{ getAccessToken() }` credential: firebase-admin's credentials
 * (`{ access_token, expires_in }`), google-auth-library's `GoogleAuth` (a string) or `OAuth2Client`
 * (`{ token }`). Cached, refreshed before expiry, fetched once for concurrent callers, and replaced at most
 * once per generation after a 401.
 */

export type AccessTokenResult =
  | string
  | null
  | undefined
  | { access_token?: string | null; expires_in?: number | null; token?: string | null; expiry_date?: number | null; res?: unknown };

/** Anything with `getAccessToken()`: firebase-admin `Credential`, google-auth-library clients. */
export interface AccessTokenSource {
  getAccessToken(): Promise<AccessTokenResult> | AccessTokenResult;
}

export interface CurrentAccessToken {
  token: string;
  generation: number;
  /** ms since epoch after which it is refreshed before use. */
  refreshAt: number;
}

export interface AccessTokenCacheOptions {
  /** Refresh this long before the token expires, ms. Default 5 minutes. */
  marginMs?: number;
  /** How long to reuse a token whose lifetime is unknown (the source caches its own), ms. Default 5 minutes. */
  unknownLifetimeMs?: number;
  now?: () => number;
}

/** Reads the token and its lifetime from whatever the source returned. */
export function normalizeAccessToken(result: AccessTokenResult, now: number): { token: string; expiresAt?: number } {
  if (typeof result === 'string' && result.length > 0) return { token: result };
  if (result && typeof result === 'object') {
    const token = result.access_token ?? result.token;
    if (typeof token === 'string' && token.length > 0) {
      if (typeof result.expires_in === 'number' && result.expires_in > 0) return { token, expiresAt: now + result.expires_in * 1000 };
      if (typeof result.expiry_date === 'number' && result.expiry_date > now) return { token, expiresAt: result.expiry_date };
      return { token };
    }
  }
  throw new TypeError('getAccessToken() returned no access token (expected a string, { access_token } or { token }).');
}

export class AccessTokenCache {
  readonly #source: AccessTokenSource;
  readonly #margin: number;
  readonly #unknown: number;
  readonly #now: () => number;
  #current: CurrentAccessToken | undefined;
  #pending: Promise<CurrentAccessToken> | undefined;
  #generation = 0;

  constructor(source: AccessTokenSource, opts: AccessTokenCacheOptions = {}) {
    if (!source || typeof source.getAccessToken !== 'function') {
      throw new TypeError('Expected `credential` to have a getAccessToken() method (firebase-admin credential or google-auth-library client).');
    }
    this.#source = source;
    this.#margin = opts.marginMs ?? 5 * 60_000;
    this.#unknown = opts.unknownLifetimeMs ?? 5 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The token to use now; fetches a new one when there is none or it is due. */
  get(): Promise<CurrentAccessToken> | CurrentAccessToken {
    const cur = this.#current;
    if (cur && this.#now() < cur.refreshAt) return cur;
    return (this.#pending ??= this.#fetch());
  }

  /** A request signed with `generation` got 401: the next `get()` fetches a new token, once per generation. */
  invalidate(generation: number): boolean {
    if (!this.#current || this.#current.generation !== generation) return false;
    this.#current = undefined;
    return true;
  }

  async #fetch(): Promise<CurrentAccessToken> {
    try {
      const now = this.#now();
      const { token, expiresAt } = normalizeAccessToken(await this.#source.getAccessToken(), now);
      // Refresh `margin` before expiry, but never later than halfway through a short lifetime.
      const refreshAt = expiresAt === undefined ? now + this.#unknown : Math.max(now + (expiresAt - now) / 2, expiresAt - this.#margin);
      this.#current = { token, generation: ++this.#generation, refreshAt };
      return this.#current;
    } finally {
      this.#pending = undefined;
    }
  }
}
