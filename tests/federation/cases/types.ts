import { link, type CaseGroup } from '../case.ts';

/*
 * How composition merges enums, input types and arguments that differ between subgraphs: input positions
 * keep what every subgraph accepts (intersection), output-only enums what any subgraph may return (union).
 */

const VALIDATION = [{ code: 'GRAPHQL_VALIDATION_FAILED' }];

export const typeMerging: CaseGroup = {
  feature: 'Enum and input type intersections',
  cases: [
    {
      name: 'enum-intersections',
      description: 'An input-only enum with different values per subgraph keeps the common ones; an output-only enum keeps them all.',
      subgraphs: [
        {
          name: 'shop',
          typeDefs: `${link('shareable')}
            type Query { items(sort: SortOrder!): [String!]! availability: [Availability!]! }
            enum SortOrder { NEWEST OLDEST PRICE }
            enum Availability { IN_STOCK SOLD_OUT }`,
          resolvers: {
            Query: {
              items: (_: unknown, { sort }: { sort: string }) => [`items by ${sort}`],
              availability: () => ['IN_STOCK', 'SOLD_OUT'],
            },
          },
        },
        {
          name: 'blog',
          typeDefs: `${link('shareable')}
            type Query { posts(sort: SortOrder!): [String!]! upcoming: [Availability!]! }
            enum SortOrder { NEWEST OLDEST POPULAR }
            enum Availability { IN_STOCK PREORDER }`,
          resolvers: {
            Query: {
              posts: (_: unknown, { sort }: { sort: string }) => [`posts by ${sort}`],
              upcoming: () => ['PREORDER', 'IN_STOCK'],
            },
          },
        },
      ],
      operations: [
        {
          name: 'values every subgraph accepts',
          query: '{ items(sort: OLDEST) posts(sort: NEWEST) }',
          expected: { data: { items: ['items by OLDEST'], posts: ['posts by NEWEST'] } },
        },
        {
          name: 'a value only one subgraph accepts, as a literal',
          query: '{ items(sort: PRICE) }',
          expected: { data: undefined, errors: VALIDATION },
        },
        {
          name: 'a value only one subgraph accepts, as a variable',
          query: 'query ($sort: SortOrder!) { posts(sort: $sort) }',
          variables: { sort: 'POPULAR' },
          expected: { data: undefined, errors: [{}] },
          calls: { blog: 0 },
        },
        {
          name: 'output values of each subgraph',
          query: '{ availability upcoming }',
          expected: { data: { availability: ['IN_STOCK', 'SOLD_OUT'], upcoming: ['PREORDER', 'IN_STOCK'] } },
        },
        {
          name: 'introspection of both',
          query: '{ sort: __type(name: "SortOrder") { enumValues { name } } availability: __type(name: "Availability") { enumValues { name } } }',
          expected: {
            data: {
              sort: { enumValues: [{ name: 'NEWEST' }, { name: 'OLDEST' }] },
              // In the supergraph's order (composition merges subgraphs by name: blog, then shop).
              availability: { enumValues: [{ name: 'IN_STOCK' }, { name: 'PREORDER' }, { name: 'SOLD_OUT' }] },
            },
          },
        },
      ],
    },
    {
      name: 'input-intersections',
      description: 'An input type and a shared field\'s arguments that differ between subgraphs keep only what both accept.',
      subgraphs: [
        {
          name: 'shop',
          typeDefs: `${link('shareable')}
            type Query { searchProducts(filter: Filter!): [String!]! greeting(name: String!, loud: Boolean): String! @shareable }
            input Filter { name: String maxPrice: Int }`,
          resolvers: {
            Query: {
              searchProducts: (_: unknown, { filter }: { filter: Record<string, unknown> }) => [`products ${JSON.stringify(filter)}`],
              greeting: (_: unknown, { name }: { name: string }) => `Hello ${name}`,
            },
          },
        },
        {
          name: 'blog',
          typeDefs: `${link('shareable')}
            type Query { searchPosts(filter: Filter!): [String!]! greeting(name: String!): String! @shareable }
            input Filter { name: String tag: String }`,
          resolvers: {
            Query: {
              searchPosts: (_: unknown, { filter }: { filter: Record<string, unknown> }) => [`posts ${JSON.stringify(filter)}`],
              greeting: (_: unknown, { name }: { name: string }) => `Hello ${name}`,
            },
          },
        },
      ],
      operations: [
        {
          name: 'the common input field, as a literal and as a variable',
          query: 'query ($f: Filter!) { searchProducts(filter: { name: "ta" }) searchPosts(filter: $f) }',
          variables: { f: { name: 'go' } },
          expected: { data: { searchProducts: ['products {"name":"ta"}'], searchPosts: ['posts {"name":"go"}'] } },
        },
        {
          name: 'an input field only one subgraph has, as a literal',
          query: '{ searchProducts(filter: { maxPrice: 10 }) }',
          expected: { data: undefined, errors: VALIDATION },
        },
        {
          name: 'an input field only one subgraph has, in a variable',
          query: 'query ($f: Filter!) { searchPosts(filter: $f) }',
          variables: { f: { name: 'go', tag: 'news' } },
          expected: { data: undefined, errors: [{}] },
          calls: { blog: 0 },
        },
        {
          name: 'the common argument of a shared field',
          query: '{ greeting(name: "Ann") }',
          expected: { data: { greeting: 'Hello Ann' } },
        },
        {
          name: 'an argument only one subgraph has',
          query: '{ greeting(name: "Ann", loud: true) }',
          expected: { data: undefined, errors: VALIDATION },
        },
      ],
    },
  ],
};
