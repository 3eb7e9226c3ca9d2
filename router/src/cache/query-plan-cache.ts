import { createHash } from 'node:crypto';
import type { GatewayConfig } from '@apollo/gateway';
import type { Logger } from '@storefront/telemetry';
import { Kind, parse, print, type DocumentNode } from 'graphql';
import type { OverrideVariant } from '../progressive-override.ts';
import { Lru } from './lru.ts';
import type { RedisConnection } from './redis.ts';
import type { Safelist } from './safelist.ts';
import type { CacheStats } from './stats.ts';

/** The gateway's plan store contract (`queryPlannerConfig.cache`). */
export type QueryPlanStore = NonNullable<NonNullable<GatewayConfig['queryPlannerConfig']>['cache']>;
export type QueryPlan = NonNullable<Awaited<ReturnType<QueryPlanStore['get']>>>;

const sha256 = (...parts: string[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** Plans operations as requests will be planned (the router's engine). */
export interface WarmingPlanner {
  plan(document: DocumentNode, operationName: string | undefined, overrideConditions: Map<string, boolean>): QueryPlan | undefined;
}

/**
 * The gateway's key for a plan: Apollo's query hash (sha256 of the document text, which the router's
 * progressive-override wrapper already extends with the labels it turned on), with the operation name.
 * Mirrors @apollo/gateway's executor so plans made ahead of time (warming) land where requests look.
 */
export function gatewayPlanKey(document: string, operationName: string | undefined): string {
  const queryHash = sha256(document);
  return operationName ? sha256(queryHash, operationName) : queryHash;
}

/**
 * Query plans, shared by every router replica: a bounded in-process LRU in front of Redis. Plugged in as
 * the gateway's `queryPlanStore`, so it is keyed by exactly what the gateway keys on (the query hash as it
 * reaches the executor, with whatever the router folded into it, and the operation name), under the hash of
 * the supergraph the plan was made for: a replica on another supergraph version never reads it. Plans are
 * plain JSON (fetch operations are strings), so one read back from Redis executes like the original.
 */
export class SharedQueryPlanCache implements QueryPlanStore {
  private readonly local: Lru<QueryPlan>;
  private supergraphHash = 'none';

  constructor(
    private readonly redis: RedisConnection | undefined,
    private readonly options: { ttlSeconds: number; lruEntries: number; stats: CacheStats },
  ) {
    this.local = new Lru(options.lruEntries);
  }

  /** Called when the gateway loads a supergraph, right after it cleared this store. */
  useSupergraph(coreSupergraphSdl: string): void {
    this.supergraphHash = sha256(coreSupergraphSdl).slice(0, 16);
  }

  private redisKey(supergraphHash: string, key: string): string {
    return `${this.redis?.keyPrefix ?? ''}plan:${supergraphHash}:${key}`;
  }

  async get(key: string): Promise<QueryPlan | undefined> {
    const { stats } = this.options;
    const local = this.local.get(key);
    if (local) {
      stats.hit('queryPlans');
      return local;
    }
    const supergraphHash = this.supergraphHash;
    const stored = await this.redis?.run('queryPlansShared', (client) => client.get(this.redisKey(supergraphHash, key)));
    // A supergraph change while we waited: this plan belongs to the old one.
    if (typeof stored === 'string' && supergraphHash === this.supergraphHash) {
      const plan = JSON.parse(stored) as QueryPlan;
      this.local.set(key, plan);
      stats.hit('queryPlansShared');
      stats.hit('queryPlans');
      return plan;
    }
    if (this.redis && stored !== undefined) stats.miss('queryPlansShared');
    stats.miss('queryPlans');
    return undefined;
  }

  /** A plan found without asking this store (the router keeps prepared operations in front of it): still a hit. */
  countHit(): void {
    this.options.stats.hit('queryPlans');
  }

  async set(key: string, plan: QueryPlan): Promise<void> {
    this.local.set(key, plan);
    const { ttlSeconds, stats } = this.options;
    const redisKey = this.redisKey(this.supergraphHash, key);
    // Not awaited: sharing the plan must not delay the response that needed it.
    void this.redis
      ?.run('queryPlansShared', (client) =>
        ttlSeconds > 0 ? client.set(redisKey, JSON.stringify(plan), { expiration: { type: 'EX', value: ttlSeconds } }) : client.set(redisKey, JSON.stringify(plan)),
      )
      .then((written) => {
        if (written !== undefined) stats.count('queryPlansShared', 'writes');
      });
  }

  async delete(key: string): Promise<boolean> {
    this.local.clear();
    await this.redis?.run('queryPlansShared', (client) => client.del(this.redisKey(this.supergraphHash, key)));
    return true;
  }

  /** The gateway clears its store when the supergraph changes; entries in Redis stay for replicas still on the old one. */
  clear(): void {
    this.local.clear();
  }

  /**
   * Makes sure every safelisted operation has a plan before traffic needs it, under every progressive-override
   * variant (a request may plan with a `percent(N)` label on or off) and every key the gateway will look it up
   * by: taken from Redis when another replica made it, planned here otherwise. The router reports itself ready
   * once the first warm-up is done.
   */
  async warm(planner: WarmingPlanner, safelist: Safelist, logger: Logger, variants: readonly OverrideVariant[]): Promise<void> {
    let planned = 0;
    let failed = 0;
    for (const operation of safelist.operations) {
      if (operation.type === 'subscription') continue;
      try {
        const document = parse(operation.body);
        const operationName = operation.name || undefined;
        // Clients may omit the operation name when the document holds only one operation.
        const single = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length === 1;
        // The router's authorization layer hands the gateway the printed (filtered) document's hash instead of
        // the text's; for callers it filters nothing from, that is the printed document. Warm both.
        const texts = [...new Set([operation.body, print(document)])];
        const hashes = texts.flatMap((text) => [gatewayPlanKey(text, operationName), ...(single ? [gatewayPlanKey(text, undefined)] : [])]);
        for (const variant of variants) {
          const keys = hashes.map((hash) => variant.planKey(hash));
          let plan: QueryPlan | undefined;
          for (const key of keys) plan ??= await this.get(key);
          plan ??= planner.plan(document, operationName, variant.conditions);
          if (!plan) return;
          for (const key of keys) await this.set(key, plan);
        }
        planned += 1;
      } catch (error) {
        failed += 1;
        logger.warn({ err: error, operation: operation.name, id: operation.id }, 'safelisted operation could not be planned');
      }
    }
    logger.info({ planned, failed }, 'query plan cache warmed from the safelist');
  }
}
