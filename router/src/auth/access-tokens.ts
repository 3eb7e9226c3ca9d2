import { createSecretKey } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, AuthenticationError, describeJoseError, isRole, type Viewer } from '@storefront/identity';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/*
 * Verifies the access tokens accounts issues (`Authorization: Bearer <jwt>`). A request without the header is
 * anonymous; a request with a header that does not verify is refused with 401, never downgraded to anonymous,
 * so a client notices an expired token instead of silently losing its identity.
 */

/** Where the keys come from: accounts' published JWKS (production) or the shared HS256 secret (development). */
export type AccessTokenKeys =
  | { kind: 'jwks-url'; url: URL }
  | { kind: 'jwks-file'; jwks: JSONWebKeySet }
  | { kind: 'secret'; secret: string };

export interface AccessTokenVerification {
  keys: AccessTokenKeys;
  issuer: string;
  audience: string;
  /** Tolerated difference between the router's clock and the issuer's, for exp/nbf/iat. */
  clockSkewSeconds: number;
}

/** Asymmetric algorithms accepted from a key set; HS256 only ever with a configured secret; `none` never. */
const JWKS_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'];

const accessClaims = z.object({
  sub: z.uuid(),
  roles: z.array(z.string()).default([]),
  scope: z.string().default(''),
});

/** Verified tokens are remembered (by their exact text) so a client's repeated requests cost one signature check. */
const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

export function createAccessTokenVerifier({ keys, issuer, audience, clockSkewSeconds }: AccessTokenVerification) {
  let key: JWTVerifyGetKey | ReturnType<typeof createSecretKey>;
  let algorithms: string[];
  switch (keys.kind) {
    case 'jwks-url':
      // jose caches the set, refetches on an unknown kid (rate-limited) and times out slow fetches.
      key = createRemoteJWKSet(keys.url, { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      algorithms = JWKS_ALGORITHMS;
      break;
    case 'jwks-file':
      key = createLocalJWKSet(keys.jwks);
      algorithms = JWKS_ALGORITHMS;
      break;
    case 'secret':
      key = createSecretKey(Buffer.from(keys.secret));
      algorithms = ['HS256'];
      break;
  }
  const cache = new Map<string, { viewer: Viewer; expiresAtMs: number; cachedUntilMs: number }>();

  async function verify(token: string): Promise<{ viewer: Viewer; expiresAtMs: number }> {
    const options = { algorithms, issuer, audience, typ: ACCESS_TOKEN_TYPE, clockTolerance: clockSkewSeconds, requiredClaims: ['exp', 'sub'] };
    let payload: unknown;
    try {
      // Two calls rather than one over a union: jose types the key-set and the plain-key overloads separately.
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw new AuthenticationError(`Invalid access token: ${describeJoseError(error)}`);
    }
    const claims = accessClaims.safeParse(payload);
    if (!claims.success) throw new AuthenticationError('Invalid access token: malformed claims');
    const { sub, roles, scope } = claims.data;
    const exp = (payload as { exp: number }).exp;
    return { viewer: { userId: sub, roles: roles.filter(isRole), scopes: scope.split(' ').filter(Boolean) }, expiresAtMs: exp * 1000 };
  }

  return async function authenticate(authorization: string | undefined): Promise<Viewer | null> {
    if (authorization === undefined || authorization === '') return null;
    const token = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(authorization.trim())?.[1];
    if (!token) throw new AuthenticationError('Malformed Authorization header: expected "Bearer <access token>"');
    const now = Date.now();
    const cached = cache.get(token);
    if (cached && now < cached.cachedUntilMs) {
      if (now <= cached.expiresAtMs + clockSkewSeconds * 1000) return cached.viewer;
      cache.delete(token);
      throw new AuthenticationError('Invalid access token: token expired');
    }
    const verified = await verify(token);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value ?? '');
    cache.set(token, { ...verified, cachedUntilMs: now + CACHE_TTL_MS });
    return verified.viewer;
  };
}

export type AccessTokenAuthenticator = ReturnType<typeof createAccessTokenVerifier>;
