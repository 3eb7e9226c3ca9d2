import { envBoolean as flag, envRedisClusterNodes, type RedisClusterNode } from '@storefront/config';
import { z } from 'zod';

/** The router's cache settings (see `cacheEnv` for the variables and their defaults). */
export interface CacheConfig {
  redisUrl: string;
  /** A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES), used instead of the single Redis at redisUrl, whose credentials and TLS they take. */
  redisClusterNodes?: RedisClusterNode[] | undefined;
  keyPrefix: string;
  redisCommandTimeoutMs: number;
  apq: boolean;
  apqTtlSeconds: number;
  queryPlans: boolean;
  queryPlanTtlSeconds: number;
  /** Plans kept in each router's memory in front of Redis. */
  queryPlanLruEntries: number;
  responses: boolean;
  entities: boolean;
  entityTtlSeconds: number;
  /** `subgraph.Type` pairs whose entities are public and may be cached, e.g. `catalog.Product`. */
  entityTypes: string[];
  /** An Apollo persisted-query manifest; when set, only its operations run. */
  safelistPath: string | undefined;
  /** How often the counters are logged (0: never). */
  statsLogIntervalSeconds: number;
}

const seconds = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const DEFAULT_ENTITY_TYPES = ['catalog.Product', 'catalog.Category', 'catalog.GiftCard', 'inventory.Warehouse'];

/** Environment variables of the caches, to spread into the router's config schema. */
export const cacheEnv = {
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  // The same seed list the queues read (packages/events); REDIS_URL then lends only its user, password and TLS.
  REDIS_CLUSTER_NODES: envRedisClusterNodes,
  CACHE_KEY_PREFIX: z.string().default('storefront:'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(150),
  CACHE_APQ: flag(true),
  APQ_TTL_SECONDS: seconds(86_400),
  CACHE_QUERY_PLANS: flag(true),
  QUERY_PLAN_CACHE_TTL_SECONDS: seconds(7 * 86_400),
  QUERY_PLAN_LRU_ENTRIES: z.coerce.number().int().positive().default(1_000),
  CACHE_RESPONSES: flag(true),
  CACHE_ENTITIES: flag(true),
  ENTITY_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(60),
  ENTITY_CACHE_TYPES: z
    .string()
    .default(DEFAULT_ENTITY_TYPES.join(','))
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z_][\w-]*\.[A-Za-z_]\w*$/, 'entries must look like subgraph.Type'))),
  SAFELIST_PATH: z.string().min(1).optional(),
  CACHE_STATS_LOG_INTERVAL_SECONDS: seconds(60),
};

type ParsedCacheEnv = z.output<z.ZodObject<typeof cacheEnv>>;

export function cacheConfigFrom(env: ParsedCacheEnv): CacheConfig {
  return {
    redisUrl: env.REDIS_URL,
    ...(env.REDIS_CLUSTER_NODES ? { redisClusterNodes: env.REDIS_CLUSTER_NODES } : {}),
    keyPrefix: env.CACHE_KEY_PREFIX,
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    apq: env.CACHE_APQ,
    apqTtlSeconds: env.APQ_TTL_SECONDS,
    queryPlans: env.CACHE_QUERY_PLANS,
    queryPlanTtlSeconds: env.QUERY_PLAN_CACHE_TTL_SECONDS,
    queryPlanLruEntries: env.QUERY_PLAN_LRU_ENTRIES,
    responses: env.CACHE_RESPONSES,
    entities: env.CACHE_ENTITIES,
    entityTtlSeconds: env.ENTITY_CACHE_TTL_SECONDS,
    entityTypes: env.ENTITY_CACHE_TYPES,
    safelistPath: env.SAFELIST_PATH,
    statsLogIntervalSeconds: env.CACHE_STATS_LOG_INTERVAL_SECONDS,
  };
}

/** Every cache off and no safelist: the router works exactly as it did before caching existed. */
export const CACHING_OFF: CacheConfig = {
  ...cacheConfigFrom({
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_CLUSTER_NODES: undefined,
    CACHE_KEY_PREFIX: 'storefront:',
    REDIS_COMMAND_TIMEOUT_MS: 150,
    CACHE_APQ: false,
    APQ_TTL_SECONDS: 86_400,
    CACHE_QUERY_PLANS: false,
    QUERY_PLAN_CACHE_TTL_SECONDS: 7 * 86_400,
    QUERY_PLAN_LRU_ENTRIES: 1_000,
    CACHE_RESPONSES: false,
    CACHE_ENTITIES: false,
    ENTITY_CACHE_TTL_SECONDS: 60,
    ENTITY_CACHE_TYPES: DEFAULT_ENTITY_TYPES,
    SAFELIST_PATH: undefined,
    CACHE_STATS_LOG_INTERVAL_SECONDS: 0,
  }),
};
