import { buildSchema } from 'graphql';
import type { FetchNode } from '@apollo/query-planner';
import { contextValueAt, contextValuesFor, contextVariablesOf, groupedOperation } from './context-arguments.ts';

/* The pieces of @fromContext support; tests/federation/cases/context.ts runs them through the router end to end. */

const schema = buildSchema(`
  type Query { users: [User!]! }
  interface Owner { currency: String }
  type User implements Owner { id: ID! currency: String transactions: [Transaction!]! }
  type Company implements Owner { id: ID! currency: String }
  type Transaction { id: ID! }
`);

describe('contextValueAt', () => {
  const user = { __typename: 'User', id: 'u1', currency: 'EUR' };
  const transaction = { __typename: 'Transaction', id: 't1' };

  it('goes up one object per `..`, checks the type condition, and reads the field', () => {
    expect(contextValueAt(schema, [{}, user, transaction], ['..', '... on User', 'currency'])).toBe('EUR');
    expect(contextValueAt(schema, [{}, user, transaction], ['..', '... on Owner', 'currency'])).toBe('EUR');
  });

  it('does not apply when the ancestor is of another type, or when it climbs past the root', () => {
    expect(contextValueAt(schema, [{}, user, transaction], ['..', '... on Company', 'currency'])).toBeUndefined();
    expect(contextValueAt(schema, [{}, transaction], ['..', '..', '... on User', 'currency'])).toBeUndefined();
  });

  it('takes the first path that applies for each variable', () => {
    const company = { __typename: 'Company', id: 'c1', currency: 'CHF' };
    const variables = contextVariablesOf([
      { kind: 'KeyRenamer', path: ['..', '... on User', 'currency'], renameKeyTo: 'contextualArgument_1_0' },
      { kind: 'KeyRenamer', path: ['..', '... on Company', 'currency'], renameKeyTo: 'contextualArgument_1_0' },
    ]);
    expect(contextValuesFor(schema, variables, [{}, company, transaction])).toEqual({ contextualArgument_1_0: 'CHF' });
    expect(contextValuesFor(schema, variables, [{}, transaction])).toEqual({});
  });
});

describe('groupedOperation', () => {
  const node = {
    kind: 'Fetch',
    serviceName: 'ledger',
    operation: 'query($representations:[_Any!]!$contextualArgument_2_0:String$limit:Int){_entities(representations:$representations){...on Transaction{amount(code:$contextualArgument_2_0 first:$limit)}}}',
    operationKind: 'query',
    operationName: undefined,
  } as FetchNode;

  it('repeats _entities once per group with its own representations and contextual variables; other variables stay shared', () => {
    const text = groupedOperation(node, new Set(['contextualArgument_2_0']), 2).replace(/\s+/g, ' ');
    expect(text).toContain('$representations_0: [_Any!]!');
    expect(text).toContain('$representations_1: [_Any!]!');
    expect(text).toContain('$contextualArgument_2_0_1: String');
    expect(text).toContain('$limit: Int');
    expect(text).not.toContain('$limit_');
    expect(text).toContain('_0: _entities(representations: $representations_0)');
    expect(text).toContain('_1: _entities(representations: $representations_1) { ... on Transaction { amount(code: $contextualArgument_2_0_1, first: $limit) } }');
  });

  it('is prepared once per plan node and number of groups', () => {
    expect(groupedOperation(node, new Set(['contextualArgument_2_0']), 3)).toBe(groupedOperation(node, new Set(['contextualArgument_2_0']), 3));
  });
});
