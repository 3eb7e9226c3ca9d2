import { link, type CaseGroup } from '../case.ts';

/* @provides: a subgraph resolves another subgraph's fields, but only on the path where it says so. */

const USERS: Record<string, { id: string; username: string; name: string }> = {
  u1: { id: 'u1', username: 'ann', name: 'Ann Smith' },
  u2: { id: 'u2', username: 'bob', name: 'Bob Jones' },
};
const byTypename = { __resolveType: ({ __typename }: { __typename: string }) => __typename };

export const provides: CaseGroup = {
  feature: '@provides',
  cases: [
    {
      name: 'provides-simple',
      description: 'A provided field is taken from the providing subgraph on its path, and fetched from its owner elsewhere or when more is selected.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key', 'external', 'provides')}
            type Query { reviews: [Review!]! reviewers: [User!]! }
            type Review { body: String! author: User! @provides(fields: "username") }
            type User @key(fields: "id") { id: ID! username: String! @external }`,
          resolvers: {
            Query: {
              reviews: () => [
                { body: 'Great', author: { id: 'u1', username: 'ann' } },
                { body: 'Meh', author: { id: 'u2', username: 'bob' } },
              ],
              reviewers: () => [{ id: 'u2' }, { id: 'u1' }],
            },
          },
        },
        {
          name: 'accounts',
          typeDefs: `${link('key', 'shareable')}
            type User @key(fields: "id") { id: ID! username: String! @shareable name: String! }`,
          resolvers: { User: { __resolveReference: ({ id }: { id: string }) => USERS[id] } },
        },
      ],
      operations: [
        {
          name: 'only provided fields: one subgraph call',
          query: '{ reviews { body author { username } } }',
          expected: { data: { reviews: [{ body: 'Great', author: { username: 'ann' } }, { body: 'Meh', author: { username: 'bob' } }] } },
          calls: { reviews: 1, accounts: 0 },
        },
        {
          name: 'a provided and an unprovided field',
          query: '{ reviews { author { username name } } }',
          expected: { data: { reviews: [{ author: { username: 'ann', name: 'Ann Smith' } }, { author: { username: 'bob', name: 'Bob Jones' } }] } },
          calls: { reviews: 1, accounts: 1 },
        },
        {
          name: 'the same field on a path without @provides',
          query: '{ reviewers { username } }',
          expected: { data: { reviewers: [{ username: 'bob' }, { username: 'ann' }] } },
          calls: { reviews: 1, accounts: 1 },
        },
      ],
    },
    {
      name: 'provides-nested',
      description: 'A @provides reaching two entities deep (`name manufacturer { name }`); fields below that still come from their owners.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key', 'external', 'provides')}
            type Query { reviews: [Review!]! }
            type Review { id: ID! product: Product! @provides(fields: "name manufacturer { name }") }
            type Product @key(fields: "upc") { upc: String! name: String! @external manufacturer: Manufacturer @external }
            type Manufacturer @key(fields: "id") { id: ID! name: String! @external }`,
          resolvers: {
            Query: {
              reviews: () => [
                { id: 'r1', product: { upc: 'p1', name: 'Table', manufacturer: { id: 'm1', name: 'Oakworks' } } },
                { id: 'r2', product: { upc: 'p2', name: 'Couch', manufacturer: null } },
              ],
            },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key', 'shareable')}
            type Product @key(fields: "upc") { upc: String! name: String! @shareable price: Int! manufacturer: Manufacturer @shareable }
            type Manufacturer @key(fields: "id", resolvable: false) { id: ID! }`,
          resolvers: {
            Product: {
              __resolveReference: ({ upc }: { upc: string }) =>
                upc === 'p1' ? { upc, name: 'Table', price: 100, manufacturer: { id: 'm1' } } : { upc, name: 'Couch', price: 500, manufacturer: null },
            },
          },
        },
        {
          name: 'companies',
          typeDefs: `${link('key', 'shareable')}
            type Manufacturer @key(fields: "id") { id: ID! name: String! @shareable country: String! }`,
          resolvers: { Manufacturer: { __resolveReference: ({ id }: { id: string }) => ({ id, name: 'Oakworks', country: 'NO' }) } },
        },
      ],
      operations: [
        {
          name: 'everything provided',
          query: '{ reviews { id product { name manufacturer { name } } } }',
          expected: {
            data: {
              reviews: [
                { id: 'r1', product: { name: 'Table', manufacturer: { name: 'Oakworks' } } },
                { id: 'r2', product: { name: 'Couch', manufacturer: null } },
              ],
            },
          },
          calls: { reviews: 1, products: 0, companies: 0 },
        },
        {
          name: 'below and beside what is provided',
          query: '{ reviews { product { price manufacturer { name country } } } }',
          expected: {
            data: {
              reviews: [{ product: { price: 100, manufacturer: { name: 'Oakworks', country: 'NO' } } }, { product: { price: 500, manufacturer: null } }],
            },
          },
        },
      ],
    },
    {
      name: 'provides-on-interface',
      description: 'A @provides on a field of interface type, a type condition per implementation; the interface field is then provided for each.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key', 'external', 'provides')}
            type Query { reviews: [Review!]! }
            type Review { id: ID! subject: Subject! @provides(fields: "... on Book { title } ... on Film { title }") }
            interface Subject { id: ID! }
            type Book implements Subject @key(fields: "id") { id: ID! title: String! @external }
            type Film implements Subject @key(fields: "id") { id: ID! title: String! @external }`,
          resolvers: {
            Query: {
              reviews: () => [
                { id: 'r1', subject: { __typename: 'Book', id: 'b1', title: 'Dune' } },
                { id: 'r2', subject: { __typename: 'Film', id: 'f1', title: 'Alien' } },
              ],
            },
            Subject: byTypename,
          },
        },
        {
          name: 'catalog',
          typeDefs: `${link('key', 'shareable')}
            interface Subject { id: ID! title: String! }
            type Book implements Subject @key(fields: "id") { id: ID! title: String! @shareable author: String! }
            type Film implements Subject @key(fields: "id") { id: ID! title: String! @shareable director: String! }`,
          resolvers: {
            Book: { __resolveReference: ({ id }: { id: string }) => ({ id, title: 'Dune', author: 'Herbert' }) },
            Film: { __resolveReference: ({ id }: { id: string }) => ({ id, title: 'Alien', director: 'Scott' }) },
          },
        },
      ],
      operations: [
        {
          name: 'the provided interface field',
          query: '{ reviews { subject { __typename title } } }',
          expected: { data: { reviews: [{ subject: { __typename: 'Book', title: 'Dune' } }, { subject: { __typename: 'Film', title: 'Alien' } }] } },
          calls: { reviews: 1, catalog: 0 },
        },
        {
          name: 'provided and owned fields under type conditions',
          query: '{ reviews { subject { ... on Book { title author } ... on Film { director } } } }',
          expected: { data: { reviews: [{ subject: { title: 'Dune', author: 'Herbert' } }, { subject: { director: 'Scott' } }] } },
        },
      ],
    },
    {
      name: 'provides-on-union',
      description: 'A @provides on a field of union type, with a type condition per member.',
      subgraphs: [
        {
          name: 'feed',
          typeDefs: `${link('key', 'external', 'provides')}
            type Query {
              highlights: [Highlight!]!
              picks: [Highlight!]! @provides(fields: "... on Song { title } ... on Podcast { host }")
            }
            union Highlight = Song | Podcast
            type Song @key(fields: "id") { id: ID! title: String! @external }
            type Podcast @key(fields: "id") { id: ID! host: String! @external }`,
          resolvers: {
            Query: {
              highlights: () => [
                { __typename: 'Song', id: 's1' },
                { __typename: 'Podcast', id: 'p1' },
              ],
              picks: () => [
                { __typename: 'Podcast', id: 'p1', host: 'Hal' },
                { __typename: 'Song', id: 's1', title: 'Blue' },
              ],
            },
            Highlight: byTypename,
          },
        },
        {
          name: 'music',
          typeDefs: `${link('key', 'shareable')}
            type Song @key(fields: "id") { id: ID! title: String! @shareable seconds: Int! }
            type Podcast @key(fields: "id") { id: ID! host: String! @shareable episodes: Int! }`,
          resolvers: {
            Song: { __resolveReference: ({ id }: { id: string }) => ({ id, title: 'Blue', seconds: 200 }) },
            Podcast: { __resolveReference: ({ id }: { id: string }) => ({ id, host: 'Hal', episodes: 12 }) },
          },
        },
      ],
      operations: [
        {
          name: 'provided members\' fields: no call to their owner',
          query: '{ picks { __typename ... on Song { title } ... on Podcast { host } } }',
          expected: { data: { picks: [{ __typename: 'Podcast', host: 'Hal' }, { __typename: 'Song', title: 'Blue' }] } },
          calls: { feed: 1, music: 0 },
        },
        {
          name: 'the same union without @provides',
          query: '{ highlights { ... on Song { title seconds } ... on Podcast { host } } }',
          expected: { data: { highlights: [{ title: 'Blue', seconds: 200 }, { host: 'Hal' }] } },
          calls: { feed: 1, music: 1 },
        },
      ],
    },
  ],
};
