import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { commonApolloOptions, jsonProbe, requestIdFrom, startGraphQLHttpServer, type IncomingRequest, type RequestContext, type RunningHttpServer } from '@storefront/http-host';
import { createLogger, createMetricsRegistry, defaultLogFormat, graphqlMetricsPlugin, newTraceId, traceIdFromTraceparent, type Logger } from '@storefront/telemetry';
import { createAccessTokenVerifier, createSubgraphIdentity, loadRouterAuthConfig } from './auth/index.ts';
import { withAuthorization } from './authorization/index.ts';
import { CACHING_OFF, setUpCaching, type CacheCounters } from './cache/index.ts';
import type { RouterConfig } from './config.ts';
import { defaultCorsOrigins } from './cors-config.ts';
import { FILES_PREFIX, forwardFiles } from './files/index.ts';
import { acceptsIncremental, DEFAULT_SUBGRAPH_HTTP, FederationEngine, SubgraphCaller, SubgraphHttp, type EngineRequestContext } from './execution/index.ts';
import { createRouterMetrics } from './metrics.ts';
import { setUpProtection } from './protection/index.ts';
import { clientIp } from './protection/rate-limit.ts';
import { createSessionRoutes } from './session/index.ts';
import { setUpSubscriptions } from './subscriptions/index.ts';
import { countingFetches, SubgraphFetches, subgraphFetchesOf, type RouterRequestContext } from './subgraph-fetches.ts';
import { supergraphFromFile } from './supergraph-file.ts';

export interface RunningRouter extends RunningHttpServer {
  /** True once a supergraph is loaded and queries can be planned. */
  isLoaded(): boolean;
  /** Hit/miss/error counters of each cache (router/src/cache), by cache name. */
  cacheStats(): Record<string, CacheCounters>;
}

/**
 * The router: @apollo/gateway planning queries over whatever supergraph file it is given, behind the shared
 * HTTP host. It listens at once; /graphql and /ready answer 503 until a valid supergraph is loaded; /health
 * only says the process is alive; /metrics is Prometheus.
 */
export async function startRouter(config: RouterConfig, logger?: Logger): Promise<RunningRouter> {
  const log = logger ?? createLogger({ service: 'router', level: config.logLevel, format: defaultLogFormat(config.nodeEnv, config.logFormat) });
  let loaded = false;
  let closing: Promise<void> | undefined;
  // Without auth settings (tests of the generic gateway) the development keys apply; production refuses that.
  const auth = config.auth ?? loadRouterAuthConfig({ NODE_ENV: config.nodeEnv });
  const authenticate = createAccessTokenVerifier(auth.accessTokens);
  const authorizationFor = createSubgraphIdentity(auth.identityKey);
  const caching = setUpCaching(config.cache ?? CACHING_OFF, log);
  const protection = setUpProtection(config.protection, log);
  const metrics = createMetricsRegistry('router');
  const routerMetrics = createRouterMetrics(metrics, () => ({ ...caching.stats(), ...protection.stats() }));
  // Where each subgraph is served, as the gateway routes to it: /files/<subgraph>/… goes to the same origin.
  const subgraphTargets = new Map<string, string>();
  // Loaded only when on: bull-board, express, BullMQ and the operations subgraph's queue admin are tens of
  // megabytes a router without the dashboard has no use for.
  const queueDashboard = config.queueDashboard
    ? (await import('./admin/queue-dashboard.ts')).createQueueDashboard({
        queues: config.queueDashboard.queues,
        authenticate,
        secureCookies: config.nodeEnv === 'production',
        logger: log,
      })
    : undefined;

  // @apollo/gateway loads, validates and watches the supergraph; its planner plans (with @defer on). It never
  // calls a subgraph: the router's engine (router/src/execution) runs every plan.
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath, { logger: log }),
    buildService: ({ name, url }) => {
      const target = config.subgraphUrls[name.toLowerCase()] ?? url;
      if (target) subgraphTargets.set(name.toLowerCase(), target);
      return { process: () => Promise.reject(new Error('the router executes plans itself')) };
    },
    logger: log,
    queryPlannerConfig: { incrementalDelivery: { enableDefer: true } },
  });
  const timeoutOf = (subgraph: string) => config.subgraphTimeouts?.[subgraph] ?? config.subgraphTimeoutMs;
  // The pools' own timeouts are only a ceiling: each call is cut at its subgraph's deadline by its signal.
  const longestTimeoutMs = Math.max(config.subgraphTimeoutMs, ...Object.values(config.subgraphTimeouts ?? {}));
  const subgraphHttp = new SubgraphHttp({ ...DEFAULT_SUBGRAPH_HTTP, timeoutMs: longestTimeoutMs });
  const caller = new SubgraphCaller({
    http: subgraphHttp,
    identity: countingFetches(authorizationFor),
    breakers: protection.breakers,
    metrics: routerMetrics,
    entityCache: caching.entityCache,
    deduplicateFetches: config.deduplication?.subgraphFetches ?? false,
    timeoutMs: timeoutOf,
  });
  const engine = new FederationEngine({
    gateway,
    caller,
    subgraphUrls: config.subgraphUrls,
    planStore: caching.queryPlanStore,
    preparedEntries: config.cache?.queryPlanLruEntries ?? 1_000,
    enabledOverrideLabels: new Set(config.overrideLabels),
    deduplicateOperations: config.deduplication?.operations ?? false,
    metrics: routerMetrics,
    logger: log,
  });
  caching.attach(engine, new Set(config.overrideLabels));
  protection.attach(engine);
  engine.onSchemaLoadOrUpdate(() => {
    loaded = true;
  });
  const trustedHops = config.protection?.trustedProxyHops ?? config.protection?.rateLimit?.trustedProxyHops ?? 0;
  // Subscriptions over WebSocket at /graphql (router/src/subscriptions): made now to follow every supergraph load.
  const subscriptions = setUpSubscriptions({
    engine,
    caller,
    identity: countingFetches(authorizationFor),
    subgraphUrls: config.subgraphUrls,
    authenticate,
    clientAddress: (req) => clientIp(req, trustedHops),
    contextOf: (req, viewer) => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      const traceId = traceIdFromTraceparent(req.headers.traceparent) ?? newTraceId();
      return {
        requestId,
        traceId,
        viewer,
        logger: log.child({ requestId, traceId, transport: 'ws' }),
        subgraphFetches: new SubgraphFetches(),
        clientAddress: clientIp(req, trustedHops),
      };
    },
    registry: metrics,
    // Subscriptions run only what queries would: the same safelist, persisted queries and depth/cost limits.
    acceptance: { safelist: caching.safelist, persistedQueries: caching.persistedQueries || undefined, checkLimits: protection.checkLimits },
    limits: config.subscriptions,
    logger: log.child({ role: 'subscriptions' }),
  });

  const apolloOptions = commonApolloOptions<RequestContext>({ nodeEnv: config.nodeEnv, landingPage: true });
  const apollo = new ApolloServer<RequestContext>({
    // Authorization filters each operation first; the engine plans (with progressive override) and runs what is left.
    gateway: withAuthorization(engine, { logger: log }),
    ...apolloOptions,
    plugins: [...(apolloOptions.plugins ?? []), graphqlMetricsPlugin<RequestContext>(metrics), protection.plugin, ...caching.plugins],
    persistedQueries: caching.persistedQueries,
    // Apollo's default, stated because it matters: refuses simple (non-preflighted) cross-site requests.
    csrfPrevention: true,
  });
  // Starting completes when the first supergraph loads, which may be long after we listen.
  apollo.start().catch((error: unknown) => log.fatal({ err: error }, 'router failed to start'));

  const trustedProxyHops = config.protection?.trustedProxyHops ?? config.protection?.rateLimit?.trustedProxyHops ?? 0;
  const contextOf = async ({ requestId, traceId, logger: requestLogger, viewer, headers, remoteAddress }: IncomingRequest): Promise<RouterRequestContext> => ({
    // traceId rides along for the subgraph calls; the Accept header says whether @defer may stream.
    requestId,
    traceId,
    logger: requestLogger,
    viewer,
    acceptsIncremental: acceptsIncremental(headers.accept),
    delivery: {},
    subgraphFetches: new SubgraphFetches(),
    ...(config.requestTimeoutMs ? { deadline: Date.now() + config.requestTimeoutMs } : {}),
    // Resolved behind the trusted proxies like the rate limit's; accounts' sign-in throttle counts by it.
    clientAddress: clientIp({ headers, socket: { remoteAddress } }, trustedProxyHops),
  });
  // The browser's sign-in, refresh and sign-out: the refresh token lives in an HttpOnly cookie (router/src/session).
  const sessionRoutes = createSessionRoutes({
    execute: async (operation, request) => {
      const response = await apollo.executeOperation(operation, { contextValue: await contextOf({ ...request, headers: {} }) });
      return { status: response.http.status ?? 200, result: response.body.kind === 'single' ? response.body.singleResult : { errors: [] } };
    },
    admit: routerMetrics.countRefusals(protection.admit),
    secureCookies: config.nodeEnv === 'production',
    logger: log,
  });

  const http = await startGraphQLHttpServer<RequestContext>(
    {
      apollo,
      logger: log,
      maxBodyBytes: config.maxBodyBytes,
      metrics,
      cors: config.cors ?? { allowedOrigins: defaultCorsOrigins(config.nodeEnv) },
      context: contextOf,
      // The request's log line names the subgraphs it called: { subgraphs: { catalog: 1, inventory: 2 } }.
      requestLogFields: (context) => {
        const fetches = subgraphFetchesOf(context);
        return fetches ? { subgraphs: fetches.toJSON() } : {};
      },
      incrementalDelivery: (context) => (context as EngineRequestContext).delivery?.incremental,
      // Subscriptions over SSE and multipart HTTP; WebSocket upgrades are handled beside the host.
      takeOver: subscriptions.takeOver,
      acceptingGraphQL: () => loaded,
      authenticate: (req) => authenticate(req.headers.authorization),
      admit: routerMetrics.countRefusals(protection.admit),
      prefixRoutes: {
        [FILES_PREFIX]: forwardFiles({
          subgraphUrl: (name) => subgraphTargets.get(name),
          maxBodyBytes: config.filesMaxBodyBytes ?? 100 * 1024 * 1024,
          idleTimeoutMs: config.subgraphTimeoutMs,
          logger: log,
        }),
        ...queueDashboard?.prefixRoutes,
      },
      routes: {
        ...queueDashboard?.routes,
        ...sessionRoutes,
        // Alive: the process answers. Restarting it would not load a supergraph any sooner.
        '/health': jsonProbe(async () => ({ ok: true })),
        /*
         * Ready to take traffic: a supergraph is loaded, the safelist's plans are made (the first time only: a
         * later supergraph re-warms while serving, so a rollout never takes every replica out at once), and we
         * are not shutting down. Redis is reported, not required: caches and rate limits fail open, and taking
         * every replica out of rotation during a Redis outage would turn a slower router into no router.
         */
        '/ready': jsonProbe(async () => {
          const redis = [caching.redisReady(), protection.redisReady()].filter((up) => up !== undefined);
          const plans = caching.planWarmth();
          return {
            ok: loaded && plans !== 'warming' && !closing,
            details: {
              supergraph: loaded ? 'loaded' : 'not loaded',
              ...(plans ? { queryPlans: plans } : {}),
              ...(redis.length ? { redis: redis.every(Boolean) ? 'up' : 'down' } : {}),
              ...(closing ? { closing: true } : {}),
            },
          };
        }),
      },
    },
    { port: config.port, host: config.host },
  );
  subscriptions.listen(http.server);
  log.info({ url: http.url, supergraph: config.supergraphPath }, 'router listening');

  return {
    ...http,
    isLoaded: () => loaded,
    cacheStats: () => caching.stats(),
    close: () => {
      // Stopping Apollo before its first load completes would wait for a supergraph that may never come.
      // Subscriptions first: each ends with a reason instead of being cut off by the server closing.
      closing ??= subscriptions
        .close()
        .then(() => http.close())
        .then(() => (loaded ? apollo.stop() : gateway.stop()))
        .finally(() => Promise.all([caching.close(), protection.close(), queueDashboard?.close(), subgraphHttp.close()]));
      return closing;
    },
  };
}
