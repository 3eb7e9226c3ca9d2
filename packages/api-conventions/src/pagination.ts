import { type z } from 'zod';
import { badUserInput } from './errors.ts';
import { containsNul, pathsOfStrings } from './text-input.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface PageLimits {
  defaultSize: number;
  maxSize: number;
}

export const DEFAULT_PAGE_LIMITS: PageLimits = { defaultSize: 20, maxSize: 100 };

/** A validated forward page request: how many rows, and the decoded position to start after. */
export interface Page<Cursor> {
  first: number;
  after: Cursor | null;
}

export interface Edge<Node> {
  cursor: string;
  node: Node;
}

export interface Connection<Node> {
  edges: Edge<Node>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Cursors are opaque to clients: base64url JSON of the keyset position. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<Cursor>(cursor: string, schema: z.ZodType<Cursor>): Cursor {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('The cursor is not one this API issued', 'after');
  }
  // No cursor this API issues holds a NUL (Postgres text cannot), and one would fail the query with a 500.
  const parsed = pathsOfStrings(raw, containsNul, 1).length ? undefined : schema.safeParse(raw);
  if (!parsed?.success) throw badUserInput('The cursor is not one this API issued', 'after');
  return parsed.data;
}

export function parsePage<Cursor>(
  args: PageArgs,
  cursorSchema: z.ZodType<Cursor>,
  limits: PageLimits = DEFAULT_PAGE_LIMITS,
): Page<Cursor> {
  const first = args.first ?? limits.defaultSize;
  if (!Number.isInteger(first) || first < 0 || first > limits.maxSize) {
    throw badUserInput(`first must be between 0 and ${limits.maxSize}`, 'first');
  }
  return { first, after: args.after == null ? null : decodeCursor(args.after, cursorSchema) };
}

/**
 * Builds a connection from rows fetched with `take: first + 1`: the extra row only tells that a next page
 * exists, so no COUNT query is needed.
 */
export function toConnection<Row, Node = Row>(
  rows: Row[],
  page: Page<unknown>,
  positionOf: (row: Row) => unknown,
  toNode: (row: Row) => Node = (row) => row as unknown as Node,
): Connection<Node> {
  const visible = rows.slice(0, page.first);
  const edges = visible.map((row) => ({ cursor: encodeCursor(positionOf(row)), node: toNode(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
