import { sendJson } from '@storefront/http-host';
import { defineSubgraph, type SubgraphScope } from '@storefront/subgraph-runtime';
import { createAccessTokenIssuer, loadAccessTokenSettings, type AccessTokenSettings } from './access-tokens.ts';
import { clientAddressFrom } from './client-address.ts';
import * as database from './database.ts';
import type { PrismaClient } from './database.ts';
import { createLoaders } from './loaders.ts';
import { loadLoginThrottleSettings, openLoginThrottle, type LoginThrottleSettings } from './login-throttle-settings.ts';
import { loadPasswordHashingSettings, openPasswordHasher, type PasswordHashingSettings } from './password-hashing.ts';
import { assertPrivacyCoversSchema } from './privacy.ts';
import { resolvers } from './resolvers.ts';
import { createWorkers } from './workers.ts';

export { createAccessTokenIssuer, es256Signing, loadAccessTokenSettings } from './access-tokens.ts';
export type { AccessTokenIssuer, AccessTokenSettings, AccessTokenSigning } from './access-tokens.ts';
export { MIGRATIONS_DIR, PrismaClient } from './database.ts';
export { CLIENT_ADDRESS_HEADER } from './client-address.ts';
export { TOO_MANY_ATTEMPTS } from './login-throttle.ts';
export type { LoginThrottleSettings } from './login-throttle-settings.ts';
export type { PasswordHashingSettings } from './password-hashing.ts';
// Its background work (the outbox relay of UserRegistered), hosted by workers/ or the subgraph process.
export { createWorkers } from './workers.ts';

/** Where verifiers (the router, JWT_JWKS_URL) find the public keys of access tokens. */
export const JWKS_PATH = '/.well-known/jwks.json';

export interface AccountsOptions {
  /** How access tokens are signed; read from the environment (loadAccessTokenSettings) when absent. */
  accessTokens?: AccessTokenSettings;
  /** Where and how sign-in attempts are counted; read from the environment (loadLoginThrottleSettings) when absent. */
  loginThrottle?: LoginThrottleSettings;
  /** Where argon2id runs; worker threads sized from the environment (loadPasswordHashingSettings) when absent. */
  passwordHashing?: PasswordHashingSettings;
}

async function openAccounts({ log, metrics, options, closes }: SubgraphScope<PrismaClient, AccountsOptions>) {
  const tokens = createAccessTokenIssuer(options.accessTokens ?? (await loadAccessTokenSettings()));
  // Closed once the server has drained, so no sign-in in flight loses its hash or its counters.
  const passwords = closes(await openPasswordHasher(options.passwordHashing ?? loadPasswordHashingSettings()));
  // The login throttle's metrics go on the registry the subgraph serves at /metrics.
  const loginThrottle = closes(await openLoginThrottle(options.loginThrottle ?? loadLoginThrottleSettings(), log, metrics));
  return { tokens, jwks: JSON.stringify(tokens.jwks()), passwords: passwords.hasher, loginThrottle };
}

export const accounts = defineSubgraph({
  entry: import.meta.url,
  database,
  resolvers,
  // A field added to User or Address must get a privacy rule before accounts serves it.
  checkSchema: assertPrivacyCoversSchema,
  workers: createWorkers,
  open: openAccounts,
  context: (request, prisma, { tokens, passwords, loginThrottle }) => ({
    ...request,
    prisma,
    loaders: createLoaders(prisma),
    tokens,
    passwords,
    loginThrottle,
    clientAddress: clientAddressFrom(request.headers),
  }),
  routes: (_prisma, { jwks }) => ({
    [JWKS_PATH]: (_req, res) => {
      // Verifiers cache the key set; a rotation publishes the new key before signing with it.
      res.setHeader('cache-control', 'public, max-age=300');
      sendJson(res, 200, jwks);
    },
  }),
});

export const { name: SUBGRAPH_NAME, port: DEFAULT_PORT, typeDefs, start } = accounts;
