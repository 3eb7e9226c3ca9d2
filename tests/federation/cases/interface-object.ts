import { link, type CaseGroup } from '../case.ts';

/*
 * @interfaceObject: a subgraph sees an entity interface as an object type and adds fields to every
 * implementation; the subgraph that owns the interface knows the concrete types.
 */

const ACCOUNTS: Record<string, { __typename: string; id: string; name: string; email?: string; level?: number }> = {
  u1: { __typename: 'User', id: 'u1', name: 'Ann', email: 'ann@example.com' },
  a1: { __typename: 'Admin', id: 'a1', name: 'Root', level: 9 },
  u2: { __typename: 'User', id: 'u2', name: 'Bob', email: 'bob@example.com' },
};
const RATINGS: Record<string, number> = { u1: 4, a1: 5, u2: 2 };

const accountsSubgraph = {
  name: 'accounts',
  typeDefs: `${link('key')}
    type Query { accounts: [Account!]! }
    interface Account @key(fields: "id") { id: ID! name: String! }
    type User implements Account @key(fields: "id") { id: ID! name: String! email: String! }
    type Admin implements Account @key(fields: "id") { id: ID! name: String! level: Int! }`,
  resolvers: {
    Query: { accounts: () => Object.values(ACCOUNTS) },
    // Entered through the interface (from an @interfaceObject subgraph) or through a concrete type.
    Account: { __resolveReference: ({ id }: { id: string }) => ACCOUNTS[id] ?? null, __resolveType: ({ __typename }: { __typename: string }) => __typename },
    User: { __resolveReference: ({ id }: { id: string }) => ACCOUNTS[id] ?? null },
    Admin: { __resolveReference: ({ id }: { id: string }) => ACCOUNTS[id] ?? null },
  },
};

export const interfaceObject: CaseGroup = {
  feature: '@interfaceObject',
  cases: [
    {
      name: 'interface-object-direct',
      description: 'Fields an @interfaceObject subgraph adds to every implementation, from the subgraph that owns the interface.',
      subgraphs: [
        accountsSubgraph,
        {
          name: 'ratings',
          typeDefs: `${link('key', 'interfaceObject')}
            type Account @key(fields: "id") @interfaceObject { id: ID! rating: Int! }`,
          resolvers: { Account: { rating: ({ id }: { id: string }) => RATINGS[id] } },
        },
      ],
      operations: [
        {
          name: 'the added field next to concrete fields',
          query: '{ accounts { __typename name rating ... on User { email } ... on Admin { level } } }',
          expected: {
            data: {
              accounts: [
                { __typename: 'User', name: 'Ann', rating: 4, email: 'ann@example.com' },
                { __typename: 'Admin', name: 'Root', rating: 5, level: 9 },
                { __typename: 'User', name: 'Bob', rating: 2, email: 'bob@example.com' },
              ],
            },
          },
        },
        {
          name: 'the added field under a type condition',
          query: '{ accounts { id ... on Admin { rating } } }',
          expected: { data: { accounts: [{ id: 'u1' }, { id: 'a1', rating: 5 }, { id: 'u2' }] } },
        },
      ],
    },
    {
      name: 'interface-object-indirect',
      description: 'Entering through the @interfaceObject subgraph\'s root field: __typename and type conditions need the concrete type from the owning subgraph.',
      subgraphs: [
        accountsSubgraph,
        {
          name: 'ratings',
          typeDefs: `${link('key', 'interfaceObject')}
            type Query { topRated: [Account!]! }
            type Account @key(fields: "id") @interfaceObject { id: ID! rating: Int! }`,
          resolvers: {
            Query: { topRated: () => [{ id: 'a1' }, { id: 'u1' }] },
            Account: { rating: ({ id }: { id: string }) => RATINGS[id] },
          },
        },
      ],
      operations: [
        {
          name: 'only the @interfaceObject subgraph\'s fields',
          query: '{ topRated { id rating } }',
          expected: { data: { topRated: [{ id: 'a1', rating: 5 }, { id: 'u1', rating: 4 }] } },
        },
        {
          name: 'the concrete __typename',
          query: '{ topRated { __typename rating } }',
          expected: { data: { topRated: [{ __typename: 'Admin', rating: 5 }, { __typename: 'User', rating: 4 }] } },
        },
        {
          name: 'type conditions and interface fields of the owner',
          query: '{ topRated { rating name ... on Admin { level } ... on User { email } } }',
          expected: { data: { topRated: [{ rating: 5, name: 'Root', level: 9 }, { rating: 4, name: 'Ann', email: 'ann@example.com' }] } },
        },
      ],
    },
    {
      name: 'interface-object-with-requires',
      description: 'An @interfaceObject field with a @requires on an interface field the owning subgraph resolves.',
      subgraphs: [
        accountsSubgraph,
        {
          name: 'badges',
          typeDefs: `${link('key', 'interfaceObject', 'external', 'requires')}
            type Query { featured: [Account!]! }
            type Account @key(fields: "id") @interfaceObject { id: ID! name: String! @external badge: String! @requires(fields: "name") }`,
          resolvers: {
            Query: { featured: () => [{ id: 'u2' }] },
            Account: { badge: ({ name }: { name: string }) => `★ ${name}` },
          },
        },
      ],
      operations: [
        {
          name: 'from the owning subgraph',
          query: '{ accounts { badge } }',
          expected: { data: { accounts: [{ badge: '★ Ann' }, { badge: '★ Root' }, { badge: '★ Bob' }] } },
        },
        {
          name: 'from the @interfaceObject subgraph',
          query: '{ featured { __typename badge ... on User { email } } }',
          expected: { data: { featured: [{ __typename: 'User', badge: '★ Bob', email: 'bob@example.com' }] } },
        },
      ],
    },
    {
      name: 'interface-object-non-resolvable',
      description: 'An @interfaceObject whose key is `resolvable: false`, with a @requires: composition accepts it, yet no plan can resolve the field, so the operation is an error with data: null, not a silent null.',
      subgraphs: [
        {
          ...accountsSubgraph,
          typeDefs: `${link('key')}
            interface Account @key(fields: "id") { id: ID! name: String! }
            type User implements Account @key(fields: "id") { id: ID! name: String! email: String! }
            type Admin implements Account @key(fields: "id") { id: ID! name: String! level: Int! }`,
          resolvers: { ...accountsSubgraph.resolvers, Query: {} },
        },
        {
          name: 'ratings',
          typeDefs: `${link('key', 'interfaceObject', 'external', 'requires')}
            type Query { topRated: [Account!]! }
            type Account @key(fields: "id", resolvable: false) @interfaceObject {
              id: ID!
              stars: Int!
              name: String! @external
              summary: String @requires(fields: "name")
            }`,
          resolvers: {
            Query: { topRated: () => [{ id: 'u1', stars: 4 }] },
            // No reference resolver: a key that is not resolvable means this subgraph cannot load an account it is handed.
            Account: { __resolveReference: () => null, summary: ({ name, stars }: { name: string; stars: number }) => `${name}: ${stars} stars` },
          },
        },
      ],
      operations: [
        {
          name: 'fields that can be resolved',
          query: '{ topRated { __typename stars name } }',
          expected: { data: { topRated: [{ __typename: 'User', stars: 4, name: 'Ann' }] } },
        },
        {
          name: 'the field no subgraph can resolve',
          query: '{ topRated { stars summary } }',
          expected: { data: null, errors: [{ anyPath: true }] },
          gatewayDiffers: 'Apollo\'s query planner sends an _entities fetch into the subgraph whose key is `resolvable: false`; that subgraph cannot load the account, and @apollo/gateway answers a silent null',
        },
      ],
    },
  ],
};
