import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The codes the executor gives errors of its own making. Subgraph errors keep the subgraph's code and get
 * `extensions.serviceName`; these say what went wrong between the router and a subgraph, or before planning.
 */
export const ExecutionErrorCode = {
  /** The subgraph could not be reached (connection refused or reset), or its circuit is open. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  /** The subgraph did not answer within its timeout. */
  SUBGRAPH_TIMEOUT: 'SUBGRAPH_TIMEOUT',
  /** The subgraph answered, but not with a GraphQL response (a 5xx page, invalid JSON). */
  SUBGRAPH_INVALID_RESPONSE: 'SUBGRAPH_INVALID_RESPONSE',
  /** No plan could be made for the operation over this supergraph. */
  QUERY_PLANNING_FAILED: 'QUERY_PLANNING_FAILED',
  /** The operation's type (subscription, mutation) has no root in the schema, or is not served here. */
  OPERATION_NOT_SUPPORTED: 'OPERATION_NOT_SUPPORTED',
} as const;

export type ExecutionErrorCode = (typeof ExecutionErrorCode)[keyof typeof ExecutionErrorCode];

/** A subgraph call that produced no GraphQL answer. */
export class SubgraphCallError extends Error {
  override readonly name = 'SubgraphCallError';
  constructor(
    readonly serviceName: string,
    readonly code: ExecutionErrorCode,
    message: string,
  ) {
    super(message);
  }

  formatted(path: ReadonlyArray<string | number> | undefined): GraphQLFormattedError {
    return { message: this.message, ...(path ? { path } : {}), extensions: { code: this.code, serviceName: this.serviceName } };
  }
}

/** A client's mistake found by the executor (before any subgraph call): HTTP 400 with a stable code. */
export function requestError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}
