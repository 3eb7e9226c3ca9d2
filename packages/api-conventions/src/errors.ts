import { GraphQLError } from 'graphql';

/**
 * Every `extensions.code` a client of this supergraph can receive. Clients branch on these, so they are a
 * public contract: add codes, never rename them. Apollo Server's own codes are listed too.
 */
export const ErrorCode = {
  /** The HTTP request itself is unusable: malformed JSON, wrong method or content type. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The request body is larger than the server accepts (MAX_BODY_BYTES). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The document is not valid GraphQL syntax, or has more tokens than allowed. (Apollo Server) */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The document does not validate against the schema: unknown field, wrong argument. (Apollo Server) */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** An argument or variable has the wrong type or an invalid value. (Apollo Server and services) */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /**
   * The request names no operation of its document: operationName is unknown (or empty), or the document has
   * several operations and operationName is missing. HTTP 400. (Apollo Server)
   */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** The operation needs a signed-in user and the request has none. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The signed-in user may not do this. */
  FORBIDDEN: 'FORBIDDEN',
  /**
   * The router removed this field before running the operation: its @authenticated, @requiresScopes or @policy
   * rule does not admit the caller. The field is null at the error's path; the rest of the query still answers.
   */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The operation asked for something that does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** An automatic persisted query's hash is unknown: send it again with the full `query`. (Apollo Server) */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** extensions.persistedQuery.sha256Hash is not the SHA-256 of the `query` sent with it; nothing was stored or run. HTTP 400. */
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  /** The router runs only the operations of its safelist (SAFELIST_PATH), and this is not one of them. HTTP 400. */
  PERSISTED_QUERY_NOT_IN_SAFELIST: 'PERSISTED_QUERY_NOT_IN_SAFELIST',
  /** The operation's estimated cost (extensions.cost) exceeds MAX_QUERY_COST; ask for fewer items. HTTP 400. */
  COST_ESTIMATED_TOO_EXPENSIVE: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** The operation's fields nest deeper (extensions.depth) than MAX_QUERY_DEPTH. HTTP 400. */
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  /** Too many requests from this IP or user in the current window; retry after the Retry-After header's seconds. HTTP 429. */
  RATE_LIMITED: 'RATE_LIMITED',
  /**
   * Too many failed sign-ins for this account or from this address: wait `extensions.retryAfterSeconds`.
   * The same for every e-mail, known or not (accounts).
   */
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  /** A subgraph is failing and the router stopped calling it for a moment (circuit open); its fields are null. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  /**
   * A browser's CORS preflight came from an origin the router does not allow (CORS_ORIGINS), so the browser will
   * not send the request. HTTP 403.
   */
  CORS_ORIGIN_NOT_ALLOWED: 'CORS_ORIGIN_NOT_ALLOWED',
  /**
   * The service cannot take the request now (the router has no supergraph yet, accounts' hashing queue is full,
   * the Redis holding a job queue did not answer within its deadline, so the job may not be queued); retry
   * shortly, after `extensions.retryAfterSeconds` when given. Retrying is safe where this is returned.
   */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Something failed inside a service; details are in its logs under the request id. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A client error in an argument, naming the argument so forms can show it next to the field. */
export function badUserInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argument ? { argument } : {}) },
  });
}

/** A refusal the client should retry shortly: SERVICE_UNAVAILABLE, with `retryAfterSeconds`. */
export function serviceUnavailable(message: string, retryAfterSeconds = 1): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds } });
}

/** An HTTP-level error body in the GraphQL-over-HTTP shape, for failures before GraphQL runs. */
export function httpErrorBody(code: ErrorCode, message: string, requestId?: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...(requestId ? { requestId } : {}) } }] });
}
