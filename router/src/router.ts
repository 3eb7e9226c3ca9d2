import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  commonApolloOptions,
  createLogger,
  defaultLogFormat,
  jsonProbe,
  startGraphQLHttpServer,
  type Logger,
  type RequestContext,
  type RunningHttpServer,
} from '@storefront/common';
import type { RouterConfig } from './config.ts';
import { withProgressiveOverride } from './progressive-override.ts';
import { fetchWithTimeout, SubgraphDataSource } from './subgraph-data-source.ts';
import { supergraphFromFile } from './supergraph-file.ts';

export interface RunningRouter extends RunningHttpServer {
  /** True once a supergraph is loaded and queries can be planned. */
  isLoaded(): boolean;
}

/**
 * The router: @apollo/gateway planning queries over whatever supergraph file it is given, behind the shared
 * HTTP host. It listens at once; /graphql and /health answer 503 until a valid supergraph is loaded.
 */
export async function startRouter(config: RouterConfig, logger?: Logger): Promise<RunningRouter> {
  const log = logger ?? createLogger({ service: 'router', level: config.logLevel, format: defaultLogFormat(config.nodeEnv, config.logFormat) });
  const fetcher = fetchWithTimeout(config.subgraphTimeoutMs);
  let loaded = false;
  let closing: Promise<void> | undefined;

  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath, { logger: log }),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name.toLowerCase()] ?? url;
      if (!target) throw new Error(`Subgraph ${name} has no routing URL; set SUBGRAPH_${name.toUpperCase()}_URL`);
      return new SubgraphDataSource({ url: target, fetcher });
    },
    logger: log,
  });
  gateway.onSchemaLoadOrUpdate(() => {
    loaded = true;
  });

  const apollo = new ApolloServer<RequestContext>({
    gateway: withProgressiveOverride(gateway, { enabledLabels: new Set(config.overrideLabels) }),
    ...commonApolloOptions<RequestContext>({ nodeEnv: config.nodeEnv, landingPage: true }),
  });
  // Starting completes when the first supergraph loads, which may be long after we listen.
  apollo.start().catch((error: unknown) => log.fatal({ err: error }, 'router failed to start'));

  const http = await startGraphQLHttpServer<RequestContext>(
    {
      apollo,
      logger: log,
      maxBodyBytes: config.maxBodyBytes,
      context: async ({ requestId, logger: requestLogger, viewer }) => ({ requestId, logger: requestLogger, viewer }),
      acceptingGraphQL: () => loaded,
      routes: {
        '/health': jsonProbe(async () => ({ ok: loaded && !closing, details: { supergraph: loaded ? 'loaded' : 'not loaded' } })),
      },
    },
    { port: config.port, host: config.host },
  );
  log.info({ url: http.url, supergraph: config.supergraphPath }, 'router listening');

  return {
    ...http,
    isLoaded: () => loaded,
    close: () => {
      // Stopping Apollo before its first load completes would wait for a supergraph that may never come.
      closing ??= http.close().then(() => (loaded ? apollo.stop() : gateway.stop()));
      return closing;
    },
  };
}
