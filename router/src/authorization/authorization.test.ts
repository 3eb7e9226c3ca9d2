import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { type RequestContext } from '@storefront/http-host';
import { viewerWithRoles, type Viewer } from '@storefront/identity';
import { createLogger, createMetricsRegistry } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { parse } from 'graphql';
import { createSubgraphIdentity, loadRouterAuthConfig } from '../auth/index.ts';
import { FederationEngine, SubgraphCaller, SubgraphHttp } from '../execution/index.ts';
import { createRouterMetrics } from '../metrics.ts';
import { CircuitBreakers, DEFAULT_CIRCUIT_BREAKER } from '../protection/index.ts';
import { withRouterEnforcedSecurity } from './enforced-features.ts';
import { accessRulesOf } from './rules.ts';
import { withAuthorization } from './with-authorization.ts';

/*
 * Router-side authorization on a small supergraph unrelated to the store: two real subgraphs over HTTP, the
 * real gateway, and the directives in every position they can take. Each subgraph counts what it is asked.
 */

const silent = createLogger({ service: 'authorization-test', level: 'silent' });
const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@policy", "@override"])';

const SHOP = `${LINK}
  type Query {
    hello: String!
    secret: String @authenticated
    adminCount: Int! @requiresScopes(scopes: [["admin"]])
    things: [Thing!]!
    maybeThing: Thing
    missingThing: Thing
    pets: [Pet]!
  }
  type Mutation {
    publicMutation: Boolean!
    privateMutation: Boolean! @authenticated
  }
  type Thing @key(fields: "id") {
    id: ID!
    name: String!
    hidden: String @authenticated
    code: String! @requiresScopes(scopes: [["read:code", "extra"], ["admin"]])
  }
  union Pet = Cat | Dog
  type Cat { name: String! }
  type Dog @authenticated { name: String! barks: Boolean! }
`;
const VAULT = `${LINK}
  type Thing @key(fields: "id") {
    id: ID!
    vaultNote: String @policy(policies: [["vault_reader"]])
  }
`;

const calls = { shop: 0, vault: 0, privateMutation: 0 };
const things = [{ id: '1' }, { id: '2' }];
const servers: Array<{ stop(): Promise<void> }> = [];
let apollo: ApolloServer<RequestContext>;
let http: SubgraphHttp | undefined;

async function subgraph(sdl: string, resolvers: Record<string, unknown>, counter: 'shop' | 'vault') {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [ApolloServerPluginInlineTraceDisabled(), { requestDidStart: async () => void (calls[counter] += 1) }],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  servers.push(server);
  return url;
}

beforeAll(async () => {
  const shopUrl = await subgraph(
    SHOP,
    {
      Query: {
        hello: () => 'world',
        secret: () => 's3cret',
        adminCount: () => 42,
        things: () => things,
        maybeThing: () => things[0],
        missingThing: () => null,
        pets: () => [
          { __typename: 'Cat', name: 'Tom' },
          { __typename: 'Dog', name: 'Rex', barks: true },
        ],
      },
      Mutation: {
        publicMutation: () => true,
        privateMutation: () => {
          calls.privateMutation += 1;
          return true;
        },
      },
      Pet: { __resolveType: (pet: { __typename: string }) => pet.__typename },
      Thing: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        name: ({ id }: { id: string }) => `thing ${id}`,
        hidden: ({ id }: { id: string }) => `hidden ${id}`,
        code: ({ id }: { id: string }) => `code ${id}`,
      },
    },
    'shop',
  );
  const vaultUrl = await subgraph(
    VAULT,
    { Thing: { __resolveReference: ({ id }: { id: string }) => ({ id }), vaultNote: ({ id }: { id: string }) => `note ${id}` } },
    'vault',
  );
  const result = compose([
    { name: 'shop', url: shopUrl, sdl: SHOP },
    { name: 'vault', url: vaultUrl, sdl: VAULT },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const gateway = new ApolloGateway({
    supergraphSdl: withRouterEnforcedSecurity(result.supergraphSdl),
    logger: silent,
    queryPlannerConfig: { incrementalDelivery: { enableDefer: true } },
  });
  const metrics = createRouterMetrics(createMetricsRegistry('authorization-test'), () => ({}));
  http = new SubgraphHttp();
  const engine = new FederationEngine({
    gateway,
    caller: new SubgraphCaller({
      http,
      identity: createSubgraphIdentity(loadRouterAuthConfig({ NODE_ENV: 'test' }).identityKey),
      breakers: new CircuitBreakers({ ...DEFAULT_CIRCUIT_BREAKER, failureThreshold: 0 }),
      metrics,
      entityCache: undefined,
      deduplicateFetches: false,
      timeoutMs: () => 5_000,
    }),
    subgraphUrls: {},
    planStore: undefined,
    preparedEntries: 100,
    enabledOverrideLabels: new Set(),
    deduplicateOperations: false,
    metrics,
    logger: silent,
  });
  apollo = new ApolloServer<RequestContext>({
    gateway: withAuthorization(engine, {
      policies: { vault_reader: (viewer) => viewer?.roles.includes('ADMIN') ?? false },
    }),
  });
  await apollo.start();
});

afterAll(async () => {
  await apollo?.stop();
  await http?.close();
  await Promise.all(servers.map((server) => server.stop()));
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

async function run(query: string, viewer: Viewer | null = null, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await apollo.executeOperation({ query, variables }, { contextValue: { requestId: 'test', logger: silent, viewer } });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult as Answer;
}

const unauthorizedPaths = (answer: Answer) =>
  (answer.errors ?? [])
    .filter((error) => error.extensions?.code === 'UNAUTHORIZED')
    .map((error) => error.path)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const customer = viewerWithRoles('00000000-0000-4000-8000-000000000001', ['CUSTOMER']);
const admin = viewerWithRoles('00000000-0000-4000-8000-000000000002', ['ADMIN']);
const withScopes = (scopes: string[]): Viewer => ({ ...customer, scopes });

describe('reading the rules from a supergraph', () => {
  it('finds field and type rules under the names the supergraph links them as', () => {
    const result = compose([{ name: 'shop', url: 'http://shop/graphql', sdl: SHOP }]);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const rules = accessRulesOf(result.supergraphSdl);
    expect(rules.forField('Query', 'secret')).toEqual({ authenticated: true, scopes: [], policies: [] });
    expect(rules.forField('Thing', 'code')?.scopes).toEqual([[['read:code', 'extra'], ['admin']]]);
    expect(rules.forType('Dog')?.authenticated).toBe(true);
    expect(rules.forField('Query', 'hello')).toBeUndefined();
    // A renamed import: the same rule under another directive name.
    const renamed = result.supergraphSdl
      .replace('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)', '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)')
      .replaceAll('@authenticated', '@signedIn');
    expect(accessRulesOf(renamed).forField('Query', 'secret')?.authenticated).toBe(true);
  });
});

describe('the router removes what the caller may not see and answers the rest', () => {
  it('nulls an @authenticated field for anonymous callers, with an error at each concrete path', async () => {
    const answer = await run('{ hello secret things { id hidden } }');
    expect(answer.data).toEqual({ hello: 'world', secret: null, things: [{ id: '1', hidden: null }, { id: '2', hidden: null }] });
    expect(unauthorizedPaths(answer)).toEqual([['secret'], ['things', 0, 'hidden'], ['things', 1, 'hidden']]);
    expect(answer.errors?.[0]?.message).toMatch(/Unauthorized: .*requires a signed-in user/);
  });

  it('answers the same fields to a signed-in caller (the filtered plan is not reused)', async () => {
    const query = '{ hello secret things { id hidden } }';
    expect((await run(query, customer)).data).toEqual({ hello: 'world', secret: 's3cret', things: [{ id: '1', hidden: 'hidden 1' }, { id: '2', hidden: 'hidden 2' }] });
    expect((await run(query)).data).toMatchObject({ secret: null });
  });

  it('requires one whole scope set of @requiresScopes (outer list OR, inner list AND)', async () => {
    const query = '{ maybeThing { id code } }';
    expect(unauthorizedPaths(await run(query, withScopes(['read:code'])))).toEqual([['maybeThing', 'code']]);
    expect((await run(query, withScopes(['read:code', 'extra']))).data).toEqual({ maybeThing: { id: '1', code: 'code 1' } });
    expect((await run(query, admin)).data).toEqual({ maybeThing: { id: '1', code: 'code 1' } });
  });

  it('nulls the nearest nullable parent of a removed non-null field', async () => {
    const nullable = await run('{ hello maybeThing { id code } }', customer);
    expect(nullable.data).toEqual({ hello: 'world', maybeThing: null });
    expect(unauthorizedPaths(nullable)).toEqual([['maybeThing', 'code']]);
    // things: [Thing!]! — a removed non-null field nulls each Thing, hence the list, hence the whole data.
    const all = await run('{ hello things { code } }', customer);
    expect(all.data).toBeNull();
    expect(unauthorizedPaths(all)).toEqual([['things', 0, 'code'], ['things', 1, 'code']]);
  });

  it('evaluates @policy in the router and never asks the subgraph for a removed field', async () => {
    const before = calls.vault;
    const denied = await run('{ things { id vaultNote } }', customer);
    expect(calls.vault).toBe(before);
    expect(denied.data).toEqual({ things: [{ id: '1', vaultNote: null }, { id: '2', vaultNote: null }] });
    expect(unauthorizedPaths(denied)).toHaveLength(2);
    const allowed = await run('{ things { id vaultNote } }', admin);
    expect(calls.vault).toBe(before + 1);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({ things: [{ id: '1', vaultNote: 'note 1' }, { id: '2', vaultNote: 'note 2' }] });
  });

  it('removes fragments on a type the caller may not see, only for objects of that type', async () => {
    const answer = await run('{ pets { __typename ... on Cat { name } ... on Dog { name barks } } }');
    // Dog's fields are null; Dog.name is non-null, so the Dog itself is null (pets items are nullable).
    expect(answer.data).toEqual({ pets: [{ __typename: 'Cat', name: 'Tom' }, null] });
    expect(unauthorizedPaths(answer)).toEqual([['pets', 1, 'barks'], ['pets', 1, 'name']]);
    expect((await run('{ pets { ... on Dog { name } } }', customer)).data).toEqual({ pets: [{}, { name: 'Rex' }] });
  });

  it('follows aliases, named fragments, variables and @include', async () => {
    const query = `query Q($withSecret: Boolean!) { greeting: hello ...Top s2: secret @include(if: $withSecret) }
      fragment Top on Query { things { ...ThingFields } }
      fragment ThingFields on Thing { id h: hidden }`;
    const on = await run(query, null, { withSecret: true });
    expect(on.data).toEqual({ greeting: 'world', things: [{ id: '1', h: null }, { id: '2', h: null }], s2: null });
    expect(unauthorizedPaths(on)).toEqual([['s2'], ['things', 0, 'h'], ['things', 1, 'h']]);
    const off = await run(query, null, { withSecret: false });
    expect(off.data).toEqual({ greeting: 'world', things: [{ id: '1', h: null }, { id: '2', h: null }] });
    expect(unauthorizedPaths(off)).toEqual([['things', 0, 'h'], ['things', 1, 'h']]);
  });

  it('answers an operation whose every root field is removed without calling any subgraph', async () => {
    const before = { ...calls };
    const query = await run('{ secret adminCount }');
    expect(query.data).toBeNull(); // adminCount is Int!
    expect(unauthorizedPaths(query)).toEqual([['adminCount'], ['secret']]);
    const mutation = await run('mutation { privateMutation }');
    expect(mutation.data).toBeNull();
    expect(unauthorizedPaths(mutation)).toEqual([['privateMutation']]);
    expect(calls).toEqual(before);
    // Signed in, the mutation runs.
    expect((await run('mutation { publicMutation privateMutation }', customer)).data).toEqual({ publicMutation: true, privateMutation: true });
    expect(calls.privateMutation).toBe(before.privateMutation + 1);
  });

  it('reports every removed field of an object nulled by one of them', async () => {
    const answer = await run('{ maybeThing { code hidden } }');
    expect(answer.data).toEqual({ maybeThing: null });
    expect(unauthorizedPaths(answer)).toEqual([['maybeThing', 'code'], ['maybeThing', 'hidden']]);
  });

  it('reports removed fields under a parent that is null in the data at their query path', async () => {
    const answer = await run('{ hello missingThing { id hidden } }');
    expect(answer.data).toEqual({ hello: 'world', missingThing: null });
    expect(unauthorizedPaths(answer)).toEqual([['missingThing', 'hidden']]);
  });
});
