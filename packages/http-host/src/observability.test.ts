import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { RequestContext } from './index.ts';
import { startGraphQLHttpServer } from './index.ts';
import { createLogger } from '@storefront/telemetry';
import { createMetricsRegistry } from '@storefront/telemetry';
import { startOpsServer } from './index.ts';
import { tracesExportersFromEnv } from '@storefront/telemetry';

/** A JSON logger whose lines land in an array. */
function capturingLogger(service = 'test') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ service, level: 'info', destination }), lines };
}

describe('log redaction', () => {
  it('redacts credentials at the top level, nested, and in request headers', () => {
    const { logger, lines } = capturingLogger();
    logger.info(
      {
        password: 'hunter2',
        refreshToken: 'r-1',
        req: { headers: { authorization: 'Bearer abc', cookie: 'session=1', 'set-cookie': 'x=1', 'x-request-id': 'keep-me' } },
        variables: { input: { email: 'ada@example.com', password: 'hunter3', newPassword: 'hunter4' } },
        config: { databaseUrl: 'postgres://u:p@h/db', apiKey: 'k', clientSecret: 's' },
        session: { accessToken: 'a', token: 't' },
      },
      'sign in',
    );
    const [line] = lines;
    const text = JSON.stringify(line);
    for (const secret of ['hunter2', 'hunter3', 'hunter4', 'r-1', 'Bearer abc', 'session=1', 'x=1', 'postgres://', '"k"', '"s"', '"a"', '"t"']) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      password: '[redacted]',
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-request-id': 'keep-me' } },
      variables: { input: { email: 'ada@example.com', password: '[redacted]' } },
    });
  });
});

describe('request logs', () => {
  it('carry the request id and the trace id of the caller, or a new one, on every line of a request', async () => {
    const { logger, lines } = capturingLogger('subgraph');
    const apollo = new ApolloServer<RequestContext>({
      schema: buildSubgraphSchema({
        typeDefs: parse('type Query { hello: String }'),
        resolvers: { Query: { hello: (_: unknown, __: unknown, context: unknown) => ((context as RequestContext).logger.info('resolving'), 'world') } },
      }),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    await apollo.start();
    const server = await startGraphQLHttpServer<RequestContext>(
      { apollo, logger, maxBodyBytes: 10_000, context: async ({ requestId, logger: log, viewer }) => ({ requestId, logger: log, viewer }) },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const ask = (headers: Record<string, string>) =>
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ hello }"}' });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      expect((await ask({ 'x-request-id': 'req-42', traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).status).toBe(200);
      expect((await ask({})).status).toBe(200);
      const resolving = lines.filter((line) => line.msg === 'resolving');
      expect(resolving).toHaveLength(2);
      expect(resolving[0]).toMatchObject({ requestId: 'req-42', traceId, service: 'subgraph' });
      expect(resolving[1]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(resolving[1]!.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(resolving[1]!.traceId).not.toBe(traceId);
    } finally {
      await server.close();
      await apollo.stop();
    }
  });
});

describe('startOpsServer', () => {
  it('serves /health always, /ready from its checks, and /metrics', async () => {
    let redis = true;
    const registry = createMetricsRegistry('worker-test');
    const ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry, readiness: async () => ({ database: true, redis }) });
    try {
      const get = (path: string) => fetch(`${ops.url}${path}`);
      expect((await get('/health')).status).toBe(200);
      const ready = await get('/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', database: true, redis: true });
      redis = false;
      const notReady = await get('/ready');
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'unavailable', database: true, redis: false });
      expect((await get('/health')).status).toBe(200);
      const metrics = await get('/metrics');
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^process_resident_memory_bytes\{service="worker-test"\} \d+/m);
      expect((await get('/nope')).status).toBe(404);
    } finally {
      await ops.close();
    }
  });
});

describe('tracesExportersFromEnv', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(tracesExportersFromEnv({})).toEqual([]);
    expect(tracesExportersFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toEqual(['otlp']);
    expect(tracesExportersFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toEqual(['console']);
    expect(tracesExportersFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toEqual([]);
    expect(tracesExportersFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual([]);
    expect(() => tracesExportersFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/unsupported exporter/);
  });
});
