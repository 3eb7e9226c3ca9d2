import { z } from 'zod';
import { type GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, parsePage, toConnection } from './pagination.ts';

const position = z.object({ id: z.number() });

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return (error as GraphQLError).extensions.code;
  }
  return undefined;
}

describe('parsePage', () => {
  it('defaults first and decodes a cursor it issued', () => {
    expect(parsePage({ after: encodeCursor({ id: 7 }) }, position)).toEqual({ first: 20, after: { id: 7 } });
  });

  it.each([[-1], [101], [1.5]])('rejects first=%p with BAD_USER_INPUT', (first) => {
    expect(codeOf(() => parsePage({ first }, position))).toBe('BAD_USER_INPUT');
  });

  it.each([['not base64 json'], [encodeCursor({ id: 'seven' })], [Buffer.from('{').toString('base64url')]])(
    'rejects a cursor it did not issue (%p)',
    (after) => {
      expect(codeOf(() => parsePage({ after }, position))).toBe('BAD_USER_INPUT');
    },
  );
});

describe('toConnection', () => {
  it('uses the extra row only to tell that another page exists', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    const connection = toConnection(rows, { first: 2, after: null }, (row) => row);
    expect(connection.edges.map((edge) => edge.node.id)).toEqual([1, 2]);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(decodeCursor(connection.pageInfo.endCursor!, position)).toEqual({ id: 2 });
  });

  it('reports the last page', () => {
    const connection = toConnection([{ id: 1 }], { first: 2, after: { id: 0 } }, (row) => row);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });
});
