import { createPrivateKey, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { ConfigError, envNodeEnv, loadConfig } from '@storefront/config';
import { ACCESS_TOKEN_DEFAULTS, ACCESS_TOKEN_TYPE, DEVELOPMENT_JWT_SECRET, scopesFor, type Role } from '@storefront/identity';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';

/*
 * Access tokens: short-lived JWTs the router verifies on every request. In production they are signed with
 * ES256 and the public key is published as a JWKS (GET /.well-known/jwks.json), so the router holds no secret;
 * in development an HS256 secret shared with the router keeps setup to nothing.
 */

export type AccessTokenSigning =
  | { algorithm: 'ES256'; privateKey: KeyObject; keyId: string; publicJwk: JWK }
  | { algorithm: 'HS256'; secret: KeyObject };

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  refreshTtlSeconds: number;
  signing: AccessTokenSigning;
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokenSubject {
  id: string;
  roles: readonly Role[];
}

export function createAccessTokenIssuer(settings: AccessTokenSettings) {
  const { signing } = settings;
  const key = signing.algorithm === 'ES256' ? signing.privateKey : signing.secret;
  return {
    settings,
    async issue(user: AccessTokenSubject, nowMs = Date.now()): Promise<IssuedAccessToken> {
      const iat = Math.floor(nowMs / 1000);
      const exp = iat + settings.ttlSeconds;
      const token = await new SignJWT({ roles: [...user.roles], scope: scopesFor(user.roles).join(' ') })
        .setProtectedHeader({ alg: signing.algorithm, typ: ACCESS_TOKEN_TYPE, ...(signing.algorithm === 'ES256' ? { kid: signing.keyId } : {}) })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(user.id)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    /** The public keys verifiers may use; empty for HS256, whose secret must never be published. */
    jwks(): { keys: JWK[] } {
      return { keys: signing.algorithm === 'ES256' ? [signing.publicJwk] : [] };
    },
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;

/** An ES256 signing key from a PEM (PKCS#8, literal `\n` accepted) or a private JWK in JSON. */
export async function es256Signing(text: string, keyId?: string): Promise<AccessTokenSigning> {
  const trimmed = text.trim();
  const privateKey = trimmed.startsWith('{')
    ? createPrivateKey({ key: JSON.parse(trimmed) as JWK & { kty: string }, format: 'jwk' })
    : createPrivateKey(trimmed.replace(/\\n/g, '\n'));
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('expected an EC P-256 private key for ES256');
  }
  const exported = await exportJWK(createPublicKey(privateKey));
  const kid = keyId ?? (await calculateJwkThumbprint(exported));
  return { algorithm: 'ES256', privateKey, keyId: kid, publicJwk: { ...exported, kid, alg: 'ES256', use: 'sig' } };
}

/**
 * Reads accounts' token settings: JWT_PRIVATE_KEY (ES256, PEM or JWK; required in production) and JWT_KEY_ID,
 * or JWT_SECRET (HS256, ≥ 32 characters; development default, refused in production); JWT_ISSUER,
 * JWT_AUDIENCE, ACCESS_TOKEN_TTL_SECONDS (900), REFRESH_TOKEN_TTL_SECONDS (30 days).
 */
export async function loadAccessTokenSettings(env: NodeJS.ProcessEnv = process.env): Promise<AccessTokenSettings> {
  const schema = z.object({
    NODE_ENV: envNodeEnv,
    JWT_ISSUER: z.string().min(1).default(ACCESS_TOKEN_DEFAULTS.issuer),
    JWT_AUDIENCE: z.string().min(1).default(ACCESS_TOKEN_DEFAULTS.audience),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(31_536_000).default(30 * 86_400),
    JWT_PRIVATE_KEY: z.string().min(1).optional(),
    JWT_KEY_ID: z.string().min(1).optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  });
  const parsed = loadConfig('accounts', schema, env);
  const production = parsed.NODE_ENV === 'production';
  let signing: AccessTokenSigning;
  if (parsed.JWT_PRIVATE_KEY) {
    try {
      signing = await es256Signing(parsed.JWT_PRIVATE_KEY, parsed.JWT_KEY_ID);
    } catch (error) {
      throw new ConfigError('accounts', [`JWT_PRIVATE_KEY: ${error instanceof Error ? error.message : String(error)}`]);
    }
  } else if (production) {
    throw new ConfigError('accounts', ['JWT_PRIVATE_KEY: required when NODE_ENV=production (HS256 secrets are for development)']);
  } else {
    signing = { algorithm: 'HS256', secret: createSecretKey(Buffer.from(parsed.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET)) };
  }
  return {
    issuer: parsed.JWT_ISSUER,
    audience: parsed.JWT_AUDIENCE,
    ttlSeconds: parsed.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: parsed.REFRESH_TOKEN_TTL_SECONDS,
    signing,
  };
}
