import type { GraphQLResolveInfo } from 'graphql';

/*
 * What a federation conformance case is (see README.md): a small supergraph of subgraphs, and operations with
 * the response a correct federated execution gives. The cases are data; harness.ts runs them.
 */

/** What a subgraph resolver gets as its context: the engine's world, shared by the case's subgraphs. */
export interface World {
  /** Side effects in the order the subgraphs performed them (mutations push here). */
  effects: string[];
  /** Shared state, as if the subgraphs shared a database; fresh for every operation. */
  state: Record<string, unknown>;
}

// Resolvers are written with annotated parameters; `never` keeps this map open to any annotation.
type Resolver = (parent: never, args: never, context: World, info: GraphQLResolveInfo) => unknown;
export type Resolvers = Record<string, Record<string, Resolver | string | number>>;

export interface SubgraphDefinition {
  /** Lower case: the router's subgraphUrls are keyed by the lowercased name. */
  name: string;
  typeDefs: string;
  resolvers?: Resolvers;
  /** The subgraph is down: every request gets an HTTP 503 with a body that is not GraphQL. */
  unavailable?: true;
}

/** An error as far as conformance goes: where it is and what kind it is, never its wording. */
export interface ExpectedError {
  /** The response path of the field that failed; absent for request errors (validation and the like). */
  path?: (string | number)[];
  /** extensions.code, when the kind of error matters. */
  code?: string;
  /** extensions.serviceName, when the error comes from a subgraph and which one matters. */
  serviceName?: string;
  /** Any path or none: where the error is reported is not what the case is about. */
  anyPath?: true;
}

export interface ExpectedResponse {
  /** `undefined`: the response has no data entry at all (the request failed before execution). */
  data: unknown;
  errors?: ExpectedError[];
}

export interface Operation {
  /** What the operation shows; the test's title. */
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  expected: ExpectedResponse;
  /** The side effects, in order, the subgraphs must have performed (see World.effects). */
  effects?: string[];
  /** How many requests each listed subgraph must have received for this operation. */
  calls?: Record<string, number>;
  /** Why @apollo/gateway gets this operation wrong (its result must then differ from `expected`); false: it gets it right even if the case says otherwise. */
  gatewayDiffers?: string | false;
  /**
   * Why this router still gets this operation wrong (its result must then differ from `expected`, so the list
   * stays honest); every such operation is listed in the README as work left.
   */
  routerDiffers?: string;
}

export interface FederationCase {
  name: string;
  /** What the case shows, in a sentence (for the README). */
  description: string;
  subgraphs: SubgraphDefinition[];
  operations: Operation[];
  /** Why @apollo/gateway gets every operation of this case wrong. */
  gatewayDiffers?: string;
}

export interface CaseGroup {
  feature: string;
  cases: FederationCase[];
}

/** The @link every federation 2 case subgraph starts with. */
export const link = (...imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${imports.map((name) => `"@${name.replace(/^@/, '')}"`).join(', ')}])`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
