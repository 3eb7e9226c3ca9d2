import { createPrivateKey, createPublicKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ConfigError } from '@storefront/config';
import { DEVELOPMENT_ROUTER_IDENTITY_KEYS } from './development-keys.ts';
import { isRole, type Viewer } from './viewer.ts';

/*
 * Zero trust between the router and the subgraphs. The router authenticates the client (an access token),
 * then vouches for the result on every subgraph call with a short-lived internal token: an Ed25519-signed JWT
 * whose audience is that one subgraph. Subgraphs hold only public keys and refuse any GraphQL request without
 * a valid token for their own name, so reaching a subgraph's port is not enough to act as someone.
 *
 * Signers are looked up by issuer, so another principal (a worker with its own key) can be trusted later by
 * adding a TrustedSigner; nothing else changes.
 */

/** The issuer of the tokens the router signs. */
export const ROUTER_IDENTITY_ISSUER = 'storefront-router';
/** The JWT `typ` of internal identity tokens, so a client's access token can never pass as one. */
export const INTERNAL_IDENTITY_TYPE = 'storefront-identity+jwt';
/**
 * The client's address on the router's calls to subgraphs (accounts' sign-in throttle counts by it). Only the
 * router sets it, with the address it resolved behind its trusted proxies; subgraphs answer only calls that
 * carry the router's signed identity, so no client can reach a subgraph with an address of its choosing.
 */
export const CLIENT_ADDRESS_HEADER = 'x-storefront-client-address';
/** Long enough for one request's subgraph calls; short enough that a leaked token is soon useless. */
export const INTERNAL_IDENTITY_TTL_SECONDS = 60;
/** Clocks of the processes may differ a little. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Why a request's internal identity was refused; the HTTP host answers 401 UNAUTHENTICATED with the message. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

export interface TrustedSigner {
  /** The `iss` the signer puts in its tokens. */
  issuer: string;
  publicKey: KeyObject;
}

/** What the token says about the request, besides who the viewer is. */
export interface InternalIdentity {
  viewer: Viewer | null;
  issuer: string;
  requestId: string | undefined;
}

/** An Ed25519 key from PEM (literal `\n` accepted, as env files often carry them) or a JWK in JSON. */
export function parseEd25519Key(text: string, kind: 'private' | 'public'): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith('{')) {
    const jwk = JSON.parse(trimmed) as JsonWebKey;
    if (kind === 'public' && jwk.d !== undefined) throw new Error('expected a public key, got a private JWK');
    key = kind === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
  } else {
    const pem = trimmed.replace(/\\n/g, '\n');
    if (kind === 'public' && pem.includes('PRIVATE KEY')) throw new Error('expected a public key, got a private key');
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  return key;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export interface InternalIdentitySignerOptions {
  privateKey: KeyObject;
  issuer?: string;
  ttlSeconds?: number;
}

/** Signs internal identity tokens. Node's own Ed25519 (several times faster than WebCrypto): one per subgraph call. */
export function createInternalIdentitySigner({ privateKey, issuer = ROUTER_IDENTITY_ISSUER, ttlSeconds = INTERNAL_IDENTITY_TTL_SECONDS }: InternalIdentitySignerOptions) {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('internal identity tokens are signed with an Ed25519 key');
  const header = base64url(JSON.stringify({ alg: 'EdDSA', typ: INTERNAL_IDENTITY_TYPE }));
  return {
    sign(audience: string, viewer: Viewer | null, requestId?: string, nowMs = Date.now()): string {
      const iat = Math.floor(nowMs / 1000);
      const claims: JWTPayload & { roles: readonly string[]; scope: string; rid?: string } = {
        iss: issuer,
        aud: audience,
        ...(viewer ? { sub: viewer.userId } : {}),
        roles: viewer?.roles ?? [],
        scope: viewer?.scopes.join(' ') ?? '',
        ...(requestId ? { rid: requestId } : {}),
        iat,
        exp: iat + ttlSeconds,
      };
      const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
      return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
    },
  };
}

export type InternalIdentitySigner = ReturnType<typeof createInternalIdentitySigner>;

const identityClaims = z.object({
  sub: z.uuid().optional(),
  roles: z.array(z.string()).default([]),
  scope: z.string().default(''),
  rid: z.string().optional(),
});

export interface InternalIdentityVerifierOptions {
  /** The subgraph's own name: a token minted for another subgraph is refused. */
  audience: string;
  trustedSigners: readonly TrustedSigner[];
}

/**
 * Verifies the `Authorization: Bearer <internal token>` of a request to a subgraph: EdDSA only, signed by a
 * trusted issuer's key, for this audience, unexpired, at most TTL + tolerance old.
 */
export function createInternalIdentityVerifier({ audience, trustedSigners }: InternalIdentityVerifierOptions) {
  const keys = new Map(trustedSigners.map((signer) => [signer.issuer, signer.publicKey]));
  return async function verify(authorization: string | undefined): Promise<InternalIdentity> {
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(authorization ?? '')?.[1];
    if (!token) throw new AuthenticationError('This service only answers requests the router signs (missing internal identity token)');
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AuthenticationError('Malformed internal identity token');
    }
    const key = issuer ? keys.get(issuer) : undefined;
    if (!issuer || !key) throw new AuthenticationError('Internal identity token from an untrusted issuer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        typ: INTERNAL_IDENTITY_TYPE,
        issuer,
        audience,
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: INTERNAL_IDENTITY_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw new AuthenticationError(`Invalid internal identity token: ${describeJoseError(error)}`);
    }
    const claims = identityClaims.safeParse(payload);
    if (!claims.success) throw new AuthenticationError('Internal identity token has malformed claims');
    const { sub, roles, scope, rid } = claims.data;
    const viewer = sub ? { userId: sub, roles: roles.filter(isRole), scopes: scope.split(' ').filter(Boolean) } : null;
    return { viewer, issuer, requestId: rid };
  };
}

export type InternalIdentityVerifier = ReturnType<typeof createInternalIdentityVerifier>;

/** A short reason for logs and clients that never echoes the token. */
export function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" is invalid (${error.reason})`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'signing algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key matches the token';
  if (error instanceof joseErrors.JOSEError) return error.code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', ' ');
  return 'malformed token';
}

/**
 * The router's public key for a subgraph, from ROUTER_IDENTITY_PUBLIC_KEY; the well-known development key
 * outside production (refused in production, where the variable is required).
 */
export function routerTrustFromEnv(service: string, value: string | undefined, nodeEnv: string): TrustedSigner[] {
  const production = nodeEnv === 'production';
  if (!value && production) throw new ConfigError(service, ['ROUTER_IDENTITY_PUBLIC_KEY: required when NODE_ENV=production']);
  let publicKey: KeyObject;
  try {
    publicKey = parseEd25519Key(value ?? DEVELOPMENT_ROUTER_IDENTITY_KEYS.publicKey, 'public');
  } catch (error) {
    throw new ConfigError(service, [`ROUTER_IDENTITY_PUBLIC_KEY: ${error instanceof Error ? error.message : String(error)}`]);
  }
  if (production && publicKey.equals(parseEd25519Key(DEVELOPMENT_ROUTER_IDENTITY_KEYS.publicKey, 'public'))) {
    throw new ConfigError(service, ['ROUTER_IDENTITY_PUBLIC_KEY: the development key is public and refused in production']);
  }
  return [{ issuer: ROUTER_IDENTITY_ISSUER, publicKey }];
}

/** The router's signing key from ROUTER_IDENTITY_PRIVATE_KEY, with the same development fallback and production rule. */
export function routerSigningKeyFromEnv(service: string, value: string | undefined, nodeEnv: string): KeyObject {
  const production = nodeEnv === 'production';
  if (!value && production) throw new ConfigError(service, ['ROUTER_IDENTITY_PRIVATE_KEY: required when NODE_ENV=production']);
  let privateKey: KeyObject;
  try {
    privateKey = parseEd25519Key(value ?? DEVELOPMENT_ROUTER_IDENTITY_KEYS.privateKey, 'private');
  } catch (error) {
    throw new ConfigError(service, [`ROUTER_IDENTITY_PRIVATE_KEY: ${error instanceof Error ? error.message : String(error)}`]);
  }
  if (production && createPublicKey(privateKey).equals(parseEd25519Key(DEVELOPMENT_ROUTER_IDENTITY_KEYS.publicKey, 'public'))) {
    throw new ConfigError(service, ['ROUTER_IDENTITY_PRIVATE_KEY: the development key is public and refused in production']);
  }
  return privateKey;
}
