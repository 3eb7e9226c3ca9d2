import { link, type CaseGroup } from '../case.ts';

/* Operation features across subgraphs: variables, aliases, fragments, operation names, deep back-and-forth. */

const USERS: Record<string, { id: string; name: string }> = { u1: { id: 'u1', name: 'Ann' }, u2: { id: 'u2', name: 'Bob' } };
const REVIEWS = [
  { id: 'r1', body: 'Sturdy', authorId: 'u1', upc: 'p1' },
  { id: 'r2', body: 'Soft', authorId: 'u2', upc: 'p2' },
  { id: 'r3', body: 'Wobbly', authorId: 'u2', upc: 'p1' },
];
const PRICES: Record<string, number> = { p1: 100, p2: 500 };

export const operations: CaseGroup = {
  feature: 'Operations across subgraphs',
  cases: [
    {
      name: 'operation-features',
      description: 'Variables reaching entity fields\' arguments, aliases of one field with different arguments, named fragments, the chosen operation of several, and a path that goes back and forth between subgraphs.',
      subgraphs: [
        {
          name: 'accounts',
          typeDefs: `${link('key')}
            type Query { user(id: ID!): User }
            type User @key(fields: "id") { id: ID! name: String! }`,
          resolvers: {
            Query: { user: (_: unknown, { id }: { id: string }) => USERS[id] ?? null },
            User: { __resolveReference: ({ id }: { id: string }) => USERS[id] ?? null },
          },
        },
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type User @key(fields: "id") { id: ID! reviews(first: Int = 10): [Review!]! }
            type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }
            type Review { id: ID! body: String! author: User! product: Product! }`,
          resolvers: {
            User: { reviews: ({ id }: { id: string }, { first }: { first: number }) => REVIEWS.filter((review) => review.authorId === id).slice(0, first) },
            Product: { reviews: ({ upc }: { upc: string }) => REVIEWS.filter((review) => review.upc === upc) },
            Review: { author: ({ authorId }: { authorId: string }) => ({ id: authorId }), product: ({ upc }: { upc: string }) => ({ upc }) },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! price(currency: String! = "USD"): String! }`,
          resolvers: {
            Product: { price: ({ upc }: { upc: string }, { currency }: { currency: string }) => `${currency === 'EUR' ? PRICES[upc]! * 0.9 : PRICES[upc]} ${currency}` },
          },
        },
      ],
      operations: [
        {
          name: 'variables into root and entity arguments',
          query: 'query ($id: ID!, $first: Int) { user(id: $id) { name reviews(first: $first) { body } } }',
          variables: { id: 'u2', first: 1 },
          expected: { data: { user: { name: 'Bob', reviews: [{ body: 'Soft' }] } } },
        },
        {
          name: 'an argument\'s default when the variable is not given',
          query: 'query ($id: ID!, $first: Int) { user(id: $id) { reviews(first: $first) { id } } }',
          variables: { id: 'u2' },
          expected: { data: { user: { reviews: [{ id: 'r2' }, { id: 'r3' }] } } },
        },
        {
          name: 'one entity field under aliases with different arguments',
          query: '{ user(id: "u1") { reviews { product { usd: price eur: price(currency: "EUR") gbp: price(currency: "GBP") } } } }',
          expected: { data: { user: { reviews: [{ product: { usd: '100 USD', eur: '90 EUR', gbp: '100 GBP' } }] } } },
        },
        {
          name: 'named fragments at several levels, spread twice',
          query: `query { ann: user(id: "u1") { ...Person } bob: user(id: "u2") { ...Person } }
            fragment Person on User { name reviews { ...Review } }
            fragment Review on Review { body product { upc } }`,
          expected: {
            data: {
              ann: { name: 'Ann', reviews: [{ body: 'Sturdy', product: { upc: 'p1' } }] },
              bob: { name: 'Bob', reviews: [{ body: 'Soft', product: { upc: 'p2' } }, { body: 'Wobbly', product: { upc: 'p1' } }] },
            },
          },
        },
        {
          name: 'the operation named by operationName',
          query: 'query First { user(id: "u1") { name } } query Second { user(id: "u2") { name } }',
          operationName: 'Second',
          expected: { data: { user: { name: 'Bob' } } },
        },
        {
          name: 'back and forth: accounts → reviews → products → reviews → accounts',
          query: '{ user(id: "u1") { reviews { product { price reviews { author { name } } } } } }',
          expected: { data: { user: { reviews: [{ product: { price: '100 USD', reviews: [{ author: { name: 'Ann' } }, { author: { name: 'Bob' } }] } }] } } },
        },
        {
          name: 'null root entity: nothing more is fetched',
          query: '{ user(id: "nobody") { name reviews { body } } }',
          expected: { data: { user: null } },
          calls: { accounts: 1, reviews: 0 },
        },
      ],
    },
  ],
};
