import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ErrorCode } from '@storefront/api-conventions';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import type { CacheStats } from './stats.ts';

/** One operation of an Apollo persisted-query manifest. */
export interface SafelistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface Safelist {
  operations: readonly SafelistedOperation[];
  byId: ReadonlyMap<string, SafelistedOperation>;
  bodies: ReadonlySet<string>;
}

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/** Reads an Apollo persisted-query manifest (`generate-persisted-query-manifest`'s format), failing with the reason. */
export function loadSafelist(file: string): Safelist {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`SAFELIST_PATH ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`SAFELIST_PATH ${file} is not a persisted-query manifest: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return safelistOf(parsed.data.operations);
}

export function safelistOf(operations: readonly SafelistedOperation[]): Safelist {
  return {
    operations,
    byId: new Map(operations.map((operation) => [operation.id, operation])),
    bodies: new Set(operations.map((operation) => operation.body)),
  };
}

/** Apollo Server prefixes every persisted-query cache key with this (APQ_CACHE_PREFIX in @apollo/server). */
const APQ_KEY_PREFIX = 'apq:';

/**
 * The persisted-query cache in safelist mode: answers the manifest's operations by id, remembers nothing else
 * (registering a new operation would be pointless, it could not run).
 */
export function safelistPersistedQueries(safelist: Safelist, stats: CacheStats): KeyValueCache<string> {
  return {
    async get(key) {
      const id = key.startsWith(APQ_KEY_PREFIX) ? key.slice(APQ_KEY_PREFIX.length) : key;
      const body = safelist.byId.get(id)?.body;
      if (body === undefined) stats.miss('apq');
      else stats.hit('apq');
      return body;
    },
    async set() {},
    async delete() {
      return false;
    },
  };
}

interface PersistedQueryExtension {
  persistedQuery?: { sha256Hash?: unknown };
}

/**
 * Refuses every operation that is not in the safelist, with PERSISTED_QUERY_NOT_IN_SAFELIST and HTTP 400.
 * An operation is listed when the request names a manifest id (`extensions.persistedQuery.sha256Hash`) or
 * sends a manifest body verbatim.
 * The refusal stops the request before anything executes (didResolveOperation) and also replaces whatever
 * Apollo answered earlier (e.g. PERSISTED_QUERY_NOT_FOUND for an unknown hash, which a retry with the
 * full query would not fix).
 */
/** The refusal of an operation the safelist does not hold (HTTP 400), for every transport alike. */
export const notInSafelistError = (): GraphQLError =>
  new GraphQLError('This operation is not in the safelist of operations this router runs', {
    extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_IN_SAFELIST, http: { status: 400 } },
  });

/**
 * Whether a request's operation is in the safelist: its text is a manifest body verbatim, or (without text)
 * its `extensions.persistedQuery.sha256Hash` is a manifest id. With both, the text decides (the hash is checked
 * against it separately). Queries (safelistPlugin) and subscriptions (router/src/subscriptions) both ask this.
 */
export function isSafelisted(safelist: Safelist, query: string | undefined, extensions: unknown): boolean {
  const hash = (extensions as PersistedQueryExtension | undefined)?.persistedQuery?.sha256Hash;
  if (query !== undefined) return safelist.bodies.has(query);
  return typeof hash === 'string' && safelist.byId.has(hash);
}

export function safelistPlugin<Context extends BaseContext>(safelist: Safelist, stats: CacheStats): ApolloServerPlugin<Context> {
  const refusal = notInSafelistError;
  return {
    async requestDidStart({ request }) {
      const listed = isSafelisted(safelist, request.query, request.extensions);
      if (listed) {
        stats.hit('safelist');
        return undefined;
      }
      stats.miss('safelist');
      return {
        async didResolveOperation() {
          throw refusal();
        },
        async willSendResponse({ response }) {
          const error = refusal();
          response.body = { kind: 'single', singleResult: { errors: [{ message: error.message, extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_IN_SAFELIST } }] } };
          response.http.status = 400;
        },
      };
    },
  };
}
