/*
 * Contender (a) of the router benchmark: a plain @apollo/gateway behind @apollo/server's standalone server,
 * with only what these subgraphs require to answer at all: the caller's access token verified, and the
 * router's signed internal identity on each subgraph call (router/src/auth). No caches beyond Apollo's
 * defaults, no limits, no progressive override, no authorization filtering (subgraphs still check the viewer).
 * Env: PORT, BENCH_SUPERGRAPH (file), SUBGRAPH_<NAME>_URL, NODE_ENV.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { RequestContext } from '@storefront/http-host';
import { createAccessTokenVerifier, createSubgraphIdentity, loadRouterAuthConfig } from '../router/src/auth/index.ts';
import { withRouterEnforcedSecurity } from '../router/src/authorization/index.ts';

const auth = loadRouterAuthConfig(process.env);
const authenticate = createAccessTokenVerifier(auth.accessTokens);
const authorizationFor = createSubgraphIdentity(auth.identityKey);

class SignedDataSource extends RemoteGraphQLDataSource<RequestContext> {
  constructor(
    url: string,
    private readonly audience: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RequestContext>): void {
    request.http?.headers.set('authorization', authorizationFor(this.audience, context as Partial<RequestContext>));
  }
}

const gateway = new ApolloGateway({
  // @apollo/gateway refuses supergraphs with SECURITY features it does not know (@authenticated, @policy, …);
  // this marks them as handled, as the router does, without enforcing them: the baseline authorizes nothing.
  supergraphSdl: withRouterEnforcedSecurity(readFileSync(process.env.BENCH_SUPERGRAPH ?? '', 'utf8')),
  buildService: ({ name, url }) => new SignedDataSource(process.env[`SUBGRAPH_${name.toUpperCase()}_URL`] ?? url ?? '', name),
});
const server = new ApolloServer<RequestContext>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 4600), host: '127.0.0.1' },
  context: async ({ req }) => {
    const requestId = randomUUID();
    const viewer = await authenticate(req.headers.authorization);
    // The subgraph identity signer reads requestId and viewer; the logger is unused on this path.
    return { requestId, viewer, logger: undefined as unknown as RequestContext['logger'] };
  },
});
process.stdout.write(`baseline gateway listening at ${url}\n`);
process.on('SIGTERM', () => {
  server.stop().finally(() => process.exit(0));
});
