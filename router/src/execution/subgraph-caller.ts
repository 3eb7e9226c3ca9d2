import { type RequestContext } from '@storefront/http-host';
import { CLIENT_ADDRESS_HEADER } from '@storefront/identity';
import { untracedTraceparent, withSpan } from '@storefront/telemetry';
import type { GraphQLFormattedError } from 'graphql';
import type { SubgraphIdentity } from '../auth/index.ts';
import { hintFromHeader, type CacheHint, type EntityCache, type EntityCallResult } from '../cache/entity-cache.ts';
import type { RouterMetrics } from '../metrics.ts';
import type { CircuitBreakers } from '../protection/index.ts';
import { isObject, type JsonObject } from './data.ts';
import { InFlight } from './deduplication.ts';
import { ExecutionErrorCode, SubgraphCallError } from './errors.ts';
import type { SubgraphFetch, SubgraphFetchRequest, SubgraphFetchResult } from './plan-executor.ts';
import { SubgraphTransportError, type SubgraphHttp } from './subgraph-http.ts';

/*
 * Everything around one subgraph call: where it goes, the headers it carries (request id, trace context, the
 * router's signed identity for that subgraph), the circuit breaker, metrics and spans, the entity cache, the
 * Cache-Control hint folded into the response's policy, identical query fetches joined, and the answer
 * parsed once into what the executor merges.
 */

export interface SubgraphCallerOptions {
  http: SubgraphHttp;
  identity: SubgraphIdentity;
  breakers: CircuitBreakers;
  metrics: RouterMetrics;
  entityCache: EntityCache | undefined;
  /** Join identical concurrent query fetches (same subgraph, document, variables and identity). */
  deduplicateFetches: boolean;
  /** Deadline of one call to this subgraph. */
  timeoutMs(serviceName: string): number;
}

/** What a call needs of the client request it serves. */
export interface ClientRequest {
  context: RequestContext & { traceId?: string; clientAddress?: string; deadline?: number };
  /** The client operation's type: entities are cached, and fetches joined, only for queries. */
  operationKind: string;
  cachePolicy: { restrict(hint: CacheHint): void } | undefined;
}

const ACCEPT = 'application/graphql-response+json, application/json';

function parseAnswer(serviceName: string, status: number, text: string): SubgraphFetchResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SubgraphCallError(serviceName, ExecutionErrorCode.SUBGRAPH_INVALID_RESPONSE, `${serviceName} answered HTTP ${status} without a GraphQL response`);
  }
  if (!isObject(body) || (!('data' in body) && !Array.isArray(body.errors))) {
    throw new SubgraphCallError(serviceName, ExecutionErrorCode.SUBGRAPH_INVALID_RESPONSE, `${serviceName} answered HTTP ${status} without a GraphQL response`);
  }
  const data = body.data;
  const errors = Array.isArray(body.errors) ? (body.errors as GraphQLFormattedError[]) : undefined;
  return { data: isObject(data) ? data : null, ...(errors ? { errors } : {}) };
}

export class SubgraphCaller {
  private readonly inFlight = new InFlight<SubgraphFetchResult & { cacheControl?: string }>();
  private urls = new Map<string, URL>();

  constructor(private readonly options: SubgraphCallerOptions) {}

  /** Where each subgraph is served, for the supergraph now loaded. */
  useUrls(urls: ReadonlyMap<string, URL>): void {
    this.urls = new Map(urls);
  }

  /** The SubgraphFetch of one client request. */
  forRequest(client: ClientRequest): SubgraphFetch {
    const { context } = client;
    const traceparent = context.traceId ? untracedTraceparent(context.traceId) : undefined;
    return (request) =>
      withSpan('router.fetch', { attributes: { service: request.serviceName } }, async () => {
        const result = await this.viaEntityCache(request, client, traceparent);
        client.cachePolicy?.restrict(hintFromHeader(result.cacheControl));
        return result;
      });
  }

  private viaEntityCache(request: SubgraphFetchRequest, client: ClientRequest, traceparent: string | undefined): Promise<EntityCallResult> {
    const { entityCache } = this.options;
    if (!entityCache || !request.variables.representations) return this.joined(request, client, traceparent);
    return entityCache.process(
      request.serviceName,
      { query: request.query, variables: request.variables, clientOperation: client.operationKind, cachePolicy: client.cachePolicy },
      (representations) => this.joined({ ...request, variables: { ...request.variables, representations } }, client, traceparent),
    );
  }

  private joined(request: SubgraphFetchRequest, client: ClientRequest, traceparent: string | undefined): Promise<SubgraphFetchResult & { cacheControl?: string }> {
    const authorization = this.options.identity(request.serviceName, client.context);
    const body = JSON.stringify({ query: request.query, ...(request.operationName ? { operationName: request.operationName } : {}), variables: request.variables });
    if (!this.options.deduplicateFetches || request.operationKind !== 'query' || client.operationKind !== 'query') {
      return this.send(request.serviceName, body, authorization, client.context, traceparent, request.operationKind === 'query');
    }
    // The identity is part of the key: two viewers never share an answer, even to the same document.
    const key = `${request.serviceName}\0${authorization}\0${body}`;
    return this.inFlight.run(
      key,
      () => this.send(request.serviceName, body, authorization, client.context, traceparent, true),
      () => this.options.metrics.deduplicated('fetch'),
    );
  }

  private async send(
    serviceName: string,
    body: string,
    authorization: string,
    context: ClientRequest['context'],
    traceparent: string | undefined,
    retrySafe: boolean,
  ): Promise<SubgraphFetchResult & { cacheControl?: string }> {
    const url = this.urls.get(serviceName);
    if (!url) throw new SubgraphCallError(serviceName, ExecutionErrorCode.SUBGRAPH_UNAVAILABLE, `${serviceName} has no routing URL`);
    // A call gets its subgraph's deadline, or what is left of the request's budget when that is less.
    const remainingMs = context.deadline === undefined ? Infinity : context.deadline - Date.now();
    if (remainingMs <= 0) throw new SubgraphCallError(serviceName, ExecutionErrorCode.SUBGRAPH_TIMEOUT, `The request ran out of time before ${serviceName} could be asked`);
    const ownTimeoutMs = this.options.timeoutMs(serviceName);
    const timeoutMs = Math.min(ownTimeoutMs, remainingMs);
    const breaker = this.options.breakers.for(serviceName);
    if (!this.options.breakers.enabled) {
      // Breakers off: every call goes through.
    } else if (!breaker.tryAcquire()) {
      throw new SubgraphCallError(serviceName, ExecutionErrorCode.SUBGRAPH_UNAVAILABLE, `The ${serviceName} service is unavailable; its fields are missing from this response. Try again shortly.`);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT, authorization };
    if (context.requestId) headers['x-request-id'] = context.requestId;
    if (traceparent) headers.traceparent = traceparent;
    // Every call says whom it is for: the router resolved the address, and subgraphs answer only the router.
    if (context.clientAddress) headers[CLIENT_ADDRESS_HEADER] = context.clientAddress;
    let status: number;
    let text: string;
    let cacheControl: string | undefined;
    try {
      const response = await this.options.metrics.instrumentCall(serviceName, url.href, headers, () =>
        this.options.http.post(url, headers, body, timeoutMs, retrySafe),
      );
      ({ status, text } = response);
      cacheControl = response.header('cache-control');
    } catch (error) {
      const timedOut = error instanceof SubgraphTransportError && error.kind === 'timeout';
      // A call cut short by the request's budget was not given the subgraph's own deadline: no verdict on it.
      if (this.options.breakers.enabled) {
        if (timedOut && timeoutMs < ownTimeoutMs) breaker.abandoned();
        else breaker.failed(timedOut ? 'timeout' : 'error');
      }
      if (error instanceof SubgraphTransportError) {
        const code = error.kind === 'timeout' ? ExecutionErrorCode.SUBGRAPH_TIMEOUT : ExecutionErrorCode.SUBGRAPH_UNAVAILABLE;
        context.logger.warn({ subgraph: serviceName, err: error }, 'subgraph call failed');
        throw new SubgraphCallError(serviceName, code, error.kind === 'timeout' ? `${serviceName} did not answer in time` : `${serviceName} could not be reached`);
      }
      throw error;
    }
    if (this.options.breakers.enabled) {
      if (status >= 500) breaker.failed();
      else breaker.succeeded();
    }
    return { ...parseAnswer(serviceName, status, text), cacheControl };
  }
}

export type { JsonObject };
