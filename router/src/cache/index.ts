import type { FederationEngine } from '../execution/index.ts';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import type { RequestContext } from '@storefront/http-host';
import type { Viewer } from '@storefront/identity';
import type { Logger } from '@storefront/telemetry';
import { overrideLabelsOf, overrideVariants } from '../progressive-override.ts';
import type { CacheConfig } from './config.ts';
import { EntityCache } from './entity-cache.ts';
import { SharedQueryPlanCache, type QueryPlanStore } from './query-plan-cache.ts';
import { RedisConnection, RedisKeyValueCache } from './redis.ts';
import { loadSafelist, safelistPersistedQueries, safelistPlugin, type Safelist } from './safelist.ts';
import { CacheStats, type CacheCounters } from './stats.ts';

export { CACHING_OFF, cacheConfigFrom, cacheEnv, type CacheConfig } from './config.ts';
export type { CacheCounters } from './stats.ts';
export { isSafelisted, notInSafelistError, type Safelist } from './safelist.ts';
export { ENTITY_INVALIDATION_CHANNEL, type EntityRef } from './entity-cache.ts';

/** Everything about a caller that access decisions read, as cache key data. */
function accessProfile(viewer: Viewer | null): { signedIn: boolean; roles: string[]; scopes: string[] | null } {
  // Tokens may carry scopes of their own; older identities only have roles.
  const scopes: unknown = (viewer as { scopes?: unknown } | null)?.scopes;
  return {
    signedIn: viewer !== null,
    roles: [...(viewer?.roles ?? [])].sort(),
    scopes: Array.isArray(scopes) ? scopes.map(String).sort() : null,
  };
}

/** The hooks `startRouter` plugs in; each is inert when its cache is off. */
export interface RouterCaching {
  /** The gateway's query plan store (`queryPlannerConfig.cache`), when plans are cached. */
  queryPlanStore: QueryPlanStore | undefined;
  /** Apollo Server's `persistedQueries` option (undefined keeps Apollo's default in-memory APQ). */
  persistedQueries: ApolloServerOptions<RequestContext>['persistedQueries'];
  plugins: ApolloServerPlugin<RequestContext>[];
  /** The operations the router runs, when SAFELIST_PATH is set (subscriptions check it as queries do). */
  safelist: Safelist | undefined;
  /** The entity cache, for the subgraph data sources. */
  entityCache: EntityCache | undefined;
  /** Call once with the engine, before it loads; `overrideLabels` are the labels the router turns on. */
  attach(engine: FederationEngine, overrideLabels: ReadonlySet<string>): void;
  stats(): Record<string, CacheCounters>;
  /** Whether the caches' Redis connection is up; undefined when no cache uses Redis. */
  redisReady(): boolean | undefined;
  /**
   * Whether the safelist's plans are made: 'warming' until the first warm-up after the first supergraph has
   * finished, 'warm' after; undefined without a safelist or plan cache.
   */
  planWarmth(): 'warming' | 'warm' | undefined;
  close(): Promise<void>;
}

/**
 * How long the first warm-up waits for Redis to answer (a cluster client discovers its slots first): plans
 * another replica made are read instead of planned again, and this replica's are shared. Without Redis by then
 * it warms its own memory and says ready; the router is not ready until the warm-up is done either way.
 */
const WARMING_WAITS_FOR_REDIS_MS = 3_000;

/**
 * Builds the router's caches from configuration, all over one Redis connection, all failing open. With every
 * cache off and no safelist nothing is created (no Redis connection) and the router works as it always did.
 */
export function setUpCaching(config: CacheConfig, logger: Logger): RouterCaching {
  const stats = new CacheStats();
  const safelist: Safelist | undefined = config.safelistPath ? loadSafelist(config.safelistPath) : undefined;
  const needsRedis = config.apq || config.queryPlans || config.responses || config.entities;
  const redis = needsRedis
    ? new RedisConnection({ url: config.redisUrl, clusterNodes: config.redisClusterNodes, keyPrefix: config.keyPrefix, commandTimeoutMs: config.redisCommandTimeoutMs, logger, stats })
    : undefined;

  const plugins: ApolloServerPlugin<RequestContext>[] = [];
  if (safelist) plugins.push(safelistPlugin(safelist, stats));

  let persistedQueries: RouterCaching['persistedQueries'];
  if (safelist) persistedQueries = { cache: safelistPersistedQueries(safelist, stats) };
  else if (config.apq && redis) persistedQueries = { cache: new RedisKeyValueCache(redis, 'apq', stats), ttl: config.apqTtlSeconds || null };

  const queryPlanStore =
    config.queryPlans && redis ? new SharedQueryPlanCache(redis, { ttlSeconds: config.queryPlanTtlSeconds, lruEntries: config.queryPlanLruEntries, stats }) : undefined;

  if (config.responses && redis) {
    plugins.push(
      responseCachePlugin<RequestContext>({
        cache: new RedisKeyValueCache(redis, 'responseStore', stats),
        // Private (per-user) responses are stored per user and never read for anyone else; anonymous callers
        // get no private caching at all.
        sessionId: async ({ contextValue }) => contextValue.viewer?.userId ?? null,
        // What the router's authorization decides on (signed in, roles, scopes) changes what a response holds:
        // a public response is shared only among callers with the same access profile.
        extraCacheKeyData: async ({ contextValue }) => accessProfile(contextValue.viewer),
      }),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ operation, metrics }) {
              if (operation?.operation !== 'query') return;
              if (metrics.responseCacheHit) stats.hit('responses');
              else stats.miss('responses');
            },
          };
        },
      },
    );
  }

  const entityCache =
    config.entities && redis
      ? new EntityCache(redis, { ttlSeconds: config.entityTtlSeconds, types: new Set(config.entityTypes), stats, logger })
      : undefined;
  if (entityCache) {
    plugins.push(entityCache.plugin());
    entityCache.listen();
  }

  const statsTimer =
    needsRedis && config.statsLogIntervalSeconds > 0
      ? setInterval(() => logger.info({ caches: stats.snapshot() }, 'cache statistics'), config.statsLogIntervalSeconds * 1_000).unref()
      : undefined;

  logger.info(
    { apq: Boolean(persistedQueries), safelist: safelist?.operations.length ?? false, queryPlans: Boolean(queryPlanStore), responses: config.responses, entities: Boolean(entityCache) },
    'router caches',
  );

  let warmedOnce = false;
  return {
    queryPlanStore,
    persistedQueries,
    safelist,
    plugins,
    entityCache,
    attach(engine, overrideLabels) {
      engine.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
        queryPlanStore?.useSupergraph(coreSupergraphSdl);
        entityCache?.useSupergraph(coreSupergraphSdl);
        if (queryPlanStore && safelist) {
          // After the engine finished switching to this supergraph (its planner is set by then).
          const variants = overrideVariants(overrideLabelsOf(coreSupergraphSdl), overrideLabels);
          setImmediate(() =>
            void (redis ? redis.whenAnswering(WARMING_WAITS_FOR_REDIS_MS) : Promise.resolve())
              .then(() => queryPlanStore.warm(engine, safelist, logger, variants))
              .catch((error: unknown) => logger.warn({ err: error }, 'query plan warming failed'))
              .finally(() => {
                warmedOnce = true;
              }),
          );
        }
      });
    },
    stats: () => stats.snapshot(),
    redisReady: () => redis?.isReady,
    planWarmth: () => (queryPlanStore && safelist ? (warmedOnce ? 'warm' : 'warming') : undefined),
    async close() {
      clearInterval(statsTimer);
      if (needsRedis) logger.info({ caches: stats.snapshot() }, 'cache statistics');
      await redis?.close();
    },
  };
}
