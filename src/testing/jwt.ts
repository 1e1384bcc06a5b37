import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** An APNs signing key the fake server accepts (the `.p8` key's public half). */
export interface ApnsKey {
  /** 10-character Key ID (`kid`). */
  keyId: string;
  /** 10-character Team ID (`iss`); when set, tokens from another team are rejected. */
  teamId?: string;
  publicKey: KeyObject | string;
}

/** A generated key pair for tests: sign with `privateKey`, the server verifies with `publicKey`. */
export interface ApnsTestKey {
  keyId: string;
  teamId: string;
  /** PKCS#8 PEM, like the `.p8` file Apple gives you. */
  privateKey: string;
  publicKey: string;
}

/** A fresh P-256 key pair shaped like an APNs auth key. */
export function generateApnsKey(keyId = 'FAKEKEY001', teamId = 'FAKETEAM01'): ApnsTestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    keyId,
    teamId,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An APNs provider token (ES256 JWT, raw r||s signature), as a sender would make it. */
export function signApnsJwt(options: { keyId: string; teamId: string; privateKey: KeyObject | string; iat?: number }): string {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const input = `${b64url(JSON.stringify({ alg: 'ES256', kid: options.keyId }))}.${b64url(JSON.stringify({ iss: options.teamId, iat }))}`;
  const key = typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

export type JwtResult =
  | { ok: true; keyId: string; teamId: string; iat: number }
  | { ok: false; reason: 'MissingProviderToken' | 'InvalidProviderToken' | 'ExpiredProviderToken' };

const MAX_AGE_S = 3600;
const CACHE_LIMIT = 4096;

/**
 * Checks `authorization: bearer <jwt>` like APNs: ES256 only, a known `kid`, a valid raw (IEEE P1363)
 * signature, the key's team as `iss`, and `iat` no older than one hour. Signatures are verified once per
 * distinct token (a sender reuses one token for 20-60 minutes), so the success path stays cheap.
 */
export class ApnsJwtVerifier {
  private keys = new Map<string, { teamId: string | undefined; key: KeyObject }>();
  private verified = new Map<string, { keyId: string; teamId: string; iat: number }>();

  constructor(keys: readonly ApnsKey[]) {
    for (const k of keys) {
      const key = typeof k.publicKey === 'string' ? createPublicKey(k.publicKey) : k.publicKey;
      this.keys.set(k.keyId, { teamId: k.teamId, key });
    }
  }

  check(authorization: string | undefined, nowMs: number): JwtResult {
    if (!authorization) return { ok: false, reason: 'MissingProviderToken' };
    const m = /^bearer\s+(.+)$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'MissingProviderToken' };
    const jwt = m[1]!.trim();
    let claims = this.verified.get(jwt);
    if (!claims) {
      const parsed = this.verify(jwt);
      if (!parsed) return { ok: false, reason: 'InvalidProviderToken' };
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.set(jwt, (claims = parsed));
    }
    const age = nowMs / 1000 - claims.iat;
    if (age > MAX_AGE_S) return { ok: false, reason: 'ExpiredProviderToken' };
    // A token from the future (more than a minute of clock skew) is not valid either.
    if (age < -60) return { ok: false, reason: 'InvalidProviderToken' };
    return { ok: true, ...claims };
  }

  private verify(jwt: string): { keyId: string; teamId: string; iat: number } | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown; iat?: unknown };
      if (header.alg !== 'ES256' || typeof header.kid !== 'string') return undefined;
      if (typeof claims.iss !== 'string' || typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return undefined;
      const known = this.keys.get(header.kid);
      if (!known || (known.teamId !== undefined && known.teamId !== claims.iss)) return undefined;
      const signature = Buffer.from(parts[2]!, 'base64url');
      if (signature.length !== 64) return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: known.key, dsaEncoding: 'ieee-p1363' }, signature);
      return ok ? { keyId: header.kid, teamId: claims.iss, iat: claims.iat } : undefined;
    } catch {
      return undefined;
    }
  }
}
