import { createSecretKey, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ACCESS_TOKEN_DEFAULTS, DEVELOPMENT_JWT_SECRET } from '@storefront/identity';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { SignJWT } from 'jose';
import type { RouterConfig } from '../config.ts';
import { startRouter, type RunningRouter } from '../router.ts';
import { testRouterConfig } from '../test-config.ts';

/*
 * In-flight deduplication, counted: identical concurrent queries of one caller run once, and so do identical
 * subgraph fetches; different callers, and mutations, never share anything.
 */

const silent = createLogger({ service: 'dedup-test', level: 'silent' });
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const SDL = `${LINK}
  type Query { slow(tag: String!): String! whoami: String }
  type Mutation { bump: Int! }`;

const calls: { slow: number; bump: number } = { slow: 0, bump: 0 };
let server: ApolloServer<{ authorization?: string }>;
let subgraphUrl: string;
let workdir: string;
let supergraphPath: string;

beforeAll(async () => {
  server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(SDL),
      resolvers: {
        Query: {
          slow: async (_: unknown, { tag }: { tag: string }) => {
            calls.slow += 1;
            await new Promise((resolve) => setTimeout(resolve, 300));
            return tag;
          },
        },
        Mutation: {
          bump: () => {
            calls.bump += 1;
            return calls.bump;
          },
        },
      } as never,
    }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  subgraphUrl = (await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } })).url;
  const composed = compose([{ name: 'slowpoke', url: subgraphUrl, sdl: SDL }]);
  if (!composed.ok) throw new Error(composed.errors.join('\n'));
  workdir = await mkdtemp(path.join(tmpdir(), 'dedup-'));
  supergraphPath = path.join(workdir, 'supergraph.graphql');
  await writeFile(supergraphPath, composed.supergraphSdl);
});

afterAll(async () => {
  await server?.stop();
  await rm(workdir, { recursive: true, force: true });
});

async function routerWith(deduplication: RouterConfig['deduplication']): Promise<RunningRouter> {
  const router = await startRouter(testRouterConfig(supergraphPath, { deduplication }), silent);
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
  return router;
}

async function tokenFor(userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['CUSTOMER'], scope: 'orders:read' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(ACCESS_TOKEN_DEFAULTS.issuer)
    .setAudience(ACCESS_TOKEN_DEFAULTS.audience)
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(createSecretKey(Buffer.from(DEVELOPMENT_JWT_SECRET)));
}

async function post(router: RunningRouter, query: string, token?: string): Promise<{ data?: Record<string, unknown> }> {
  const response = await fetch(router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown> };
}

async function deduplicated(router: RunningRouter, kind: 'operation' | 'fetch'): Promise<number> {
  const text = await (await fetch(router.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`router_deduplicated_total{kind="${kind}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('with deduplication on', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await routerWith({ operations: true, subgraphFetches: true });
  });
  afterAll(() => router?.close());

  it('runs identical concurrent queries of one caller once, and counts the joins', async () => {
    const before = calls.slow;
    const tag = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(router, `{ slow(tag: "${tag}") }`)));
    expect(answers.map((answer) => answer.data)).toEqual(Array.from({ length: 5 }, () => ({ slow: tag })));
    expect(calls.slow - before).toBe(1);
    expect(await deduplicated(router, 'operation')).toBeGreaterThanOrEqual(4);
  });

  it('never lets an answer cross callers: each user and the anonymous caller get their own execution', async () => {
    const before = calls.slow;
    const tag = randomUUID();
    const [ann, bob] = await Promise.all([tokenFor(randomUUID()), tokenFor(randomUUID())]);
    await Promise.all([post(router, `{ slow(tag: "${tag}") }`, ann), post(router, `{ slow(tag: "${tag}") }`, bob), post(router, `{ slow(tag: "${tag}") }`)]);
    expect(calls.slow - before).toBe(3);
  });

  it('joins identical subgraph fetches of different client operations', async () => {
    const before = calls.slow;
    const joinedBefore = await deduplicated(router, 'fetch');
    const tag = randomUUID();
    // Two documents (different text, so different operations) whose fetch to the subgraph is the same.
    await Promise.all([post(router, `{ slow(tag: "${tag}") }`), post(router, `{slow(tag:"${tag}")}`)]);
    expect(calls.slow - before).toBe(1);
    expect(await deduplicated(router, 'fetch')).toBe(joinedBefore + 1);
  });

  it('never joins mutations', async () => {
    const before = calls.bump;
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(router, 'mutation { bump }')));
    expect(calls.bump - before).toBe(4);
    expect(new Set(answers.map((answer) => answer.data?.bump)).size).toBe(4);
  });
});

it('runs every request on its own with deduplication off', async () => {
  const router = await routerWith({ operations: false, subgraphFetches: false });
  try {
    const before = calls.slow;
    const tag = randomUUID();
    await Promise.all(Array.from({ length: 3 }, () => post(router, `{ slow(tag: "${tag}") }`)));
    expect(calls.slow - before).toBe(3);
  } finally {
    await router.close();
  }
});
