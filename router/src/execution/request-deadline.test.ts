import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { DEFAULT_CIRCUIT_BREAKER } from '../protection/circuit-breaker.ts';
import { DEFAULT_PROTECTION } from '../protection/config.ts';
import type { RouterConfig } from '../config.ts';
import { startRouter, type RunningRouter } from '../router.ts';
import { testRouterConfig } from '../test-config.ts';

/*
 * The request's budget (ROUTER_REQUEST_TIMEOUT_MS): each subgraph call gets its own deadline or what is left of
 * the request's, whichever is less, so a plan that calls a hung subgraph twice in a row waits about the budget,
 * not twice the deadline; a call cut short by the budget is no verdict on the subgraph's health (its breaker
 * does not count it). Mutations run their root fields in order, which makes the sequence here.
 */

const silent = createLogger({ service: 'deadline-test', level: 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const FROZEN_SDL = `${LINK} type Query { ping: Int } type Mutation { hang: Int }`;
const LEDGER_SDL = `${LINK} type Query { entries: Int } type Mutation { record: Int! }`;
const SUBGRAPH_DEADLINE_MS = 2_000;
const REQUEST_BUDGET_MS = 2_600;

let ledger: ApolloServer;
let frozen: Server;
const sockets = new Set<Socket>();
let recorded = 0;
let router: RunningRouter;
let config: RouterConfig;
let workdir: string;

beforeAll(async () => {
  ledger = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(LEDGER_SDL), resolvers: { Query: { entries: () => recorded }, Mutation: { record: () => (recorded += 1) } } as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const ledgerUrl = (await startStandaloneServer(ledger, { listen: { port: 0, host: '127.0.0.1' } })).url;
  // Accepts and reads, never answers: a SIGSTOPped process.
  frozen = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
  const frozenUrl = `http://127.0.0.1:${(frozen.address() as { port: number }).port}/graphql`;
  const composed = compose([
    { name: 'frozen', url: frozenUrl, sdl: FROZEN_SDL },
    { name: 'ledger', url: ledgerUrl, sdl: LEDGER_SDL },
  ]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  workdir = await mkdtemp(path.join(tmpdir(), 'deadline-'));
  const supergraphPath = path.join(workdir, 'supergraph.graphql');
  await writeFile(supergraphPath, composed.supergraphSdl);
  config = testRouterConfig(supergraphPath, {
    subgraphTimeoutMs: SUBGRAPH_DEADLINE_MS,
    requestTimeoutMs: REQUEST_BUDGET_MS,
    protection: { ...DEFAULT_PROTECTION, circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, timeoutThreshold: 2, cooldownMs: 60_000 } },
  });
  router = await startRouter(config, silent);
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  await router?.close();
  await ledger?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => frozen.close(() => resolve()));
  await rm(workdir, { recursive: true, force: true });
});

async function post(query: string): Promise<{ data?: Record<string, unknown> | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> }> {
  const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await response.json()) as Awaited<ReturnType<typeof post>>;
}

it('gives a second call to a hung subgraph only what is left of the request’s budget, and does not count that cut call against it', async () => {
  const started = performance.now();
  const body = await post('mutation { first: hang record second: hang }');
  const elapsed = performance.now() - started;
  expect(body.data).toEqual({ first: null, record: 1, second: null });
  expect(body.errors?.map((error) => [error.path, error.extensions?.code, error.extensions?.serviceName])).toEqual([
    [['first'], 'SUBGRAPH_TIMEOUT', 'frozen'],
    [['second'], 'SUBGRAPH_TIMEOUT', 'frozen'],
  ]);
  // Two full deadlines would be 4 s; the budget ends it at about 2.6 s.
  expect(elapsed).toBeGreaterThanOrEqual(REQUEST_BUDGET_MS - 50);
  expect(elapsed).toBeLessThan(2 * SUBGRAPH_DEADLINE_MS);
  // One timeout counted (the first call's), not two: the circuit is still closed, so a new request calls it again.
  const again = await post('mutation { first: hang }');
  expect(again.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_TIMEOUT');
});

it('refuses a call the budget has no time left for, without calling the subgraph', async () => {
  const tight = await startRouter({ ...config, requestTimeoutMs: 500 }, silent);
  try {
    while (!tight.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
    const before = recorded;
    const response = await fetch(tight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { first: hang record }' }) });
    const body = (await response.json()) as Awaited<ReturnType<typeof post>>;
    expect(body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['first'], 'SUBGRAPH_TIMEOUT'],
      [['record'], 'SUBGRAPH_TIMEOUT'],
    ]);
    expect(recorded).toBe(before);
  } finally {
    await tight.close();
  }
});
