/*
 * What operators see of a federated request: metrics on /metrics of the router and of each subgraph, and one
 * trace:  router server span → gateway spans → a client span per subgraph call
 * (W3C traceparent on the wire) → the subgraph's server span → Prisma Client's operation spans → SQL spans. Router and two subgraphs run in
 * this process over real HTTP on real Postgres, exporting into memory.
 */
import { postGraphQL } from '@storefront/testing';
import { startInMemoryTracing } from '@storefront/telemetry';
import { eventually, PRODUCTS_WITH_STOCK, samples, startTwoSubgraphStack, total, type TwoSubgraphStack } from './support.ts';

const SERVER = 1; // SpanKind.SERVER
const CLIENT = 2; // SpanKind.CLIENT

let tracing: ReturnType<typeof startInMemoryTracing>;
let stack: TwoSubgraphStack;

beforeAll(async () => {
  tracing = startInMemoryTracing('observability-test');
  stack = await startTwoSubgraphStack();
});

afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
});

type Span = ReturnType<typeof tracing.exporter.getFinishedSpans>[number];

it('links router, subgraph fetches, subgraph servers and SQL in one trace', async () => {
  tracing.exporter.reset();
  const { status, body } = await postGraphQL(stack.router.url, { query: PRODUCTS_WITH_STOCK });
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  expect((body.data as { products: { edges: unknown[] } }).products.edges).toHaveLength(3);

  const spans = () => tracing.exporter.getFinishedSpans();
  const serverSpanOn = (port: number) => spans().find((s) => s.kind === SERVER && s.attributes['server.port'] === port);
  await eventually(() => Boolean(serverSpanOn(stack.router.port)), 'the router server span');

  const root = serverSpanOn(stack.router.port)!;
  expect(root.parentSpanId).toBeUndefined();
  expect(root.attributes['graphql.operation.name']).toBe('ProductsWithStock');
  const traceId = root.spanContext().traceId;
  const trace = spans().filter((s) => s.spanContext().traceId === traceId);
  const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (span: Span) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);
  const ancestorsOf = (span: Span) => {
    const chain: Span[] = [];
    for (let parent = parentOf(span); parent; parent = parentOf(parent)) chain.push(parent);
    return chain;
  };

  // Every span of the request, in every "process", descends from the router's server span.
  for (const span of trace) if (span !== root) expect(ancestorsOf(span)).toContain(root);
  expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(['router.request', 'router.plan', 'router.execute', 'router.fetch']));

  for (const [name, subgraph] of [
    ['catalog', stack.catalog],
    ['inventory', stack.inventory],
  ] as const) {
    const fetch = trace.find((s) => s.name === 'router.fetch' && s.attributes.service === name);
    expect(fetch).toBeDefined();
    const client = trace.find((s) => s.kind === CLIENT && s.attributes['storefront.subgraph'] === name);
    expect(client && parentOf(client)).toBe(fetch);
    expect(client!.attributes['http.response.status_code']).toBe(200);

    const server = trace.find((s) => s.kind === SERVER && s.attributes['server.port'] === subgraph.subgraph.port);
    expect(server).toBeDefined();
    // The subgraph continued the router's trace from the traceparent header: its server span's parent is the client span.
    expect(server!.parentSpanId).toBe(client!.spanContext().spanId);

    const sql = trace.filter((s) => s.kind === CLIENT && s.attributes['db.system'] === 'postgresql' && ancestorsOf(s).includes(server!));
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.every((s) => typeof s.attributes['db.query.text'] === 'string' && s.attributes['db.query.text'].length > 0)).toBe(true);
    // Prisma Client's own spans sit between the server and the SQL: one per model call, naming it.
    const operations = trace.filter((s) => s.name === 'prisma:client:operation' && ancestorsOf(s).includes(server!));
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.every((s) => typeof s.attributes.method === 'string')).toBe(true);
    expect(sql.some((s) => ancestorsOf(s).some((a) => operations.includes(a)))).toBe(true);
  }
  // Not Prisma's db_query span too: it would repeat each SQL span one level up.
  expect(trace.filter((s) => s.name === 'prisma:client:db_query')).toEqual([]);
});

it('records no SQL spans outside a trace, and starts no trace for probes and scrapes', async () => {
  tracing.exporter.reset();
  const base = stack.catalog.subgraph.url.replace('/graphql', '');
  expect((await fetch(`${base}/ready`)).status).toBe(200); // runs SELECT 1
  expect((await fetch(`${base}/metrics`)).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(tracing.exporter.getFinishedSpans()).toEqual([]);
});

describe('/metrics', () => {
  const scrape = async (graphqlUrl: string) => {
    const response = await fetch(graphqlUrl.replace('/graphql', '/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it('shows per-operation, per-subgraph, cache, refusal and process metrics on the router', async () => {
    for (let i = 0; i < 2; i++) expect((await postGraphQL(stack.router.url, { query: PRODUCTS_WITH_STOCK })).status).toBe(200);
    await eventually(async () => total(await scrape(stack.router.url), 'http_server_requests_total', { route: '/graphql', status: '200' }) >= 2, 'requests counted');
    const text = await scrape(stack.router.url);
    const operation = { operation: 'ProductsWithStock', type: 'query', service: 'router' };
    expect(total(text, 'graphql_requests_total', { ...operation, outcome: 'success' })).toBeGreaterThanOrEqual(2);
    expect(total(text, 'graphql_request_duration_seconds_count', operation)).toBeGreaterThanOrEqual(2);
    expect(samples(text, 'graphql_request_duration_seconds_bucket', operation).length).toBeGreaterThan(5);
    for (const subgraph of ['catalog', 'inventory']) {
      expect(total(text, 'router_subgraph_fetch_duration_seconds_count', { subgraph, outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    }
    expect(text).toContain('# TYPE router_subgraph_fetch_errors_total counter');
    // The first request planned (a miss), the second found its plan in the cache (a hit).
    expect(total(text, 'router_cache_misses_total', { cache: 'queryPlans' })).toBeGreaterThanOrEqual(1);
    expect(total(text, 'router_cache_hits_total', { cache: 'queryPlans' })).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE router_requests_refused_total counter');
    expect(samples(text, 'process_cpu_user_seconds_total', { service: 'router' })).toHaveLength(1);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('shows request, error, latency and database pool metrics on a subgraph', async () => {
    expect((await postGraphQL(stack.router.url, { query: PRODUCTS_WITH_STOCK })).status).toBe(200);
    // Called without the router's signed identity: 401 before GraphQL, counted by route and status.
    expect((await fetch(stack.catalog.subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(401);
    const text = await scrape(stack.catalog.subgraph.url);
    // The gateway names subgraph operations after the client's: ProductsWithStock__catalog__0.
    const operation = { operation: /^ProductsWithStock__catalog__\d+$/, type: 'query', service: 'catalog' };
    expect(total(text, 'graphql_requests_total', { ...operation, outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(total(text, 'graphql_request_duration_seconds_count', operation)).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE graphql_errors_total counter');
    expect(total(text, 'http_server_requests_total', { method: 'POST', route: '/graphql', status: '401' })).toBe(1);
    for (const state of ['total', 'idle', 'waiting']) expect(samples(text, 'db_pool_connections', { state, service: 'catalog' })).toHaveLength(1);
    expect(total(text, 'db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('counts GraphQL errors by operation and code', async () => {
    const { status } = await postGraphQL(stack.router.url, { query: 'query Broken { products(first: 1) { nope } }' });
    expect(status).toBe(400);
    await eventually(
      async () => total(await scrape(stack.router.url), 'graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }) === 1,
      'the validation error counted',
    );
    const text = await scrape(stack.router.url);
    expect(samples(text, 'graphql_requests_total', { outcome: 'error' }).length).toBe(1);
  });
});

describe('/health and /ready', () => {
  it('answers alive and ready on the router and the subgraphs', async () => {
    for (const url of [stack.router.url, stack.catalog.subgraph.url, stack.inventory.subgraph.url]) {
      expect((await fetch(url.replace('/graphql', '/health'))).status).toBe(200);
      const ready = await fetch(url.replace('/graphql', '/ready'));
      expect(ready.status).toBe(200);
    }
    const router = (await (await fetch(stack.router.url.replace('/graphql', '/ready'))).json()) as Record<string, unknown>;
    expect(router).toMatchObject({ status: 'ok', supergraph: 'loaded', redis: expect.stringMatching(/^(up|down)$/) });
  });
});
