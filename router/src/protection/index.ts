import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLHttpHostOptions, RequestContext } from '@storefront/http-host';
import type { Logger } from '@storefront/telemetry';
import { RedisConnection } from '../cache/redis.ts';
import { CacheStats, type CacheCounters } from '../cache/stats.ts';
import { CircuitBreakers } from './circuit-breaker.ts';
import { DEFAULT_PROTECTION, type ProtectionConfig } from './config.ts';
import { costMetadataOf, NO_COST_METADATA, type CostMetadata } from './cost-directives.ts';
import { queryLimitCheck, queryLimitsPlugin, type QueryLimitCheck } from './query-limits.ts';
import { RateLimiter } from './rate-limit.ts';

export { DEFAULT_PROTECTION, protectionConfigFrom, protectionEnv, type ProtectionConfig, type RateLimitConfig } from './config.ts';
export type { CheckedOperation, QueryLimitCheck } from './query-limits.ts';
export { CircuitBreaker, CircuitBreakers, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.ts';

/** Whatever announces each supergraph the router loads. */
export interface SupergraphSource {
  onSchemaLoadOrUpdate(listener: (update: { coreSupergraphSdl: string }) => void): unknown;
}

/** The hooks `startRouter` plugs in. */
export interface RouterProtection {
  /** Refuses too deep or too expensive operations before planning. */
  plugin: ApolloServerPlugin<RequestContext>;
  /** The same depth and cost check, for operations that do not go through Apollo Server (subscriptions). */
  checkLimits: QueryLimitCheck;
  /** The HTTP host's `admit` hook (rate limits), when rate limiting is on. */
  admit: GraphQLHttpHostOptions<RequestContext>['admit'];
  /** Per-subgraph circuit breakers, for the data sources' fetchers. */
  breakers: CircuitBreakers;
  /** Call once with the engine, before it loads: the cost estimate reads `@cost` / `@listSize` from each supergraph. */
  attach(engine: SupergraphSource): void;
  /** Whether the rate limits' Redis connection is up; undefined when rate limiting is off. */
  redisReady(): boolean | undefined;
  /** The rate limits' Redis counters (`rateLimit.errors`: requests counted in this process because Redis did not answer). */
  stats(): Record<string, CacheCounters>;
  close(): Promise<void>;
}

export function setUpProtection(config: ProtectionConfig = DEFAULT_PROTECTION, logger: Logger): RouterProtection {
  let metadata: CostMetadata = NO_COST_METADATA;
  const rate = config.rateLimit;
  // Its own connection: the caches' exists only while a cache is on, and rate limits must not depend on that.
  const stats = new CacheStats();
  const redis = rate
    ? new RedisConnection({ url: rate.redisUrl, clusterNodes: rate.redisClusterNodes, keyPrefix: rate.keyPrefix, commandTimeoutMs: rate.redisCommandTimeoutMs, logger, stats, purpose: 'rate limits', whileAway: 'counting rate limits in this process only' })
    : undefined;
  const limiter = rate && redis ? new RateLimiter(redis, rate) : undefined;
  return {
    plugin: queryLimitsPlugin<RequestContext>(config.queryLimits, () => metadata),
    checkLimits: queryLimitCheck(config.queryLimits, () => metadata),
    admit: limiter?.admit,
    breakers: new CircuitBreakers(config.circuitBreaker, logger),
    attach(engine) {
      engine.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
        try {
          metadata = costMetadataOf(coreSupergraphSdl);
        } catch (error) {
          // The gateway already accepted this supergraph; estimate without its hints rather than stop serving.
          logger.error({ err: error }, 'could not read @cost / @listSize from the supergraph; estimating without them');
          metadata = NO_COST_METADATA;
        }
      });
    },
    redisReady: () => redis?.isReady,
    stats: () => stats.snapshot(),
    close: async () => {
      await redis?.close();
    },
  };
}
