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
import { testRouterConfig } from './test-config.ts';
import { startRouter, type RunningRouter } from './router.ts';

/*
 * The router is a general gateway: these tests give it a supergraph that has nothing to do with the store,
 * served by throwaway subgraphs, and check loading, hot reload and shutdown.
 */

const silent = createLogger({ service: 'router-test', level: 'silent' });

interface ForeignSubgraph {
  name: string;
  sdl: string;
  url: string;
  stop(): Promise<void>;
}

async function foreignSubgraph(name: string, sdl: string, resolvers: Record<string, unknown>): Promise<ForeignSubgraph> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { name, sdl, url, stop: () => server.stop() };
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])';
const PLANETS = [
  { id: 'p1', name: 'Mercury', slowMs: 0 },
  { id: 'p2', name: 'Venus', slowMs: 0 },
];

let astronomy: ForeignSubgraph;
let missions: ForeignSubgraph;
let workdir: string;

beforeAll(async () => {
  astronomy = await foreignSubgraph(
    'astronomy',
    `${LINK}
     type Query { planets: [Planet!]! slow(ms: Int!): String! }
     type Planet @key(fields: "id") { id: ID! name: String! }`,
    {
      Query: {
        planets: () => PLANETS,
        slow: async (_: unknown, { ms }: { ms: number }) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          return 'done';
        },
      },
      Planet: { __resolveReference: ({ id }: { id: string }) => PLANETS.find((p) => p.id === id) },
    },
  );
  missions = await foreignSubgraph(
    'missions',
    `${LINK}
     type Planet @key(fields: "id") { id: ID! missions: [String!]! }`,
    { Planet: { __resolveReference: ({ id }: { id: string }) => ({ id }), missions: ({ id }: { id: string }) => [`${id}-probe`] } },
  );
});

afterAll(async () => {
  await astronomy?.stop();
  await missions?.stop();
});

beforeEach(async () => {
  workdir = await mkdtemp(path.join(tmpdir(), 'router-test-'));
});
afterEach(() => rm(workdir, { recursive: true, force: true }));

function supergraphOf(...subgraphs: ForeignSubgraph[]): string {
  const result = compose(subgraphs.map(({ name, sdl, url }) => ({ name, sdl, url })));
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.supergraphSdl;
}


async function query(router: RunningRouter, document: string) {
  const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: document }) });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ extensions?: { code?: string } }> } };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const probe = async (router: RunningRouter, path: '/health' | '/ready') => (await fetch(router.url.replace('/graphql', path))).status;
const ready = (router: RunningRouter) => probe(router, '/ready');

it('serves any supergraph file, planning entity fetches across its subgraphs', async () => {
  const file = path.join(workdir, 'supergraph.graphql');
  await writeFile(file, supergraphOf(astronomy, missions));
  const router = await startRouter(testRouterConfig(file), silent);
  try {
    await eventually(async () => router.isLoaded());
    const { status, body } = await query(router, '{ planets { name missions } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ planets: [{ name: 'Mercury', missions: ['p1-probe'] }, { name: 'Venus', missions: ['p2-probe'] }] });
  } finally {
    await router.close();
  }
});

it('answers 503 until a valid supergraph appears, then loads it without a restart', async () => {
  const file = path.join(workdir, 'later.graphql');
  const router = await startRouter(testRouterConfig(file), silent);
  try {
    expect(await ready(router)).toBe(503);
    // Alive all along: restarting a router that waits for its supergraph would not bring it sooner.
    expect(await probe(router, '/health')).toBe(200);
    const early = await query(router, '{ planets { name } }');
    expect(early.status).toBe(503);
    expect(early.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    await writeFile(file, 'this is not a supergraph');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await ready(router)).toBe(503);
    await writeFile(file, supergraphOf(astronomy));
    await eventually(async () => (await ready(router)) === 200);
    expect((await query(router, '{ planets { name } }')).body.data).toEqual({ planets: [{ name: 'Mercury' }, { name: 'Venus' }] });
  } finally {
    await router.close();
  }
});

it('hot-reloads a changed supergraph and ignores an invalid one', async () => {
  const file = path.join(workdir, 'supergraph.graphql');
  await writeFile(file, supergraphOf(astronomy));
  const router = await startRouter(testRouterConfig(file), silent);
  try {
    await eventually(async () => router.isLoaded());
    expect((await query(router, '{ planets { missions } }')).status).toBe(400);

    await writeFile(file, supergraphOf(astronomy, missions));
    await eventually(async () => (await query(router, '{ planets { missions } }')).status === 200);

    await writeFile(file, 'schema { query: Broken }');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const still = await query(router, '{ planets { name missions } }');
    expect(still.status).toBe(200);
    expect(still.body.data?.planets).toHaveLength(2);
    expect(await ready(router)).toBe(200);
  } finally {
    await router.close();
  }
});

it('routes to SUBGRAPH_<NAME>_URL overrides instead of the URLs in the supergraph', async () => {
  const file = path.join(workdir, 'supergraph.graphql');
  const moved = { ...astronomy, url: 'http://127.0.0.1:9/graphql' };
  await writeFile(file, supergraphOf(moved));
  const router = await startRouter(testRouterConfig(file, { subgraphUrls: { astronomy: astronomy.url } }), silent);
  try {
    await eventually(async () => router.isLoaded());
    expect((await query(router, '{ planets { id } }')).body.data).toEqual({ planets: [{ id: 'p1' }, { id: 'p2' }] });
  } finally {
    await router.close();
  }
});

it('finishes in-flight requests when shutting down, and refuses new connections', async () => {
  const file = path.join(workdir, 'supergraph.graphql');
  await writeFile(file, supergraphOf(astronomy));
  const router = await startRouter(testRouterConfig(file), silent);
  await eventually(async () => router.isLoaded());
  const inFlight = query(router, '{ slow(ms: 400) }');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = router.close();
  expect((await inFlight).body.data).toEqual({ slow: 'done' });
  await closing;
  await expect(fetch(router.url.replace('/graphql', '/health'))).rejects.toThrow();
});
