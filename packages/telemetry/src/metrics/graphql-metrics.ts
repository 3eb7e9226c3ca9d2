import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import { boundedLabel, LATENCY_BUCKETS } from './registry.ts';

const ANONYMOUS = '(anonymous)';

/**
 * Per-operation GraphQL metrics as an Apollo Server plugin: requests, errors by code, latency. The operation
 * name is the one Apollo resolved (a client-chosen string, so its label is bounded); requests that failed
 * before an operation was known (parse/validation errors) count as "(anonymous)".
 */
export function graphqlMetricsPlugin<Context extends BaseContext>(registry: Registry, options: { maxOperationNames?: number } = {}): ApolloServerPlugin<Context> {
  const operationLabel = boundedLabel(options.maxOperationNames ?? 500);
  const requests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL operations answered, by operation name, type and outcome (success: no errors)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors in responses, by operation name and extensions.code',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to sending its response, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ operationName, operation }) {
          const span = trace.getActiveSpan();
          if (operationName) span?.setAttribute('graphql.operation.name', operationName);
          if (operation) span?.setAttribute('graphql.operation.type', operation.operation);
        },
        async willSendResponse({ operationName, operation, response }) {
          const operationNameLabel = operationLabel(operationName ?? ANONYMOUS);
          const type = operation?.operation ?? 'unknown';
          const responseErrors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const error of responseErrors) {
            errors.inc({ operation: operationNameLabel, code: String(error.extensions?.code ?? 'UNKNOWN') });
          }
          requests.inc({ operation: operationNameLabel, type, outcome: responseErrors.length ? 'error' : 'success' });
          duration.observe({ operation: operationNameLabel, type }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
