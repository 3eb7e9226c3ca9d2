import type { Fetcher } from '@apollo/utils.fetcher';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { LATENCY_BUCKETS, recordSpanError, storefrontTracer, type GraphQLHttpHostOptions, type RequestContext } from '@storefront/common';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CacheCounters } from './cache/index.ts';

/** The router's own metrics, beside the shared HTTP and GraphQL ones: subgraph calls, caches, rate limits. */
export interface RouterMetrics {
  /** `fetcher` with a client span, W3C trace context on the request, and latency/error metrics for `subgraph`. */
  instrumentFetcher(subgraph: string, fetcher: Fetcher): Fetcher;
  /** The HTTP host's `admit` hook, counting the requests it turns away. */
  countRefusals(admit: GraphQLHttpHostOptions<RequestContext>['admit']): GraphQLHttpHostOptions<RequestContext>['admit'];
}

const CACHE_COUNTERS: ReadonlyArray<[keyof CacheCounters, string, string]> = [
  ['hits', 'router_cache_hits_total', 'Lookups answered from the cache, by cache (apq, queryPlans, responses, entities, safelist)'],
  ['misses', 'router_cache_misses_total', 'Lookups the cache could not answer, by cache'],
  ['errors', 'router_cache_errors_total', 'Cache lookups skipped or failed because Redis was down or slow, by cache'],
  ['writes', 'router_cache_writes_total', 'Values written to the cache, by cache'],
  ['invalidations', 'router_cache_invalidations_total', 'Entries dropped by invalidation, by cache'],
];

export function createRouterMetrics(registry: Registry, cacheStats: () => Record<string, CacheCounters>): RouterMetrics {
  const fetchDuration = new Histogram({
    name: 'router_subgraph_fetch_duration_seconds',
    help: 'Time of each HTTP call to a subgraph, by subgraph and outcome (ok, http_error, network_error)',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const fetchErrors = new Counter({
    name: 'router_subgraph_fetch_errors_total',
    help: 'Subgraph calls that failed: 5xx answers, timeouts, refused connections, by subgraph and reason',
    labelNames: ['subgraph', 'reason'] as const,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'router_requests_refused_total',
    help: 'Requests turned away before GraphQL ran, by error code (RATE_LIMITED: rate-limit rejections)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  for (const [field, name, help] of CACHE_COUNTERS) {
    // The caches count in process (router/src/cache/stats.ts); each scrape copies the running totals.
    new Counter({
      name,
      help,
      labelNames: ['cache'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [cache, counters] of Object.entries(cacheStats())) this.inc({ cache }, counters[field]);
      },
    });
  }

  return {
    instrumentFetcher(subgraph, fetcher) {
      const tracer = storefrontTracer();
      return (async (url: string, init?: Parameters<Fetcher>[1]) => {
        const method = init?.method ?? 'POST';
        const span = tracer.startSpan(`${method} ${subgraph}`, {
          kind: SpanKind.CLIENT,
          attributes: { 'http.request.method': method, 'url.full': url, 'storefront.subgraph': subgraph },
        });
        const headers: Record<string, string> = { ...init?.headers };
        // Replaces the request-id-only traceparent the data source set, now that a real span exists.
        propagation.inject(trace.setSpan(context.active(), span), headers);
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const response = await fetcher(url, { ...init, headers });
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 500) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            fetchErrors.inc({ subgraph, reason: `http_${response.status}` });
          }
          fetchDuration.observe({ subgraph, outcome: response.status >= 500 ? 'http_error' : 'ok' }, seconds());
          return response;
        } catch (error) {
          recordSpanError(span, error);
          const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
          fetchErrors.inc({ subgraph, reason: timeout ? 'timeout' : 'network' });
          fetchDuration.observe({ subgraph, outcome: 'network_error' }, seconds());
          throw error;
        } finally {
          span.end();
        }
      }) as Fetcher;
    },
    countRefusals(admit) {
      if (!admit) return undefined;
      return async (request, req) => {
        const refusal = await admit(request, req);
        if (refusal) refusals.inc({ code: refusal.code });
        return refusal;
      };
    },
  };
}
