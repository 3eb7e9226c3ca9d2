import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { loadRouterAuthConfig } from '../auth/index.ts';
import type { RouterConfig } from '../config.ts';
import { testRouterConfig } from '../test-config.ts';
import { startRouter, type RunningRouter } from '../router.ts';
import { DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker.ts';
import { DEFAULT_PROTECTION } from './config.ts';

/*
 * The router's protections on a supergraph that knows nothing of the store (and has no @cost / @listSize):
 * query depth and cost limits, CSRF prevention, introspection in production, and per-subgraph circuit
 * breakers with a subgraph that hangs.
 */

const silent = createLogger({ service: 'protection-test', level: 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

type Mode = 'ok' | 'hang';
let missionsMode: Mode = 'ok';
let missionsRequests = 0;
let astronomyRequests = 0;
/** Hanging resolvers wait on this, so stopping the servers at the end never waits for them. */
let releaseHung: () => void = () => undefined;
let hung = new Promise<void>((resolve) => (releaseHung = resolve));

const countRequests = (count: () => void) => ({
  async requestDidStart() {
    count();
  },
});

async function subgraph(sdl: string, resolvers: Record<string, unknown>, onRequest: () => void) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled(), countRequests(onRequest)],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { sdl, url, stop: () => server.stop() };
}

const PLANETS = [
  { id: 'p1', name: 'Mercury', moons: [] as string[] },
  { id: 'p2', name: 'Earth', moons: ['Moon'] },
];

let astronomy: Awaited<ReturnType<typeof subgraph>>;
let missions: Awaited<ReturnType<typeof subgraph>>;
let workdir: string;
let supergraphFile: string;

beforeAll(async () => {
  astronomy = await subgraph(
    `${LINK}
     type Query { planets: [Planet!]! planet(id: ID!): Planet }
     type Planet @key(fields: "id") { id: ID! name: String! moons: [Moon!]! neighbours: [Planet!]! }
     type Moon { name: String! }`,
    {
      Query: { planets: () => PLANETS, planet: (_: unknown, { id }: { id: string }) => PLANETS.find((p) => p.id === id) },
      Planet: {
        __resolveReference: ({ id }: { id: string }) => PLANETS.find((p) => p.id === id),
        moons: (planet: (typeof PLANETS)[number]) => planet.moons.map((name) => ({ name })),
        neighbours: () => PLANETS,
      },
    },
    () => (astronomyRequests += 1),
  );
  missions = await subgraph(
    `${LINK}
     type Planet @key(fields: "id") { id: ID! missions: [String!] }`,
    {
      Planet: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        missions: async ({ id }: { id: string }) => {
          if (missionsMode === 'hang') await hung;
          return [`${id}-probe`];
        },
      },
    },
    () => (missionsRequests += 1),
  );
  workdir = await mkdtemp(path.join(tmpdir(), 'protection-test-'));
  supergraphFile = path.join(workdir, 'supergraph.graphql');
  const result = compose([
    { name: 'astronomy', url: astronomy.url, sdl: astronomy.sdl },
    { name: 'missions', url: missions.url, sdl: missions.sdl },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  await writeFile(supergraphFile, result.supergraphSdl);
});

afterAll(async () => {
  releaseHung();
  await astronomy?.stop();
  await missions?.stop();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

async function routerWith(overrides: Partial<RouterConfig> = {}): Promise<RunningRouter> {
  const router = await startRouter(
    testRouterConfig(supergraphFile, overrides),
    silent,
  );
  const deadline = Date.now() + 10_000;
  while (!router.isLoaded()) {
    if (Date.now() > deadline) throw new Error('supergraph not loaded');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return router;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(router: RunningRouter, query: string, init: { headers?: Record<string, string>; raw?: string } = {}): Promise<Answer> {
  const response = await fetch(router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

describe('query depth and cost limits on any supergraph', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith({
      protection: { ...DEFAULT_PROTECTION, queryLimits: { maxDepth: 4, maxCost: 150, defaultListSize: 10, costWithoutHints: true } },
    });
  });
  afterAll(() => router?.close());

  it('answers operations within both limits', async () => {
    const { status, body } = await post(router, '{ planets { name moons { name } } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('refuses an operation nested deeper than MAX_QUERY_DEPTH with 400 QUERY_TOO_DEEP, before calling any subgraph', async () => {
    const before = astronomyRequests;
    const { status, body } = await post(router, '{ planets { neighbours { neighbours { neighbours { name } } } } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 5, maxDepth: 4 });
    expect(body.data).toBeUndefined();
    expect(astronomyRequests).toBe(before);
  });

  it('refuses an operation estimated above MAX_QUERY_COST with 400 COST_ESTIMATED_TOO_EXPENSIVE and the estimate', async () => {
    const before = astronomyRequests;
    // Lists without @listSize assume 10 items: planets 10 × (1 + neighbours 10 × (1 + moons 10 × 1)) = 1110.
    const { status, body } = await post(router, '{ planets { neighbours { moons { name } } } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 1_110, max: 150 } });
    expect(astronomyRequests).toBe(before);
  });

  it('counts fragments and aliases: the same work spelled differently costs the same', async () => {
    const { body } = await post(router, 'query { a: planets { ...N } b: planets { ...N } } fragment N on Planet { neighbours { name } }');
    // 2 × 10 × (1 + 10 × 1) = 220
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', cost: { estimated: 220 } });
  });

  it('by default estimates only supergraphs that state their costs: a foreign one without @cost/@listSize is not refused on guesses', async () => {
    const defaults = await routerWith({ protection: { ...DEFAULT_PROTECTION, queryLimits: { ...DEFAULT_PROTECTION.queryLimits, maxCost: 150 } } });
    try {
      // 1110 with every list guessed at 10 items: above the limit of 150, which applies only where costs are stated.
      const { status, body } = await post(defaults, '{ planets { neighbours { moons { name } } } }');
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    } finally {
      await defaults.close();
    }
  });
});

describe('requests a browser could send cross-site', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith();
  });
  afterAll(() => router?.close());

  it('refuses a simple GET (no preflight-forcing header) as a possible CSRF', async () => {
    const response = await fetch(`${router.url}?query=${encodeURIComponent('{ planets { name } }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('refuses a text/plain POST', async () => {
    const { status } = await post(router, '', { headers: { 'content-type': 'text/plain' }, raw: JSON.stringify({ query: '{ planets { name } }' }) });
    expect(status).toBe(400);
  });

  it('serves the same GET with a preflight-forcing header, and JSON POSTs', async () => {
    const response = await fetch(`${router.url}?query=${encodeURIComponent('{ planets { name } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(200);
    expect((await post(router, '{ planets { name } }')).status).toBe(200);
  });
});

describe('introspection', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';

  it('is on outside production and off in production', async () => {
    const development = await routerWith();
    try {
      expect((await post(development, INTROSPECT)).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await development.close();
    }
    // Production with the development token keys is refused by the auth settings; they are beside the point here.
    const production = await routerWith({ nodeEnv: 'production', auth: loadRouterAuthConfig({ NODE_ENV: 'test' }) });
    try {
      const { status, body } = await post(production, INTROSPECT);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors?.[0]?.message).toMatch(/introspection/i);
    } finally {
      await production.close();
    }
  });
});

describe('circuit breakers per subgraph', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith({
      // Long enough that a healthy call on a loaded CI machine never counts as a failure.
      subgraphTimeoutMs: 1_000,
      protection: { ...DEFAULT_PROTECTION, circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, failureThreshold: 5, timeoutThreshold: 2, cooldownMs: 1_500 } },
    });
  });
  afterAll(async () => {
    missionsMode = 'ok';
    await router?.close();
  });

  const QUERY = '{ planets { name missions } }';

  it('opens on two timeouts (fewer than the failures in a row it also opens on), answers the rest of the query without calling the failing subgraph, then probes and closes', async () => {
    missionsMode = 'hang';
    // Two timeouts: partial data each time (names from astronomy), the missions part failed.
    for (let i = 0; i < 2; i += 1) {
      const { body } = await post(router, QUERY);
      expect(body.data).toEqual({ planets: [{ name: 'Mercury', missions: null }, { name: 'Earth', missions: null }] });
      expect(body.errors?.length).toBeGreaterThan(0);
    }
    // Open: missions is not called at all, the error says why, astronomy still answers.
    const callsWhenOpened = missionsRequests;
    const open = await post(router, QUERY);
    expect(open.status).toBe(200);
    expect(open.body.data).toEqual({ planets: [{ name: 'Mercury', missions: null }, { name: 'Earth', missions: null }] });
    expect(open.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'missions' }) })]);
    expect(missionsRequests).toBe(callsWhenOpened);

    // After the cooldown one probe goes through; the subgraph has recovered, so the circuit closes.
    missionsMode = 'ok';
    releaseHung();
    hung = new Promise<void>((resolve) => (releaseHung = resolve));
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const probe = await post(router, QUERY);
    expect(probe.body.errors).toBeUndefined();
    expect(probe.body.data).toEqual({ planets: [{ name: 'Mercury', missions: ['p1-probe'] }, { name: 'Earth', missions: ['p2-probe'] }] });
    expect(missionsRequests).toBe(callsWhenOpened + 1);
    expect((await post(router, QUERY)).body.errors).toBeUndefined();
  });
});
