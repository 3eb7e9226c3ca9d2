import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { ConfigError, envNodeEnv, loadConfig } from '@storefront/config';
import { ACCESS_TOKEN_DEFAULTS, DEVELOPMENT_JWT_SECRET, routerSigningKeyFromEnv } from '@storefront/identity';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { AccessTokenKeys, AccessTokenVerification } from './access-tokens.ts';

export interface RouterAuthConfig {
  accessTokens: AccessTokenVerification;
  /** Signs the internal identity token of every subgraph call (ROUTER_IDENTITY_PRIVATE_KEY). */
  identityKey: KeyObject;
}

/**
 * Reads the router's authentication settings. Access tokens are verified with exactly one of JWT_JWKS_URL,
 * JWT_JWKS_FILE or JWT_SECRET (HS256); outside production the development secret is the default, and in
 * production HS256 with that secret (or no key source at all) is refused. JWT_ISSUER and JWT_AUDIENCE must
 * match what accounts issues; JWT_CLOCK_SKEW_SECONDS (default 30) tolerates clock drift.
 */
export function loadRouterAuthConfig(env: NodeJS.ProcessEnv): RouterAuthConfig {
  const schema = z.object({
    NODE_ENV: envNodeEnv,
    JWT_ISSUER: z.string().min(1).default(ACCESS_TOKEN_DEFAULTS.issuer),
    JWT_AUDIENCE: z.string().min(1).default(ACCESS_TOKEN_DEFAULTS.audience),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    JWT_JWKS_FILE: z.string().min(1).optional(),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    ROUTER_IDENTITY_PRIVATE_KEY: z.string().min(1).optional(),
  });
  const parsed = loadConfig('router', schema, env);
  const production = parsed.NODE_ENV === 'production';
  const sources = [parsed.JWT_JWKS_URL && 'JWT_JWKS_URL', parsed.JWT_JWKS_FILE && 'JWT_JWKS_FILE', parsed.JWT_SECRET && 'JWT_SECRET'].filter(Boolean);
  if (sources.length > 1) throw new ConfigError('router', [`${sources.join(', ')}: set only one source of access-token keys`]);
  let keys: AccessTokenKeys;
  if (parsed.JWT_JWKS_URL) {
    keys = { kind: 'jwks-url', url: new URL(parsed.JWT_JWKS_URL) };
  } else if (parsed.JWT_JWKS_FILE) {
    keys = { kind: 'jwks-file', jwks: readJwksFile(parsed.JWT_JWKS_FILE) };
  } else if (parsed.JWT_SECRET && !(production && parsed.JWT_SECRET === DEVELOPMENT_JWT_SECRET)) {
    keys = { kind: 'secret', secret: parsed.JWT_SECRET };
  } else if (production) {
    throw new ConfigError('router', ['JWT_JWKS_URL: required when NODE_ENV=production (or JWT_JWKS_FILE, or a JWT_SECRET of your own)']);
  } else {
    keys = { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET };
  }
  return {
    accessTokens: { keys, issuer: parsed.JWT_ISSUER, audience: parsed.JWT_AUDIENCE, clockSkewSeconds: parsed.JWT_CLOCK_SKEW_SECONDS },
    identityKey: routerSigningKeyFromEnv('router', parsed.ROUTER_IDENTITY_PRIVATE_KEY, parsed.NODE_ENV),
  };
}

function readJwksFile(file: string): JSONWebKeySet {
  try {
    const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('no keys');
    return jwks;
  } catch (error) {
    throw new ConfigError('router', [`JWT_JWKS_FILE: cannot use ${file} (${error instanceof Error ? error.message : String(error)})`]);
  }
}
