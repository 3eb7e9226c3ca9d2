import { InputErrorCode } from './input-errors.ts';

/*
 * The value types every subgraph shares, written once. A subgraph must define the types it returns, and
 * composition tolerates drift between copies (a field one lacks, a nullability difference) that clients would
 * see as a type changing with the subgraph that answered; so no subgraph writes them in its own schema.graphql:
 * its SDL is `withSharedTypes(own)`, for the subgraph's server and for composition alike.
 *
 * Every subgraph's @link must import @shareable (the types are value types that several subgraphs resolve).
 */

const INPUT_ERROR_CODES = Object.keys(InputErrorCode).join('\n  ');

export const SHARED_SDL = `
# ---- Shared value types (packages/api-conventions/src/shared-sdl.ts), the same in every subgraph ----

"""
An instant in time, ISO 8601 with a UTC offset (2026-11-23T09:00:00.000Z).
"""
scalar DateTime

"Relay cursor pagination: pass \`endCursor\` as \`after\` to get the next page."
type PageInfo @shareable @cacheControl(inheritMaxAge: true) {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

"An amount of money in the currency's minor unit (cents for EUR and USD), never a float."
type Money @shareable @cacheControl(inheritMaxAge: true) {
  amount: Int!
  "ISO 4217 currency code."
  currency: String!
}

"One refused input field of a mutation. \`path\` names it from the argument down: [\\"input\\", \\"items\\", \\"0\\", \\"quantity\\"]."
type InputError @shareable {
  path: [String!]!
  message: String!
  code: InputErrorCode!
}

"Why an input was refused. Stable: clients may branch on these."
enum InputErrorCode {
  ${INPUT_ERROR_CODES}
}

# Cache hints (Apollo cache control): a subgraph's responses carry a Cache-Control header computed from them;
# the router merges the headers of every subgraph a query touched and caches whole responses for the shortest
# maxAge (router/src/cache). No hint on a root or object field means maxAge 0: not cached.
enum CacheControlScope {
  PUBLIC
  PRIVATE
}

directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/** The names SHARED_SDL defines; a subgraph's own schema.graphql must not define them again. */
export const SHARED_TYPE_NAMES = ['DateTime', 'PageInfo', 'Money', 'InputError', 'InputErrorCode', 'CacheControlScope'] as const;

/** A subgraph's whole SDL: its own schema.graphql followed by the shared value types. */
export function withSharedTypes(ownSdl: string): string {
  return `${ownSdl.trimEnd()}\n${SHARED_SDL}`;
}
