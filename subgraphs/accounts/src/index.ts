import { readFileSync } from 'node:fs';
import { sendJson } from '@storefront/http-host';
import { createLogger, createMetricsRegistry, defaultLogFormat, type Logger } from '@storefront/telemetry';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { createAccessTokenIssuer, loadAccessTokenSettings, type AccessTokenSettings } from './access-tokens.ts';
import { clientAddressFrom } from './client-address.ts';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createWorkers } from './workers.ts';
import { createLoaders } from './loaders.ts';
import { loadLoginThrottleSettings, openLoginThrottle, type LoginThrottleSettings } from './login-throttle-settings.ts';
import { loadPasswordHashingSettings, openPasswordHasher, type PasswordHashingSettings } from './password-hashing.ts';
import { assertPrivacyCoversSchema } from './privacy.ts';
import { resolvers, type AccountsContext } from './resolvers.ts';

export { createAccessTokenIssuer, es256Signing, loadAccessTokenSettings } from './access-tokens.ts';
export type { AccessTokenIssuer, AccessTokenSettings, AccessTokenSigning } from './access-tokens.ts';
export { MIGRATIONS_DIR, PrismaClient } from './database.ts';
export { CLIENT_ADDRESS_HEADER } from './client-address.ts';
export { TOO_MANY_ATTEMPTS } from './login-throttle.ts';
export type { LoginThrottleSettings } from './login-throttle-settings.ts';
export type { PasswordHashingSettings } from './password-hashing.ts';
// Its background work (the outbox relay of UserRegistered), hosted by workers/ or the subgraph process.
export { createWorkers } from './workers.ts';

export const SUBGRAPH_NAME = 'accounts';
export const DEFAULT_PORT = 4001;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));
// A field added to User or Address must get a privacy rule before accounts serves it.
assertPrivacyCoversSchema(typeDefs);

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

export async function start(config: SubgraphConfig, logger?: Logger, options: AccountsOptions = {}): Promise<RunningSubgraph> {
  const log = logger ?? createLogger({ service: SUBGRAPH_NAME, level: config.logLevel, format: defaultLogFormat(config.http.nodeEnv, config.logFormat) });
  const tokens = createAccessTokenIssuer(options.accessTokens ?? (await loadAccessTokenSettings()));
  const jwks = JSON.stringify(tokens.jwks());
  const passwords = await openPasswordHasher(options.passwordHashing ?? loadPasswordHashingSettings());
  // Accounts' own metrics (the login throttle's) go on the registry the subgraph serves at /metrics.
  const metrics = createMetricsRegistry(SUBGRAPH_NAME);
  const loginThrottle = await openLoginThrottle(options.loginThrottle ?? loadLoginThrottleSettings(), log, metrics).catch(async (error: unknown) => {
    await passwords.close();
    throw error;
  });
  // Released once the server has drained, so no sign-in in flight loses its hash or its counters.
  const release = () => Promise.all([passwords.close(), loginThrottle.close()]).then(() => undefined);
  const running = await startPrismaSubgraph<PrismaClient, AccountsContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      metrics,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({
        ...request,
        prisma,
        loaders: createLoaders(prisma),
        tokens,
        passwords: passwords.hasher,
        loginThrottle,
        clientAddress: clientAddressFrom(request.headers),
      }),
      routes: {
        [JWKS_PATH]: (_req, res) => {
          // Verifiers cache the key set; a rotation publishes the new key before signing with it.
          res.setHeader('cache-control', 'public, max-age=300');
          sendJson(res, 200, jwks);
        },
      },
    },
    config,
    log,
  ).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return { ...running, close: () => (closing ??= running.close().finally(release)) };
}
