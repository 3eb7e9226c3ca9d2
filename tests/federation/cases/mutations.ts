import { GraphQLError } from 'graphql';
import { link, sleep, type CaseGroup, type World } from '../case.ts';

/*
 * Mutations: root mutation fields run one after another, in the order selected, even when they live in
 * different subgraphs. The subgraphs share a counter (World.state, as if they shared a database) and log each
 * effect, and the first mutation is the slowest, so running them concurrently would show.
 */

const total = (world: World) => (world.state.total as number | undefined) ?? 0;

export const mutations: CaseGroup = {
  feature: 'Mutations',
  cases: [
    {
      name: 'mutations-serial',
      description: 'Mutations alternating between two subgraphs over shared state: executed serially, in selection order.',
      subgraphs: [
        {
          name: 'adder',
          typeDefs: `${link('shareable')}
            type Query { total: Int! @shareable }
            type Mutation { add(n: Int!): Int! }`,
          resolvers: {
            Query: { total: (_: unknown, __: unknown, world: World) => total(world) },
            Mutation: {
              add: async (_: unknown, { n }: { n: number }, world: World) => {
                await sleep(n === 1 ? 40 : 0);
                world.state.total = total(world) + n;
                world.effects.push(`add ${n}`);
                return world.state.total;
              },
            },
          },
        },
        {
          name: 'multiplier',
          typeDefs: `${link('shareable')}
            type Query { total: Int! @shareable }
            type Mutation { multiply(n: Int!): Int! }`,
          resolvers: {
            Query: { total: (_: unknown, __: unknown, world: World) => total(world) },
            Mutation: {
              multiply: async (_: unknown, { n }: { n: number }, world: World) => {
                world.state.total = total(world) * n;
                world.effects.push(`multiply ${n}`);
                return world.state.total;
              },
            },
          },
        },
      ],
      operations: [
        {
          name: 'alternating subgraphs',
          query: 'mutation { a: add(n: 1) b: multiply(n: 3) c: add(n: 2) d: multiply(n: 10) }',
          expected: { data: { a: 1, b: 3, c: 5, d: 50 } },
          effects: ['add 1', 'multiply 3', 'add 2', 'multiply 10'],
        },
        {
          name: 'consecutive mutations of one subgraph, then the other',
          query: 'mutation Run($x: Int!) { first: add(n: 1) second: add(n: $x) third: multiply(n: 2) }',
          variables: { x: 4 },
          expected: { data: { first: 1, second: 5, third: 10 } },
          effects: ['add 1', 'add 4', 'multiply 2'],
        },
      ],
    },
    {
      name: 'mutations-entities-and-errors',
      description: 'Mutation results with entity fields from another subgraph; a failing mutation leaves its field null and the next ones still run.',
      subgraphs: [
        {
          name: 'reviews',
          typeDefs: `${link('key')}
            type Query { reviewCount: Int! }
            type Mutation { addReview(input: ReviewInput!): Review! fail: Boolean }
            input ReviewInput { upc: String! body: String! }
            type Review { id: ID! body: String! product: Product! }
            type Product @key(fields: "upc", resolvable: false) { upc: String! }`,
          resolvers: {
            Query: { reviewCount: () => 0 },
            Mutation: {
              addReview: (_: unknown, { input }: { input: { upc: string; body: string } }, world: World) => {
                const id = `r${((world.state.reviews as number | undefined) ?? 0) + 1}`;
                world.state.reviews = Number(id.slice(1));
                world.effects.push(`addReview ${input.body}`);
                return { id, body: input.body, product: { upc: input.upc } };
              },
              fail: (_: unknown, __: unknown, world: World) => {
                world.effects.push('fail');
                throw new GraphQLError('refused', { extensions: { code: 'REFUSED' } });
              },
            },
          },
        },
        {
          name: 'products',
          typeDefs: `${link('key')}
            type Product @key(fields: "upc") { upc: String! name: String! }`,
          resolvers: { Product: { __resolveReference: ({ upc }: { upc: string }) => ({ upc, name: upc === 'p1' ? 'Table' : 'Couch' }) } },
        },
      ],
      operations: [
        {
          name: 'entity fields under each mutation, a failure in between',
          query: `mutation Review($second: ReviewInput!) {
            first: addReview(input: { upc: "p1", body: "Sturdy" }) { id product { name } }
            broken: fail
            second: addReview(input: $second) { id body product { upc name } }
          }`,
          variables: { second: { upc: 'p2', body: 'Soft' } },
          expected: {
            data: {
              first: { id: 'r1', product: { name: 'Table' } },
              broken: null,
              second: { id: 'r2', body: 'Soft', product: { upc: 'p2', name: 'Couch' } },
            },
            errors: [{ path: ['broken'], code: 'REFUSED', serviceName: 'reviews' }],
          },
          effects: ['addReview Sturdy', 'fail', 'addReview Soft'],
        },
      ],
    },
  ],
};
