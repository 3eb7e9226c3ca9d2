import { createHash } from 'node:crypto';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ErrorCode } from '@storefront/api-conventions';
import { type GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { isSafelisted, notInSafelistError, type Safelist } from '../cache/index.ts';
import type { QueryLimitCheck } from '../protection/index.ts';

/*
 * Which operations a subscription transport runs: the same decisions, in the same order and with the same
 * error codes, as Apollo Server's pipeline and the router's plugins make for queries and mutations:
 *
 *   persisted query (APQ extension: version, hash → text, hash matches text) → safelist → parse → validate →
 *   depth and cost limits.
 *
 * The safelist and the limits are the very functions the query plugins call (cache/safelist.ts,
 * protection/query-limits.ts), so safelist mode means the same for every transport.
 */

/** Apollo Server prefixes every persisted-query cache key with this (APQ_CACHE_PREFIX in @apollo/server). */
const APQ_KEY_PREFIX = 'apq:';

export interface OperationParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface AcceptedOperation {
  source: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

export interface Refusal {
  /** The HTTP status a query would have been refused with. */
  status: number;
  errors: GraphQLFormattedError[];
}

export interface OperationAcceptanceOptions {
  safelist: Safelist | undefined;
  /**
   * The router's persisted-query cache (Apollo Server's `persistedQueries.cache`): the safelist's manifest by
   * id, or APQ in Redis. Undefined when Apollo keeps its default in-process APQ cache, which nothing else can
   * read: a hash alone is then not found (the client sends the text, as APQ clients do on a miss).
   */
  persistedQueries: { cache?: KeyValueCache<string>; ttl?: number | null } | undefined;
  checkLimits: QueryLimitCheck;
}

interface PersistedQuery {
  version?: unknown;
  sha256Hash?: unknown;
}

const refusal = (status: number, message: string, code: string, extensions: Record<string, unknown> = {}): Refusal => ({
  status,
  errors: [{ message, extensions: { code, ...extensions } }],
});

function formatted(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return { message: error.message, extensions };
}

function statusOf(error: GraphQLError): number {
  const http = error.extensions.http as { status?: unknown } | undefined;
  return typeof http?.status === 'number' ? http.status : 400;
}

/** Distinct operation texts whose parsed documents are kept per schema. */
const DOCUMENT_CACHE_ENTRIES = 500;

export class OperationAcceptance {
  private readonly documents = new WeakMap<GraphQLSchema, Map<string, DocumentNode | Refusal>>();

  constructor(private readonly options: OperationAcceptanceOptions) {}

  /** Whether only the safelist's operations run. */
  get safelistMode(): boolean {
    return this.options.safelist !== undefined;
  }

  /**
   * The operation's text: given, or looked up by its persisted-query hash. A refusal is the one Apollo Server
   * would give the same request (an HTTP transport may leave such a request to Apollo Server altogether).
   */
  async sourceOf(params: OperationParams): Promise<string | Refusal> {
    const query = typeof params.query === 'string' && params.query !== '' ? params.query : undefined;
    const persisted = (params.extensions as { persistedQuery?: PersistedQuery } | undefined)?.persistedQuery;
    const { safelist, persistedQueries } = this.options;
    // In safelist mode an unlisted request is refused whatever else is wrong with it (safelistPlugin does the same).
    if (safelist && !isSafelisted(safelist, query, params.extensions)) return { status: 400, errors: [formatted(notInSafelistError())] };
    if (!persisted) return query ?? refusal(400, 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.', ErrorCode.BAD_REQUEST);
    if (persisted.version !== 1) return refusal(400, 'Unsupported persisted query version', ErrorCode.BAD_REQUEST);
    const hash = persisted.sha256Hash;
    if (query === undefined) {
      const found = typeof hash === 'string' && persistedQueries?.cache ? await persistedQueries.cache.get(`${APQ_KEY_PREFIX}${hash}`) : undefined;
      return found ?? refusal(200, 'PersistedQueryNotFound', ErrorCode.PERSISTED_QUERY_NOT_FOUND);
    }
    if (hash !== createHash('sha256').update(query).digest('hex')) return refusal(400, 'provided sha does not match query', ErrorCode.PERSISTED_QUERY_HASH_MISMATCH);
    // Registered as Apollo registers a query's text (a no-op for the safelist's manifest); other operations
    // are left to Apollo Server, which registers them itself.
    if (isSubscriptionSource(query, params.operationName)) await persistedQueries?.cache?.set(`${APQ_KEY_PREFIX}${hash}`, query, persistedQueries?.ttl ? { ttl: persistedQueries.ttl } : undefined).catch(() => undefined);
    return query;
  }

  /** Parses, validates and checks the limits of an operation's text against the API schema. */
  check(schema: GraphQLSchema, source: string, params: OperationParams): AcceptedOperation | Refusal {
    const parsed = this.parsed(schema, source);
    if (isRefusal(parsed)) return parsed;
    const document = parsed;
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const operation = operationOf(document, operationName);
    if (!operation) {
      const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
      return refusal(400, message, ErrorCode.GRAPHQL_VALIDATION_FAILED);
    }
    const variables = params.variables && typeof params.variables === 'object' && !Array.isArray(params.variables) ? (params.variables as Record<string, unknown>) : undefined;
    const refused = this.options.checkLimits({ schema, document, operation, source, operationName, variables });
    if (refused) return { status: statusOf(refused), errors: [formatted(refused)] };
    return { source, document, operation, operationName, variables };
  }

  /**
   * The parsed and validated document of a text, shared by every subscription that sends the same text (a
   * thousand subscribers of one product page share one DocumentNode instead of holding a copy each).
   */
  private parsed(schema: GraphQLSchema, source: string): DocumentNode | Refusal {
    let cache = this.documents.get(schema);
    if (!cache) this.documents.set(schema, (cache = new Map()));
    const cached = cache.get(source);
    if (cached) return cached;
    let outcome: DocumentNode | Refusal;
    try {
      const document = parse(source, { maxTokens: 10_000 });
      const validation = validate(schema, document);
      outcome = validation.length
        ? { status: 400, errors: validation.map((error) => ({ message: error.message, extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED } })) }
        : document;
    } catch (error) {
      outcome = refusal(400, (error as Error).message, ErrorCode.GRAPHQL_PARSE_FAILED);
    }
    // Bounded: the oldest text goes first (Map keeps insertion order).
    if (cache.size >= DOCUMENT_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(source, outcome);
    return outcome;
  }

  /** Both steps, for a transport that serves subscriptions only (WebSocket). */
  async accept(schema: GraphQLSchema, params: OperationParams): Promise<AcceptedOperation | Refusal> {
    const source = await this.sourceOf(params);
    return typeof source === 'string' ? this.check(schema, source, params) : source;
  }
}

export function isRefusal(value: AcceptedOperation | DocumentNode | Refusal | string): value is Refusal {
  return typeof value === 'object' && 'errors' in value && 'status' in value;
}

/** The operation a request names, as Apollo resolves it (the only one when no name is given). */
export function operationOf(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

/** Whether an operation's text is a subscription (cheaply: undefined when it does not even parse). */
export function isSubscriptionSource(source: string, operationName: unknown): boolean {
  if (!source.includes('subscription')) return false;
  try {
    const operation = operationOf(parse(source, { maxTokens: 10_000 }), typeof operationName === 'string' ? operationName : undefined);
    return operation?.operation === 'subscription';
  } catch {
    return false;
  }
}
