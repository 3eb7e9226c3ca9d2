import { link, type CaseGroup } from '../case.ts';

/*
 * @context / @fromContext (federation 2.8): a type sets a named context, and a field further down takes an
 * argument from it, filled in by the gateway from the nearest ancestor that sets it. The client never sends it.
 */

const USERS = [
  { id: 'u1', name: 'Ann', currency: 'EUR', transactionIds: ['t1', 't2'] },
  { id: 'u2', name: 'Bob', currency: 'USD', transactionIds: ['t3'] },
  { id: 'u3', name: 'Cem', currency: 'TRY', transactionIds: ['t1'] },
];
const AMOUNTS: Record<string, number> = { t1: 100, t2: 250, t3: 75 };
const byId = <T extends { id: string }>(items: T[], id: string) => items.find((item) => item.id === id);

/** Shows which argument value reached the subgraph, so a wrong or missing context is visible in the answer. */
const priced = (amount: number, code: string | null | undefined) => `${amount} ${code ?? 'no currency'}`;

const accounts = {
  name: 'accounts',
  typeDefs: `${link('key', 'shareable')}
    type Query { users: [User!]! user(id: ID!): User }
    type User @key(fields: "id") { id: ID! name: String! currency: String! @shareable }`,
  resolvers: {
    Query: { users: () => USERS, user: (_: unknown, { id }: { id: string }) => byId(USERS, id) },
    User: { __resolveReference: ({ id }: { id: string }) => byId(USERS, id) },
  },
};

const ledger = {
  name: 'ledger',
  typeDefs: `${link('key', 'shareable', 'context', 'fromContext')}
    type User @key(fields: "id") @context(name: "userContext") {
      id: ID!
      currency: String! @shareable
      transactions: [Transaction!]!
    }
    type Transaction @key(fields: "id") {
      id: ID!
      amount(code: String @fromContext(field: "$userContext { currency }")): String!
      lines: [Line!]!
    }
    type Line @key(fields: "id") {
      id: ID!
      total(code: String @fromContext(field: "$userContext { currency }")): String!
    }`,
  resolvers: {
    User: {
      __resolveReference: ({ id }: { id: string }) => byId(USERS, id),
      transactions: ({ id }: { id: string }) => (byId(USERS, id)?.transactionIds ?? []).map((transactionId) => ({ id: transactionId })),
    },
    Transaction: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      amount: ({ id }: { id: string }, { code }: { code?: string | null }) => priced(AMOUNTS[id] ?? 0, code),
      lines: ({ id }: { id: string }) => [{ id: `${id}-a` }, { id: `${id}-b` }],
    },
    Line: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      total: ({ id }: { id: string }, { code }: { code?: string | null }) => priced(id.endsWith('-a') ? 60 : 40, code),
    },
  },
};

export const context: CaseGroup = {
  feature: '@context / @fromContext',
  cases: [
    {
      name: 'context-from-ancestor',
      description: 'A field takes an argument from its nearest ancestor that sets the context, one value per ancestor, and the client never sends it.',
      gatewayDiffers: '@apollo/gateway refuses every supergraph that links the context spec (`for: SECURITY`, unsupported), so it serves none of these',
      subgraphs: [accounts, ledger],
      operations: [
        {
          name: 'one ancestor: its value reaches the field',
          query: '{ user(id: "u2") { name transactions { id amount } } }',
          expected: { data: { user: { name: 'Bob', transactions: [{ id: 't3', amount: '75 USD' }] } } },
        },
        {
          name: 'ancestors with different values: each entity gets its own, in one call',
          query: '{ users { name transactions { amount } } }',
          expected: {
            data: {
              users: [
                { name: 'Ann', transactions: [{ amount: '100 EUR' }, { amount: '250 EUR' }] },
                { name: 'Bob', transactions: [{ amount: '75 USD' }] },
                { name: 'Cem', transactions: [{ amount: '100 TRY' }] },
              ],
            },
          },
          // accounts for the users; ledger for their transactions and then, once, for every amount.
          calls: { accounts: 1, ledger: 2 },
        },
        {
          name: 'the same entity under two ancestors is priced in each one’s context',
          query: '{ a: user(id: "u1") { transactions { id amount } } c: user(id: "u3") { transactions { id amount } } }',
          expected: {
            data: {
              a: { transactions: [{ id: 't1', amount: '100 EUR' }, { id: 't2', amount: '250 EUR' }] },
              c: { transactions: [{ id: 't1', amount: '100 TRY' }] },
            },
          },
        },
        {
          name: 'two levels down: the context skips the parent that does not set it',
          query: '{ user(id: "u1") { transactions { lines { id total } } } }',
          expected: {
            data: {
              user: {
                transactions: [
                  { lines: [{ id: 't1-a', total: '60 EUR' }, { id: 't1-b', total: '40 EUR' }] },
                  { lines: [{ id: 't2-a', total: '60 EUR' }, { id: 't2-b', total: '40 EUR' }] },
                ],
              },
            },
          },
        },
        {
          name: 'the contextual argument is not part of the API: a client cannot pass it',
          query: '{ user(id: "u1") { transactions { amount(code: "GBP") } } }',
          expected: { data: undefined, errors: [{ code: 'GRAPHQL_VALIDATION_FAILED' }] },
        },
      ],
    },
  ],
};
