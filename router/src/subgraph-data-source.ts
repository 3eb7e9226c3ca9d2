import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { untracedTraceparent, type RequestContext } from '@storefront/common';
import type { SubgraphIdentity } from './auth/index.ts';
import type { EntityCache } from './cache/entity-cache.ts';

/**
 * Node's own fetch (undici: pooled keep-alive connections) with a deadline per subgraph call, so one slow
 * subgraph fails its part of the plan instead of holding the whole response.
 */
export function fetchWithTimeout(timeoutMs: number): Fetcher {
  return ((url: string, init?: RequestInit) =>
    fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher;
}

/**
 * How the router calls one subgraph: forwards the request id and trace id so logs join up across processes, and the
 * caller's identity as a signed internal token for this subgraph (router/src/auth) so subgraphs can authorize.
 * Client headers are never forwarded.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  private readonly entities: { cache: EntityCache; subgraph: string } | undefined;
  private readonly identity: { audience: string; authorizationFor: SubgraphIdentity } | undefined;

  constructor(config: ConstructorParameters<typeof RemoteGraphQLDataSource<RequestContext>>[0] & { entities?: { cache: EntityCache; subgraph: string } } & { identity?: { audience: string; authorizationFor: SubgraphIdentity } }) {
    const { entities, identity, ...remote } = config ?? {};
    super(remote);
    this.entities = entities;
    this.identity = identity;
  }

  /** With an entity cache, `_entities` fetches are answered from it where possible (router/src/cache/entity-cache.ts). */
  override process(options: GraphQLDataSourceProcessOptions<RequestContext>): ReturnType<RemoteGraphQLDataSource<RequestContext>['process']> {
    if (!this.entities) return super.process(options);
    return this.entities.cache.process(this.entities.subgraph, options, (next) => super.process(next));
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RequestContext>): void {
    // Health checks and schema loading run without a request context.
    const requestContext = context as Partial<RequestContext & { traceId: string }> | undefined;
    if (requestContext?.requestId) request.http?.headers.set('x-request-id', requestContext.requestId);
    // Carries the trace id on even with tracing off; the instrumented fetcher replaces it with its span's.
    if (requestContext?.traceId) request.http?.headers.set('traceparent', untracedTraceparent(requestContext.traceId));
    if (this.identity) request.http?.headers.set('authorization', this.identity.authorizationFor(this.identity.audience, requestContext));
  }
}
