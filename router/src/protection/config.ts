import { z } from 'zod';
import { envBoolean, type RedisClusterNode } from '@storefront/config';
import { DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './query-limits.ts';
import type { RateLimits } from './rate-limit.ts';

/** How the router protects itself and its subgraphs (see `protectionEnv` for the variables and defaults). */
export interface ProtectionConfig {
  queryLimits: QueryLimits;
  /** Per-IP and per-user request limits in Redis; absent, nothing is rate limited. */
  rateLimit?: RateLimitConfig;
  circuitBreaker: CircuitBreakerOptions;
  /** Proxies in front of the router that append to X-Forwarded-For (TRUSTED_PROXY_HOPS): how the client's address is found. */
  trustedProxyHops?: number;
}

export interface RateLimitConfig extends RateLimits {
  redisUrl: string;
  /** A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES), as for the caches. */
  redisClusterNodes?: RedisClusterNode[] | undefined;
  /** Counters live under `<keyPrefix>ratelimit:`. */
  keyPrefix: string;
  /** A slower Redis lets the request through rather than holding it. */
  redisCommandTimeoutMs: number;
}

/** What the router does without protection settings (tests of the generic gateway): limits on, no Redis. */
export const DEFAULT_PROTECTION: ProtectionConfig = { queryLimits: DEFAULT_QUERY_LIMITS, circuitBreaker: DEFAULT_CIRCUIT_BREAKER };

const count = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** Environment variables of the protections, to spread into the router's config schema. */
export const protectionEnv = {
  MAX_QUERY_COST: count(DEFAULT_QUERY_LIMITS.maxCost),
  MAX_QUERY_DEPTH: count(DEFAULT_QUERY_LIMITS.maxDepth),
  QUERY_COST_DEFAULT_LIST_SIZE: count(DEFAULT_QUERY_LIMITS.defaultListSize),
  QUERY_COST_WITHOUT_HINTS: envBoolean(DEFAULT_QUERY_LIMITS.costWithoutHints),
  RATE_LIMIT_PER_IP: count(300),
  RATE_LIMIT_PER_USER: count(600),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  TRUSTED_PROXY_HOPS: count(0),
  CIRCUIT_BREAKER_FAILURES: count(DEFAULT_CIRCUIT_BREAKER.failureThreshold),
  CIRCUIT_BREAKER_TIMEOUTS: count(DEFAULT_CIRCUIT_BREAKER.timeoutThreshold),
  CIRCUIT_BREAKER_FAILURE_RATE: z.coerce.number().gt(0).max(1).default(DEFAULT_CIRCUIT_BREAKER.failureRate),
  CIRCUIT_BREAKER_MIN_CALLS: z.coerce.number().int().positive().default(DEFAULT_CIRCUIT_BREAKER.minimumCalls),
  CIRCUIT_BREAKER_WINDOW_MS: z.coerce.number().int().positive().default(DEFAULT_CIRCUIT_BREAKER.windowMs),
  CIRCUIT_BREAKER_COOLDOWN_MS: z.coerce.number().int().positive().default(DEFAULT_CIRCUIT_BREAKER.cooldownMs),
};

type ParsedProtectionEnv = z.output<z.ZodObject<typeof protectionEnv>>;

/** The Redis the rate limits share with the caches (REDIS_URL, CACHE_KEY_PREFIX, REDIS_COMMAND_TIMEOUT_MS). */
interface SharedRedisEnv {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: RedisClusterNode[] | undefined;
  CACHE_KEY_PREFIX: string;
  REDIS_COMMAND_TIMEOUT_MS: number;
}

export function protectionConfigFrom(env: ParsedProtectionEnv & SharedRedisEnv): ProtectionConfig {
  const limited = env.RATE_LIMIT_PER_IP > 0 || env.RATE_LIMIT_PER_USER > 0;
  return {
    queryLimits: {
      maxCost: env.MAX_QUERY_COST,
      maxDepth: env.MAX_QUERY_DEPTH,
      defaultListSize: env.QUERY_COST_DEFAULT_LIST_SIZE,
      costWithoutHints: env.QUERY_COST_WITHOUT_HINTS,
    },
    rateLimit: limited
      ? {
          perIp: env.RATE_LIMIT_PER_IP,
          perUser: env.RATE_LIMIT_PER_USER,
          windowMs: env.RATE_LIMIT_WINDOW_MS,
          trustedProxyHops: env.TRUSTED_PROXY_HOPS,
          redisUrl: env.REDIS_URL,
          ...(env.REDIS_CLUSTER_NODES ? { redisClusterNodes: env.REDIS_CLUSTER_NODES } : {}),
          keyPrefix: env.CACHE_KEY_PREFIX,
          redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
        }
      : undefined,
    trustedProxyHops: env.TRUSTED_PROXY_HOPS,
    circuitBreaker: {
      failureThreshold: env.CIRCUIT_BREAKER_FAILURES,
      timeoutThreshold: env.CIRCUIT_BREAKER_TIMEOUTS,
      failureRate: env.CIRCUIT_BREAKER_FAILURE_RATE,
      minimumCalls: env.CIRCUIT_BREAKER_MIN_CALLS,
      windowMs: env.CIRCUIT_BREAKER_WINDOW_MS,
      cooldownMs: env.CIRCUIT_BREAKER_COOLDOWN_MS,
    },
  };
}
