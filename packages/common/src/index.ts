export { commonApolloOptions, maskUnexpectedErrors, MAX_QUERY_TOKENS, refuseNulInQueries } from './apollo.ts';
export type { RequestContext } from './apollo.ts';
export { ConfigError, envBoolean, envLogLevel, envNodeEnv, envPort, httpProcessEnv, loadConfig } from './config.ts';
export { envRedisClusterNodes, type RedisClusterNode } from './redis-cluster-nodes.ts';
export { ANY_ORIGIN, CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, isSerializedOrigin } from './cors.ts';
export type { CorsOptions } from './cors.ts';
export { DeadlineExceededError, withDeadline } from './deadline.ts';
export { badUserInput, ErrorCode, httpErrorBody, serviceUnavailable } from './errors.ts';
export { GRAPHQL_PATH, METRICS_PATH, jsonProbe, requestIdFrom, sendJson, startGraphQLHttpServer } from './http-host.ts';
export type { GraphQLHttpHostOptions, HttpRefusal, IncomingRequest, RouteHandler, RunningHttpServer } from './http-host.ts';
export { isUuid, nameBasedUuid } from './ids.ts';
export { createLogger, defaultLogFormat, REDACTED_PATHS } from './logger.ts';
export type { Logger, LoggerOptions } from './logger.ts';
export { runMain } from './main.ts';
export type { Stoppable } from './main.ts';
export { DEFAULT_PAGE_LIMITS, decodeCursor, encodeCursor, parsePage, toConnection } from './pagination.ts';
export type { Connection, Edge, Page, PageArgs, PageLimits } from './pagination.ts';
export { envPrefix, listSubgraphs, REPO_ROOT, subgraphPackage } from './workspace.ts';
export type { SubgraphPackage } from './workspace.ts';
export {
  GIFT_CARD_AMOUNTS_CENTS,
  randomFor,
  SEED_DEMO_PASSWORD,
  SEED_PLANS,
  SEED_TIMELINE,
  SEED_WAREHOUSES,
  seedAddresses,
  seedGiftCard,
  seededRandom,
  seedInStock,
  SeedNamespace,
  seedOrder,
  seedOrders,
  seedProduct,
  seedStockAvailable,
  seedUser,
  seedWarehouse,
} from './seed.ts';
export type { SeedAddress, SeedCancelReason, SeedOrder, SeedOrderItem, SeedOrderStatus, SeedPlan, SeedProductFacts, SeedScale, SeedUser, ShippingClass } from './seed.ts';
export { ratingFor, REVIEW_PROBABILITY, reviewsSeed, type ReviewsSeed, type SeedAuthor, type SeedPurchase, type SeedRatingSummary, type SeedReview } from './seed-reviews.ts';
export { serveSubgraph, subgraphProcessConfig, subgraphProcessEnv } from './subgraph.ts';
export type { GraphQLResolverMap, SubgraphDefinition, SubgraphHttpConfig } from './subgraph.ts';
export { DateTimeScalar } from './scalars.ts';
export { orderByKeys, pagedRelationLoader, uniqueLoader } from './batching.ts';
export { isAdmin, isRole, requireAdmin, requireOwnerOrAdmin, requireViewer, ROLES, SCOPES_BY_ROLE, scopesFor, viewerKey, viewerWithRoles } from './viewer.ts';
export {
  AuthenticationError,
  CLIENT_ADDRESS_HEADER,
  createInternalIdentitySigner,
  createInternalIdentityVerifier,
  describeJoseError,
  INTERNAL_IDENTITY_TTL_SECONDS,
  INTERNAL_IDENTITY_TYPE,
  parseEd25519Key,
  ROUTER_IDENTITY_ISSUER,
  routerSigningKeyFromEnv,
  routerTrustFromEnv,
} from './internal-identity.ts';
export type { InternalIdentity, InternalIdentitySigner, InternalIdentityVerifier, TrustedSigner } from './internal-identity.ts';
export { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_ROUTER_IDENTITY_KEYS } from './development-keys.ts';
export { ACCESS_TOKEN_DEFAULTS, ACCESS_TOKEN_TYPE } from './access-token.ts';
export type { Role, Viewer } from './viewer.ts';
export { idempotencyKeySchema, inputError, InputErrorCode, requestFingerprint, validateInput } from './input-errors.ts';
export type { InputError, Validated } from './input-errors.ts';
export { containsNul, escapeLikeWildcards, hasControlCharacters, multiLineText, pathsOfStrings, singleLineText } from './text-input.ts';
export type { TextRules } from './text-input.ts';
export { startOpsServer } from './ops-server.ts';
export type { OpsServerOptions, RunningOpsServer } from './ops-server.ts';
export {
  activeTraceId,
  contextFromTraceparent,
  InTraceOnlyTracer,
  newTraceId,
  recordSpanError,
  registerTracing,
  shutdownTelemetry,
  startInMemoryTracing,
  startTelemetry,
  storefrontTracer,
  traceIdFromTraceparent,
  traceparentOf,
  tracesExportersFromEnv,
  tracingEnabled,
  untracedTraceparent,
  withSpan,
} from './telemetry/index.ts';
export type { Telemetry } from './telemetry/index.ts';
export { boundedLabel, Counter, createHttpMetrics, createMetricsRegistry, Gauge, graphqlMetricsPlugin, LATENCY_BUCKETS, metricsHandler, Registry, registerPoolMetrics } from './metrics/index.ts';
export type { HttpMetrics, PoolStats } from './metrics/index.ts';
export { fileSigningFromEnv, signUrl, verifySignedUrl } from './signed-urls.ts';
export type { FileSigningConfig, SignedUrlCheck, SignedUrlParts } from './signed-urls.ts';
export { waitFor } from './wait-for.ts';
export { AsyncQueue } from './async-queue.ts';
export { IDENTITY_REFUSED, serveSubgraphSubscriptions } from './subgraph-subscriptions.ts';
export type { SubgraphSubscriptions, SubgraphSubscriptionsOptions } from './subgraph-subscriptions.ts';
export { NotifyToRedisBridge, TopicHub } from './change-feed.ts';
export type { NotifyToRedisBridgeOptions, RedisTopics, TopicHubOptions } from './change-feed.ts';
