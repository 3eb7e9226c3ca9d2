import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, envBoolean as envFlag, envPort, httpProcessEnv, loadConfig, REPO_ROOT } from '@storefront/config';
import { type CorsOptions } from '@storefront/http-host';
import { z } from 'zod';
import { queueDashboardConfigFrom, queueDashboardEnv, type QueueDashboardConfig } from './admin/config.ts';
import { loadRouterAuthConfig, type RouterAuthConfig } from './auth/index.ts';
import { cacheConfigFrom, cacheEnv, type CacheConfig } from './cache/config.ts';
import { corsConfigFrom, corsEnv } from './cors-config.ts';
import type { SubscriptionLimitSettings } from './subscriptions/subscription-limits.ts';
import { protectionConfigFrom, protectionEnv, type ProtectionConfig } from './protection/config.ts';

export interface RouterConfig {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  supergraphPath: string;
  /** Routing URLs that replace the supergraph's, by subgraph name (SUBGRAPH_<NAME>_URL). */
  subgraphUrls: Record<string, string>;
  /** Deadline of each subgraph call (SUBGRAPH_TIMEOUT_MS), unless the subgraph has its own in `subgraphTimeouts`. */
  subgraphTimeoutMs: number;
  /** Deadlines of particular subgraphs' calls by name (SUBGRAPH_<NAME>_TIMEOUT_MS), e.g. a slow reporting service. */
  subgraphTimeouts?: Record<string, number>;
  /**
   * The whole request's budget for subgraph calls (ROUTER_REQUEST_TIMEOUT_MS): a plan's later calls get what is
   * left of it, so two hops to a hung subgraph do not cost two full deadlines. Absent: no budget beyond each call's.
   */
  requestTimeoutMs?: number;
  /** Progressive-override labels that are always on (OVERRIDE_LABELS); `percent(N)` labels need no setting. */
  overrideLabels: string[];
  maxBodyBytes: number;
  logLevel: string;
  logFormat: 'json' | 'pretty' | undefined;
  /** Access-token verification and the internal identity signing key (router/src/auth); absent: development keys. */
  auth?: RouterAuthConfig;
  /** Redis-backed caches and the operation safelist (router/src/cache); absent: all off, as before caching existed. */
  cache?: CacheConfig;
  /** Query cost and depth limits, rate limits, circuit breakers (router/src/protection); absent: limits and breakers with defaults, no rate limits. */
  protection?: ProtectionConfig;
  /** Subscription limits per connection, user and client address (router/src/subscriptions); defaults when absent. */
  subscriptions?: Partial<SubscriptionLimitSettings>;
  /** bull-board at /admin/queues, admins only (router/src/admin; ROUTER_QUEUE_DASHBOARD=true); absent: off. */
  queueDashboard?: QueueDashboardConfig;
  /** Largest upload forwarded to a subgraph's /files (FILES_MAX_BODY_BYTES); absent: 100 MB. */
  filesMaxBodyBytes?: number;
  /**
   * Joining identical work in flight (router/src/execution): client queries with the same document, variables
   * and caller (ROUTER_DEDUPLICATE_OPERATIONS), subgraph query fetches with the same document, variables and
   * identity (ROUTER_DEDUPLICATE_FETCHES); never mutations. Absent: both off.
   */
  deduplication?: { operations: boolean; subgraphFetches: boolean };
  /** Browser origins that may call /graphql cross-origin (CORS_ORIGINS); absent: the default for nodeEnv (cors-config.ts). */
  cors?: CorsOptions;
}

export const DEFAULT_SUPERGRAPH_PATH = path.join(REPO_ROOT, 'schema', 'supergraph.graphql');

const SUBGRAPH_URL_VARIABLE = /^SUBGRAPH_([A-Z0-9_]+)_URL$/;
const SUBGRAPH_TIMEOUT_VARIABLE = /^SUBGRAPH_([A-Z0-9_]+)_TIMEOUT_MS$/;

/**
 * A subgraph call's default deadline. Well under the 10 s a user waits before giving up on a page: a subgraph
 * slower than this serves its part as an error while the rest of the page answers (and two such timeouts open its
 * circuit breaker, so the next callers do not wait at all).
 */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 3_000;
/** A request's budget for all its subgraph calls together: a few sequential hops at their deadline, not ten. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 8_000;

/**
 * Reads the router's settings from the environment, with command-line flags taking precedence:
 * --supergraph <file> (SUPERGRAPH_PATH), --port (PORT), --host (HOST).
 */
export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): RouterConfig {
  const { values: flags } = parseArgs({
    args: argv,
    options: { supergraph: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  });
  const merged = {
    ...env,
    ...(flags.supergraph ? { SUPERGRAPH_PATH: flags.supergraph } : {}),
    ...(flags.port ? { PORT: flags.port } : {}),
    ...(flags.host ? { HOST: flags.host } : {}),
  };
  const urlSchema = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
  const schema = z.object({
    ...httpProcessEnv,
    PORT: envPort(4000),
    SUPERGRAPH_PATH: z.string().min(1).default(DEFAULT_SUPERGRAPH_PATH),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_SUBGRAPH_TIMEOUT_MS),
    ROUTER_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS),
    OVERRIDE_LABELS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((label) => label.trim()).filter(Boolean)),
    ...cacheEnv,
    ...protectionEnv,
    ...queueDashboardEnv,
    FILES_MAX_BODY_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
    ROUTER_DEDUPLICATE_OPERATIONS: envFlag(true),
    ROUTER_DEDUPLICATE_FETCHES: envFlag(true),
    ...corsEnv,
  });
  const parsed = loadConfig('router', schema, merged);
  const subgraphUrls: Record<string, string> = {};
  const subgraphTimeouts: Record<string, number> = {};
  const timeoutSchema = z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be above 0');
  const problems: string[] = [];
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined) continue;
    const urlOf = SUBGRAPH_URL_VARIABLE.exec(name)?.[1];
    if (urlOf) {
      const checked = urlSchema.safeParse(value);
      if (checked.success) subgraphUrls[urlOf.toLowerCase()] = checked.data;
      else problems.push(`${name}: ${checked.error.issues[0]?.message}`);
    }
    const timeoutOf = SUBGRAPH_TIMEOUT_VARIABLE.exec(name)?.[1];
    if (timeoutOf) {
      const checked = timeoutSchema.safeParse(value);
      if (checked.success) subgraphTimeouts[timeoutOf.toLowerCase()] = checked.data;
      else problems.push(`${name}: ${checked.error.issues[0]?.message}`);
    }
  }
  if (problems.length) throw new ConfigError('router', problems);
  return {
    nodeEnv: parsed.NODE_ENV,
    host: parsed.HOST,
    port: parsed.PORT,
    supergraphPath: path.resolve(parsed.SUPERGRAPH_PATH),
    subgraphUrls,
    subgraphTimeoutMs: parsed.SUBGRAPH_TIMEOUT_MS,
    subgraphTimeouts,
    requestTimeoutMs: parsed.ROUTER_REQUEST_TIMEOUT_MS,
    overrideLabels: parsed.OVERRIDE_LABELS,
    maxBodyBytes: parsed.MAX_BODY_BYTES,
    logLevel: parsed.LOG_LEVEL,
    logFormat: parsed.LOG_FORMAT,
    auth: loadRouterAuthConfig(merged),
    cache: cacheConfigFrom(parsed),
    protection: protectionConfigFrom(parsed),
    queueDashboard: queueDashboardConfigFrom(parsed, merged),
    filesMaxBodyBytes: parsed.FILES_MAX_BODY_BYTES,
    deduplication: { operations: parsed.ROUTER_DEDUPLICATE_OPERATIONS, subgraphFetches: parsed.ROUTER_DEDUPLICATE_FETCHES },
    cors: corsConfigFrom(parsed),
  };
}
