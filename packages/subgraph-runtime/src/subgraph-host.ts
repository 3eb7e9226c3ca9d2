import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { serveSubgraphSubscriptions } from '@storefront/subscriptions';
import { envPort, httpProcessEnv } from '@storefront/config';
import {
  commonApolloOptions,
  jsonProbe,
  startGraphQLHttpServer,
  type IncomingRequest,
  type RequestContext,
  type RouteHandler,
  type RunningHttpServer,
} from '@storefront/http-host';
import { createInternalIdentityVerifier, routerTrustFromEnv, type TrustedSigner } from '@storefront/identity';
import { createMetricsRegistry, graphqlMetricsPlugin, type Logger, type Registry } from '@storefront/telemetry';
import type { DocumentNode } from 'graphql';
import { z } from 'zod';

export type { GraphQLResolverMap };

/**
 * A subgraph's resolver map as its author types it: Apollo's GraphQLResolverMap, or the `Resolvers` GraphQL Code
 * Generator writes from its SDL (src/generated/resolvers-types.ts, npm run codegen), whose __resolveReference
 * takes (reference, context, info) where Apollo's type expects a field resolver. buildSubgraphSchema reads either.
 */
export type SubgraphResolvers<Context> = GraphQLResolverMap<Context> | { readonly [typeName: string]: object | undefined };

export interface SubgraphHttpConfig {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Whose internal identity tokens /graphql accepts (the router's public key); anything else gets 401. */
  trustedSigners: readonly TrustedSigner[];
}

export interface SubgraphDefinition<Context extends RequestContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers<Context>;
  /** Builds the per-request context, typically fresh DataLoaders over the service's own database. */
  context(request: IncomingRequest): Context;
  /** Dependencies this process needs to serve traffic (its database); /ready answers 503 when it throws. */
  checkReady(): Promise<void>;
  /** Releases what the subgraph opened (database pools) after the HTTP server has drained. */
  release(): Promise<void>;
  /** Extra open routes beside /health and /ready (accounts publishes its JWKS). */
  routes?: Record<string, RouteHandler>;
  /** Open routes for every path under a prefix (orders serves signed downloads under /files/). */
  prefixRoutes?: Record<string, RouteHandler>;
  /** The process's Prometheus registry, served at /metrics (a new one when left out). */
  metrics?: Registry;
}

/**
 * Serves a federation subgraph over HTTP: /graphql, /health (the process is up) and /ready (its database
 * answers). Closing drains in-flight requests before releasing the database.
 */
export async function serveSubgraph<Context extends RequestContext>(
  definition: SubgraphDefinition<Context>,
  config: SubgraphHttpConfig,
  logger: Logger,
): Promise<RunningHttpServer> {
  const metrics = definition.metrics ?? createMetricsRegistry(definition.name);
  const apolloOptions = commonApolloOptions<Context>({ nodeEnv: config.nodeEnv, landingPage: false });
  // Resolver maps are typed by their context for authors; the builder itself is context-agnostic.
  const schema = buildSubgraphSchema({
    typeDefs: definition.typeDefs,
    resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
  });
  const apollo = new ApolloServer<Context>({
    schema,
    ...apolloOptions,
    plugins: [...(apolloOptions.plugins ?? []), graphqlMetricsPlugin<Context>(metrics)],
  });
  await apollo.start();
  const verifyIdentity = createInternalIdentityVerifier({ audience: definition.name, trustedSigners: config.trustedSigners });
  const http = await startGraphQLHttpServer<Context>(
    {
      apollo,
      logger,
      maxBodyBytes: config.maxBodyBytes,
      metrics,
      context: async (request) => definition.context(request),
      authenticate: async (req) => (await verifyIdentity(req.headers.authorization)).viewer,
      prefixRoutes: definition.prefixRoutes,
      routes: {
        ...definition.routes,
        '/health': jsonProbe(async () => ({ ok: true })),
        '/ready': jsonProbe(async () => {
          await definition.checkReady();
          return { ok: true };
        }),
      },
    },
    { port: config.port, host: config.host },
  );
  // Subscription fields are served over WebSocket on the same server and path (subgraph-subscriptions.ts).
  const subscriptions = schema.getSubscriptionType()
    ? serveSubgraphSubscriptions<Context>({ server: http.server, schema, verifyIdentity, context: definition.context, logger })
    : undefined;
  logger.info({ url: http.url }, `${definition.name} subgraph ready`);
  let closing: Promise<void> | undefined;
  return {
    ...http,
    close: () => {
      closing ??= Promise.resolve(subscriptions?.close())
        .then(() => http.close())
        .then(() => apollo.stop())
        .finally(() => definition.release());
      return closing;
    },
  };
}

/** The variables every subgraph process reads, with or without a database. */
export const subgraphProcessEnv = (defaultPort: number) => ({
  ...httpProcessEnv,
  PORT: envPort(defaultPort),
  ROUTER_IDENTITY_PUBLIC_KEY: z.string().min(1).optional(),
});

type SubgraphProcessEnv = z.output<z.ZodObject<ReturnType<typeof subgraphProcessEnv>>>;

/** The HTTP host and logging settings of a subgraph from its parsed environment (see subgraphProcessEnv). */
export function subgraphProcessConfig(name: string, parsed: SubgraphProcessEnv) {
  return {
    http: {
      nodeEnv: parsed.NODE_ENV,
      host: parsed.HOST,
      port: parsed.PORT,
      maxBodyBytes: parsed.MAX_BODY_BYTES,
      trustedSigners: routerTrustFromEnv(name, parsed.ROUTER_IDENTITY_PUBLIC_KEY, parsed.NODE_ENV),
    } satisfies SubgraphHttpConfig,
    logLevel: parsed.LOG_LEVEL as string,
    logFormat: parsed.LOG_FORMAT,
  };
}
