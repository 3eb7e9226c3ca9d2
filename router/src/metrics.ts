import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type GraphQLHttpHostOptions, type RequestContext } from '@storefront/http-host';
import { LATENCY_BUCKETS, recordSpanError, storefrontTracer } from '@storefront/telemetry';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CacheCounters } from './cache/index.ts';

/** The router's own metrics, beside the shared HTTP and GraphQL ones: subgraph calls, caches, rate limits. */
export interface RouterMetrics {
  /** One HTTP call to `subgraph`, with a client span, W3C trace context added to `headers`, and latency/error metrics. */
  instrumentCall<T extends { status: number }>(subgraph: string, url: string, headers: Record<string, string>, call: () => Promise<T>): Promise<T>;
  /** Counts a request or subgraph fetch answered by joining an identical one already in flight. */
  deduplicated(kind: 'operation' | 'fetch'): void;
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
  const deduplicated = new Counter({
    name: 'router_deduplicated_total',
    help: 'Client operations (kind=operation) and subgraph fetches (kind=fetch) that joined an identical one in flight instead of running again',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const tracer = storefrontTracer();
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
    async instrumentCall(subgraph, url, headers, call) {
      const span = tracer.startSpan(`POST ${subgraph}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': 'POST', 'url.full': url, 'storefront.subgraph': subgraph },
      });
      // Replaces the request-id-only traceparent, now that a real span exists (a no-op while tracing is off).
      propagation.inject(trace.setSpan(context.active(), span), headers);
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const response = await call();
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 500) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          fetchErrors.inc({ subgraph, reason: `http_${response.status}` });
        }
        fetchDuration.observe({ subgraph, outcome: response.status >= 500 ? 'http_error' : 'ok' }, seconds());
        return response;
      } catch (error) {
        recordSpanError(span, error);
        const timeout = (error as { kind?: unknown }).kind === 'timeout';
        fetchErrors.inc({ subgraph, reason: timeout ? 'timeout' : 'network' });
        fetchDuration.observe({ subgraph, outcome: 'network_error' }, seconds());
        throw error;
      } finally {
        span.end();
      }
    },
    deduplicated(kind) {
      deduplicated.inc({ kind });
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
