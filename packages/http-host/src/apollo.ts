import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { BREAK, GraphQLError, Kind, visit, type ASTVisitor, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql';
import { ErrorCode } from '@storefront/api-conventions';
import type { Logger } from '@storefront/telemetry';
import { requestLogPlugin } from './request-log.ts';
import { containsNul, pathsOfStrings } from '@storefront/api-conventions';
import type { Viewer } from '@storefront/identity';

/** The part of every request context the shared plumbing relies on. */
export interface RequestContext extends BaseContext {
  requestId: string;
  logger: Logger;
  /** The signed-in user the request acts for, if any. */
  viewer: Viewer | null;
}

/** A document with more tokens than this is refused at parse time, before any work is done. */
export const MAX_QUERY_TOKENS = 5_000;

/**
 * The code of a client mistake Apollo Server reports without one (an APQ hash that does not match its query,
 * an unsupported APQ version): such errors carry an HTTP status of 4xx and no code, and would otherwise be
 * coded, masked and logged as INTERNAL_SERVER_ERROR. The HTTP host catches the known ones first; this is the
 * safety net for the rest.
 */
function uncodedClientErrorCode(error: GraphQLError): ErrorCode | undefined {
  if (error.extensions?.code !== undefined) return undefined;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return error.message === 'provided sha does not match query' ? ErrorCode.PERSISTED_QUERY_HASH_MISMATCH : ErrorCode.BAD_REQUEST;
}

/**
 * True for failures nobody anticipated (a bug or an outage) in this process, as opposed to deliberate GraphQL
 * errors (which carry a code) and errors a subgraph already reported (which carry its serviceName).
 */
function isUnexpected(error: GraphQLError): boolean {
  if (error.extensions?.serviceName) return false;
  if (uncodedClientErrorCode(error)) return false;
  const code = error.extensions?.code;
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) return false;
  return !(unwrapResolverError(error.originalError) instanceof GraphQLError) || code === ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Unexpected errors are logged with the request id and replaced by a generic message, so internals (SQL,
 * stack traces, hostnames) never reach clients; the request id lets an operator find the log line.
 */
export function maskUnexpectedErrors<Context extends RequestContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (isUnexpected(error)) {
              contextValue.logger.error({ err: unwrapResolverError(error.originalError ?? error) }, 'unexpected error');
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const { singleResult } = response.body;
          if (!singleResult.errors) return;
          singleResult.errors = singleResult.errors.map((error) =>
            error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && !error.extensions.serviceName
              ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
              : error,
          );
        },
      };
    },
  };
}

/**
 * Operation Type Existence (GraphQL spec, and graphql-js 17's KnownOperationTypesRule): a subscription where the
 * schema has no Subscription root, or a mutation without a Mutation root, fails validation (400
 * GRAPHQL_VALIDATION_FAILED) instead of reaching an executor that cannot run it.
 */
export const KnownOperationTypes: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, { nodes: node }));
    }
  },
});

/**
 * A request whose document has no operation to run (operationName unknown or empty, or missing while there
 * are several) is refused with 400 OPERATION_RESOLUTION_FAILURE before execution. Apollo Server leaves this to
 * the executor, and a gateway's executor reports it as an internal error.
 */
export function refuseUnresolvedOperations<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (operation) return;
          const name = request.operationName;
          const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
          const message =
            typeof name === 'string'
              ? `Unknown operation named "${name}".`
              : operations > 1
                ? 'Must provide operation name if query contains multiple operations.'
                : 'Must provide an operation.';
          throw new GraphQLError(message, { extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: 400 } } });
        },
      };
    },
  };
}

/** Where a string literal of the document holds NUL: the argument it is given to, if it is one. */
function nulLiteral(document: DocumentNode): { argument?: string } | undefined {
  let argument: string | undefined;
  let found: { argument?: string } | undefined;
  visit(document, {
    Argument: {
      enter: (node) => void (argument = node.name.value),
      leave: () => void (argument = undefined),
    },
    StringValue(node) {
      if (!containsNul(node.value)) return undefined;
      found = argument ? { argument } : {};
      return BREAK;
    },
  });
  return found;
}

/**
 * A query (or subscription) with NUL in any string, in its variables or its literals, is refused with 400
 * BAD_USER_INPUT before it runs: Postgres cannot hold or compare text with NUL, so a search or a lookup by it
 * would fail with a 500. Mutations are left to validateInput, which reports such a field as
 * INVALID_CHARACTERS in their payload, beside the form's other mistakes.
 */
export function refuseNulInQueries<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation || operation.operation === 'mutation') return;
          const [variablePath] = pathsOfStrings(request.variables ?? {}, containsNul, 1);
          const literal = variablePath ? undefined : nulLiteral(document);
          if (!variablePath && !literal) return;
          const where = variablePath ? `Variable "$${variablePath.join('.')}"` : literal?.argument ? `Argument "${literal.argument}"` : 'A string of the document';
          throw new GraphQLError(`${where} contains a NUL character (U+0000), which no text may hold`, {
            extensions: { code: ErrorCode.BAD_USER_INPUT, ...(literal?.argument ? { argument: literal.argument } : {}), http: { status: 400 } },
          });
        },
      };
    },
  };
}

export interface CommonApolloOptions {
  nodeEnv: 'development' | 'test' | 'production';
  /** Sandbox on the landing page in development; subgraphs are not meant to be browsed. */
  landingPage: boolean;
}

/** Settings every Apollo Server in the platform shares (router and subgraphs alike). */
export function commonApolloOptions<Context extends RequestContext>({
  nodeEnv,
  landingPage,
}: CommonApolloOptions): Pick<
  ApolloServerOptions<Context>,
  'plugins' | 'introspection' | 'includeStacktraceInErrorResponses' | 'parseOptions' | 'validationRules' | 'formatError'
> {
  const development = nodeEnv !== 'production';
  return {
    introspection: development,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    validationRules: [KnownOperationTypes],
    // Not every error reaches here as a GraphQLError: the gateway reports a failed subgraph fetch (connection
    // refused, timeout) as the raw error, whose message would name hosts and ports.
    formatError: (formatted, error) => {
      if (!(error instanceof GraphQLError)) return { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
      const clientCode = uncodedClientErrorCode(error);
      if (clientCode) return { ...formatted, extensions: { ...formatted.extensions, code: clientCode } };
      return isUnexpected(error) ? { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } } : formatted;
    },
    plugins: [
      // First, so its refusal wins over any other plugin's view of a request without an operation.
      refuseUnresolvedOperations<Context>(),
      refuseNulInQueries<Context>(),
      maskUnexpectedErrors<Context>(),
      // The operation, for the one log line the HTTP host writes per request.
      requestLogPlugin<Context>(),
      // Federated traces (ftv1) are only computed when a router asks for them; masked like any other error.
      ApolloServerPluginInlineTrace({ includeErrors: { transform: (error) => error } }),
      landingPage && development
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  };
}
