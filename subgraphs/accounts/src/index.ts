import { readFileSync } from 'node:fs';
import { sendJson, type Logger } from '@storefront/common';
import { startPrismaSubgraph, TRANSACTION_DEFAULTS, type RunningSubgraph, type SubgraphConfig } from '@storefront/prisma-tools';
import { hostedWorkers } from '@storefront/events';
import { parse } from 'graphql';
import { createAccessTokenIssuer, loadAccessTokenSettings, type AccessTokenSettings } from './access-tokens.ts';
import { MIGRATIONS_DIR, PrismaClient } from './database.ts';
import { createWorkers } from './workers.ts';
import { createLoaders } from './loaders.ts';
import { resolvers, type AccountsContext } from './resolvers.ts';

export { createAccessTokenIssuer, es256Signing, loadAccessTokenSettings } from './access-tokens.ts';
export type { AccessTokenIssuer, AccessTokenSettings, AccessTokenSigning } from './access-tokens.ts';
export { MIGRATIONS_DIR, PrismaClient } from './database.ts';
// Its background work (the outbox relay of UserRegistered), hosted by workers/ or the subgraph process.
export { createWorkers } from './workers.ts';

export const SUBGRAPH_NAME = 'accounts';
export const DEFAULT_PORT = 4001;
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

/** Where verifiers (the router, JWT_JWKS_URL) find the public keys of access tokens. */
export const JWKS_PATH = '/.well-known/jwks.json';

export interface AccountsOptions {
  /** How access tokens are signed; read from the environment (loadAccessTokenSettings) when absent. */
  accessTokens?: AccessTokenSettings;
}

export async function start(config: SubgraphConfig, logger?: Logger, options: AccountsOptions = {}): Promise<RunningSubgraph> {
  const tokens = createAccessTokenIssuer(options.accessTokens ?? (await loadAccessTokenSettings()));
  const jwks = JSON.stringify(tokens.jwks());
  return startPrismaSubgraph<PrismaClient, AccountsContext>(
    {
      name: SUBGRAPH_NAME,
      typeDefs,
      resolvers,
      migrationsDir: MIGRATIONS_DIR,
      createClient: (adapter) => new PrismaClient({ adapter, transactionOptions: TRANSACTION_DEFAULTS }),
      background: hostedWorkers(SUBGRAPH_NAME, createWorkers),
      context: (request, prisma) => ({ ...request, prisma, loaders: createLoaders(prisma), tokens }),
      routes: {
        [JWKS_PATH]: (_req, res) => {
          // Verifiers cache the key set; a rotation publishes the new key before signing with it.
          res.setHeader('cache-control', 'public, max-age=300');
          sendJson(res, 200, jwks);
        },
      },
    },
    config,
    logger,
  );
}
