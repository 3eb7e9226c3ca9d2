export { commonApolloOptions, maskUnexpectedErrors, MAX_QUERY_TOKENS } from './apollo.ts';
export type { RequestContext } from './apollo.ts';
export { ConfigError, envBoolean, envLogLevel, envNodeEnv, envPort, httpProcessEnv, loadConfig } from './config.ts';
export { badUserInput, ErrorCode, httpErrorBody } from './errors.ts';
export { GRAPHQL_PATH, jsonProbe, requestIdFrom, sendJson, startGraphQLHttpServer } from './http-host.ts';
export type { GraphQLHttpHostOptions, IncomingRequest, RouteHandler, RunningHttpServer } from './http-host.ts';
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
export { serveSubgraph } from './subgraph.ts';
export type { GraphQLResolverMap, SubgraphDefinition, SubgraphHttpConfig } from './subgraph.ts';
export { DateTimeScalar } from './scalars.ts';
export { orderByKeys, pagedRelationLoader, uniqueLoader } from './batching.ts';
export { isAdmin, requireAdmin, requireOwnerOrAdmin, requireViewer, VIEWER_HEADERS, viewerFromHeaders, viewerHeaders } from './viewer.ts';
export type { Role, Viewer } from './viewer.ts';
export { idempotencyKeySchema, inputError, InputErrorCode, requestFingerprint, validateInput } from './input-errors.ts';
export type { InputError, Validated } from './input-errors.ts';
