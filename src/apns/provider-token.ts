/**
 * APNs provider tokens: ES256 JWTs signed with node:crypto, cached, regenerated on Apple's schedule.
 *
 * Apple: refresh no more than once every 20 minutes and no less than once every 60; `iat` older than an
 * hour answers 403 ExpiredProviderToken; a new token within 20 minutes answers 429
 * TooManyProviderTokenUpdates. No JWT library: the token is two base64url JSON objects and one
 * `crypto.sign` call, and ES256 needs the raw r||s signature (`dsaEncoding: 'ieee-p1363'`).
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { ApnsTokenKey } from './types.js';

export const MIN_TOKEN_AGE_MS = 20 * 60_000;
export const MAX_TOKEN_AGE_MS = 60 * 60_000;
export const DEFAULT_TOKEN_REFRESH_MS = 50 * 60_000;

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Signs one provider token. `iat` in seconds since the epoch. */
export function signProviderToken(key: KeyObject, keyId: string, teamId: string, iat: number): string {
  const data = `${b64url(JSON.stringify({ alg: 'ES256', kid: keyId }))}.${b64url(JSON.stringify({ iss: teamId, iat }))}`;
  const signature = sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  return `${data}.${signature.toString('base64url')}`;
}

export interface ProviderTokenOptions extends ApnsTokenKey {
  /** Regenerate after this long, ms; between 20 and 60 minutes. Default 50 minutes. */
  refreshMs?: number;
  now?: () => number;
}

/** The current token and its generation (a counter bumped at each regeneration). */
export interface CurrentToken {
  token: string;
  generation: number;
  issuedAt: number;
}

export class ProviderTokenCache {
  readonly keyId: string;
  readonly teamId: string;
  readonly #key: KeyObject;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #current: CurrentToken | undefined;
  /** Set when APNs called the current generation expired before Apple lets us replace it. */
  #staleGeneration = -1;

  constructor(opts: ProviderTokenOptions) {
    if (typeof opts.keyId !== 'string' || opts.keyId.length === 0) throw new TypeError('Expected `keyId` to be the APNs key ID.');
    if (typeof opts.teamId !== 'string' || opts.teamId.length === 0) throw new TypeError('Expected `teamId` to be the Apple team ID.');
    const refreshMs = opts.refreshMs ?? DEFAULT_TOKEN_REFRESH_MS;
    if (!(refreshMs >= MIN_TOKEN_AGE_MS && refreshMs < MAX_TOKEN_AGE_MS)) {
      throw new RangeError('Expected `refreshMs` between 20 minutes (TooManyProviderTokenUpdates) and 60 minutes (ExpiredProviderToken).');
    }
    this.keyId = opts.keyId;
    this.teamId = opts.teamId;
    this.#refreshMs = refreshMs;
    this.#now = opts.now ?? Date.now;
    try {
      this.#key = typeof opts.key === 'object' && 'asymmetricKeyType' in opts.key ? opts.key : createPrivateKey(opts.key as string | Buffer);
    } catch (err) {
      // Never echo the key material.
      throw new TypeError('Expected `key` to be the PEM text of an APNs .p8 key (EC P-256).', { cause: (err as Error)?.name });
    }
    if (this.#key.asymmetricKeyType !== 'ec') throw new TypeError('Expected `key` to be an EC (P-256) key: APNs accepts only ES256.');
  }

  /** The token to send now, regenerated when it reached `refreshMs` (or was reported expired and may be replaced). */
  current(): CurrentToken {
    const now = this.#now();
    const cur = this.#current;
    if (!cur) return this.#regenerate(now);
    const age = now - cur.issuedAt;
    if (age >= this.#refreshMs || (this.#staleGeneration === cur.generation && age >= MIN_TOKEN_AGE_MS)) return this.#regenerate(now);
    return cur;
  }

  /**
   * APNs answered ExpiredProviderToken to a request signed with `generation`. Regenerates at most once
   * per generation (concurrent failures of one generation share one regeneration), and never sooner than
   * 20 minutes after the previous token; a younger token is replaced as soon as that is allowed.
   * Returns whether a new token was made.
   */
  expired(generation: number): boolean {
    const cur = this.#current;
    if (!cur || cur.generation !== generation) return false;
    const now = this.#now();
    if (now - cur.issuedAt < MIN_TOKEN_AGE_MS) {
      this.#staleGeneration = generation;
      return false;
    }
    this.#regenerate(now);
    return true;
  }

  #regenerate(now: number): CurrentToken {
    const generation = (this.#current?.generation ?? 0) + 1;
    const token = signProviderToken(this.#key, this.keyId, this.teamId, Math.floor(now / 1000));
    this.#current = { token, generation, issuedAt: now };
    return this.#current;
  }
}
