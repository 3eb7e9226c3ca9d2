import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { viewerHeaders, type RequestContext } from '@storefront/common';

/**
 * Node's own fetch (undici: pooled keep-alive connections) with a deadline per subgraph call, so one slow
 * subgraph fails its part of the plan instead of holding the whole response.
 */
export function fetchWithTimeout(timeoutMs: number): Fetcher {
  return ((url: string, init?: RequestInit) =>
    fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as Fetcher;
}

/**
 * How the router calls one subgraph: forwards the request id so logs join up across processes, and the
 * caller's identity so subgraphs can authorize.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RequestContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RequestContext>): void {
    // Health checks and schema loading run without a request context.
    const { requestId, viewer } = context as Partial<RequestContext>;
    if (requestId) request.http?.headers.set('x-request-id', requestId);
    if (viewer) for (const [name, value] of Object.entries(viewerHeaders(viewer))) request.http?.headers.set(name, value);
  }
}
