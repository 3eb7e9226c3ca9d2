import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError } from 'graphql';
import { ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Viewer } from './viewer.ts';

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
 * True for failures nobody anticipated (a bug or an outage) in this process, as opposed to deliberate GraphQL
 * errors (which carry a code) and errors a subgraph already reported (which carry its serviceName).
 */
function isUnexpected(error: GraphQLError): boolean {
  if (error.extensions?.serviceName) return false;
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
  'plugins' | 'introspection' | 'includeStacktraceInErrorResponses' | 'parseOptions' | 'formatError'
> {
  const development = nodeEnv !== 'production';
  return {
    introspection: development,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    // Not every error reaches here as a GraphQLError: the gateway reports a failed subgraph fetch (connection
    // refused, timeout) as the raw error, whose message would name hosts and ports.
    formatError: (formatted, error) =>
      !(error instanceof GraphQLError) || isUnexpected(error)
        ? { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }
        : formatted,
    plugins: [
      maskUnexpectedErrors<Context>(),
      // Federated traces (ftv1) are only computed when a router asks for them; masked like any other error.
      ApolloServerPluginInlineTrace({ includeErrors: { transform: (error) => error } }),
      landingPage && development
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  };
}
