import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { RequestContext } from '@storefront/http-host';
import type { Logger } from '@storefront/telemetry';
import type { GraphQLFormattedError } from 'graphql';
import { z } from 'zod';
import { entityKeysOf, keyOf, objectsInResponse, stableJson } from './entity-keys.ts';
import type { RedisConnection } from './redis.ts';
import type { CacheStats } from './stats.ts';

export type CacheHint = { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' };

/** A subgraph call as the entity cache sees it. */
export interface EntityCall {
  query: string;
  variables: Record<string, unknown>;
  /** The client's operation type: only queries are served from the cache (a mutation's reads must see its writes). */
  clientOperation: string;
  /** The response's cache policy, restricted by the hints of the entities served from the cache. */
  cachePolicy: { restrict(hint: CacheHint): void } | undefined;
}

export interface EntityCallResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  /** The subgraph's Cache-Control header. */
  cacheControl?: string | undefined;
}

/** What the entity cache stores per representation: the subgraph's answer and the cache hint it came with. */
interface StoredEntity {
  entity: unknown;
  hint: CacheHint;
}

/** Names one entity: the subgraph that resolves it, its type, and the values of one of its `@key`s there. */
export interface EntityRef {
  subgraph: string;
  type: string;
  key: Record<string, unknown>;
}

/** The pub/sub channel (under the key prefix) on which anyone can say an entity changed. */
export const ENTITY_INVALIDATION_CHANNEL = 'entity-invalidation';

const invalidationMessage = z.object({
  subgraph: z.string().min(1),
  type: z.string().min(1),
  key: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** The subgraph's Cache-Control header as a hint, the way @apollo/gateway reads it (no header: maxAge 0). */
export function hintFromHeader(header: string | null | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  for (const directive of (header ?? '').split(',').map((part) => part.trim().toLowerCase())) {
    const maxAge = /^max-age=(\d+)$/.exec(directive)?.[1];
    if (maxAge !== undefined) hint.maxAge = Number(maxAge);
    if (directive === 'private') hint.scope = 'PRIVATE';
    if (directive === 'public') hint.scope = 'PUBLIC';
    if (directive === 'no-store') hint.maxAge = 0;
  }
  return hint;
}

/**
 * Caches the entities subgraphs return to `_entities` fetches, in Redis, per subgraph + type + representation +
 * selection (the fetch's operation and its other variables), for the `subgraph.Type` pairs configured as
 * public. A fetch asks the subgraph only for the representations not cached and merges the answers back in
 * order. Only queries use it (a mutation's follow-up fetches must see its writes), and nothing is stored
 * from a response with errors or one the subgraph marked private.
 *
 * Invalidation: every entry is indexed under its entity (subgraph, type, key); `invalidate` drops them all.
 * The router does so for entities a mutation returns (when the client selected their key), and for every
 * message `{"subgraph","type","key"}` on the `<prefix>entity-invalidation` channel, which other replicas
 * and domain events can publish to. Entries are found by the key the router used in the representation;
 * an entity with several keys (Product: id, sku) must be invalidated by each key it is fetched by. The TTL
 * bounds staleness when an invalidation is missed.
 */
export class EntityCache {
  private keys = new Map<string, string[][]>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: { ttlSeconds: number; types: ReadonlySet<string>; stats: CacheStats; logger: Logger },
  ) {}

  useSupergraph(coreSupergraphSdl: string): void {
    this.keys = entityKeysOf(coreSupergraphSdl);
  }

  /*
   * Keys on a Redis Cluster: every key of one entity (its cached answers and its index) carries the same hash tag,
   * `{subgraph:Type:<key digest>}`, so they share a slot. That keeps what must be atomic per entity on one shard:
   * storing an answer with its index entry (one MULTI) and invalidating (read and drop the index, then drop what it
   * lists). Different entities hash to different slots on purpose, spreading the cache over the shards; a fetch's
   * batch read (MGET over many entities) is split per slot by node-redis (its multi_shard routing) and put back in
   * order, and writes are one MULTI per entity.
   */
  private static entityTag(ref: EntityRef): string {
    return `{${ref.subgraph}:${ref.type}:${sha(stableJson(ref.key))}}`;
  }

  private indexKey(ref: EntityRef): string {
    return this.redis.key('entity-index', EntityCache.entityTag(ref));
  }

  /** The cache slot of one representation, or undefined when it may not be cached. */
  private slotFor(subgraph: string, representation: unknown, selection: string): { entryKey: string; indexKey: string } | undefined {
    if (!representation || typeof representation !== 'object') return undefined;
    const fields = representation as Record<string, unknown>;
    const type = fields.__typename;
    if (typeof type !== 'string' || !this.options.types.has(`${subgraph}.${type}`)) return undefined;
    const key = keyOf(this.keys.get(`${subgraph}.${type}`), fields);
    if (!key) return undefined;
    const ref = { subgraph, type, key };
    // The whole representation counts: @requires fields travel in it and change the answer.
    return { entryKey: this.redis.key('entity', EntityCache.entityTag(ref), sha(selection + stableJson(fields))), indexKey: this.indexKey(ref) };
  }

  /**
   * One subgraph call through the cache: cached entities are answered from Redis and only the others are
   * fetched with `fetch` (given the representations to send), then merged back in order.
   */
  async process(subgraph: string, call: EntityCall, fetch: (representations: unknown[]) => Promise<EntityCallResult>): Promise<EntityCallResult> {
    const representations: unknown = call.variables.representations;
    if (call.clientOperation !== 'query' || !Array.isArray(representations) || !call.query.includes('_entities')) return fetch(representations as unknown[]);
    const { representations: _, ...otherVariables } = call.variables;
    const selection = `${call.query}\n${stableJson(otherVariables)}`;
    const slots = representations.map((representation) => this.slotFor(subgraph, representation, selection));
    const cacheable = slots.flatMap((slot, index) => (slot ? [{ slot, index }] : []));
    if (cacheable.length === 0) return fetch(representations);

    const { stats } = this.options;
    const stored = await this.redis.run('entities', (client) => client.mGet(cacheable.map(({ slot }) => slot.entryKey)));
    const hits = new Map<number, StoredEntity>();
    cacheable.forEach(({ index }, position) => {
      const raw = stored?.[position];
      if (typeof raw === 'string') hits.set(index, JSON.parse(raw) as StoredEntity);
    });
    stats.hit('entities', hits.size);
    stats.miss('entities', cacheable.length - hits.size);
    for (const { hint } of hits.values()) call.cachePolicy?.restrict(hint);

    const missing = representations.flatMap((_representation, index) => (hits.has(index) ? [] : [index]));
    if (missing.length === representations.length) {
      const response = await fetch(representations);
      this.store(slots, missing, response);
      return response;
    }
    if (missing.length === 0) {
      return { data: { _entities: representations.map((_representation, index) => hits.get(index)?.entity ?? null) } };
    }
    const response = await fetch(missing.map((index) => representations[index]));
    this.store(slots, missing, response);
    const fetched: unknown[] = Array.isArray(response.data?._entities) ? (response.data._entities as unknown[]) : [];
    const positionOf = new Map(missing.map((index, position) => [position, index]));
    const fetchedAt = new Map(missing.map((index, position) => [index, position]));
    const merged = representations.map((_representation, index) => (hits.has(index) ? hits.get(index)?.entity : fetched[fetchedAt.get(index) ?? -1]) ?? null);
    // Errors point at positions in what the subgraph was sent; move them to positions in the full list.
    const errors = response.errors?.map((error): GraphQLFormattedError => {
      const [root, position, ...rest] = error.path ?? [];
      return root === '_entities' && typeof position === 'number' ? { ...error, path: [root, positionOf.get(position) ?? position, ...rest] } : error;
    });
    return { ...response, data: { ...response.data, _entities: merged }, ...(errors ? { errors } : {}) };
  }

  /** Stores what a subgraph answered for the representations at `indexes`, unless it must not be cached. */
  private store(slots: ReadonlyArray<{ entryKey: string; indexKey: string } | undefined>, indexes: number[], response: EntityCallResult): void {
    if (response.errors?.length || !Array.isArray(response.data?._entities)) return;
    const hint = hintFromHeader(response.cacheControl);
    if (hint.scope === 'PRIVATE') return;
    const entities = response.data._entities as unknown[];
    const writes = indexes.flatMap((index, position) => {
      const slot = slots[index];
      const entity = entities[position];
      return slot && entity !== null && entity !== undefined ? [{ slot, value: JSON.stringify({ entity, hint } satisfies StoredEntity) }] : [];
    });
    if (writes.length === 0) return;
    const { ttlSeconds, stats } = this.options;
    // One MULTI per entity: its keys share a slot (entityTag), which a cluster requires of a transaction.
    const byEntity = new Map<string, typeof writes>();
    for (const write of writes) byEntity.set(write.slot.indexKey, [...(byEntity.get(write.slot.indexKey) ?? []), write]);
    void this.redis
      .run('entities', (client) =>
        Promise.all(
          [...byEntity].map(([indexKey, entityWrites]) => {
            const multi = client.multi();
            for (const { slot, value } of entityWrites) {
              multi.set(slot.entryKey, value, { expiration: { type: 'EX', value: ttlSeconds } });
              multi.sAdd(indexKey, slot.entryKey);
            }
            multi.expire(indexKey, ttlSeconds);
            return multi.exec();
          }),
        ),
      )
      .then((done) => {
        if (done) stats.count('entities', 'writes', writes.length);
      });
  }

  /** Drops every cached answer about one entity. */
  async invalidate(ref: EntityRef): Promise<number> {
    const indexKey = this.indexKey(ref);
    const dropped = await this.redis.run('entities', async (client) => {
      // Read and remove the index at once, so an entry written meanwhile lands in a fresh index. The index and its
      // members share the entity's slot, so both steps are single-slot on a cluster.
      const [members] = (await client.multi().sMembers(indexKey).del(indexKey).exec()) as unknown as [string[], number];
      if (members.length) await client.del(members);
      return members.length;
    });
    if (dropped) this.options.stats.count('entities', 'invalidations', dropped);
    return dropped ?? 0;
  }

  /** Entities of cached types that a mutation's response names by key. */
  entitiesInMutationResponse(requestContext: GraphQLRequestContext<RequestContext>): EntityRef[] {
    const { operation, document, schema, response } = requestContext;
    if (operation?.operation !== 'mutation' || !document || response.body?.kind !== 'single') return [];
    const data = response.body.singleResult.data;
    if (!data) return [];
    const refs: EntityRef[] = [];
    for (const { typeName, fields } of objectsInResponse(schema, document, operation, data)) {
      for (const entry of this.options.types) {
        const [subgraph, type] = entry.split('.');
        if (type !== typeName || !subgraph) continue;
        const key = keyOf(this.keys.get(entry), fields);
        if (key) refs.push({ subgraph, type, key });
      }
    }
    return refs;
  }

  /** Invalidates what mutations change, before their response is sent (so the client's next read is fresh). */
  plugin(): ApolloServerPlugin<RequestContext> {
    return {
      requestDidStart: async () => ({
        willSendResponse: async (requestContext) => {
          const refs = this.entitiesInMutationResponse(requestContext);
          await Promise.all(refs.map((ref) => this.invalidate(ref)));
        },
      }),
    };
  }

  /**
   * Tells every router replica listening on the invalidation channel to drop `ref` (what a domain event's
   * handler or an operator's script would send). On a cluster the channel is sharded (SPUBLISH): a plain PUBLISH
   * there does not reach the replicas' SSUBSCRIBE. Answers how many replicas received it; 0 when Redis did not answer.
   */
  async announceInvalidation(ref: EntityRef): Promise<number> {
    const message = JSON.stringify({ subgraph: ref.subgraph, type: ref.type, key: ref.key });
    return (await this.redis.publish('entities', this.redis.key(ENTITY_INVALIDATION_CHANNEL), message)) ?? 0;
  }

  /** Listens for invalidations from other replicas and domain events. */
  listen(): void {
    const channel = this.redis.key(ENTITY_INVALIDATION_CHANNEL);
    this.redis.subscribe(channel, async (message) => {
      const parsed = invalidationMessage.safeParse(JSON.parse(message));
      if (!parsed.success) {
        this.options.logger.warn({ channel, message }, 'ignoring a malformed entity invalidation');
        return;
      }
      await this.invalidate(parsed.data);
    });
  }
}
