import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from '@storefront/telemetry';

/*
 * One log line per GraphQL request, at info: the HTTP host writes it when the response is done (it knows the
 * status the client got and how long it took, and its request logger carries requestId and traceId); what
 * only Apollo Server learns, the operation, this plugin notes in the request's context for it.
 */

/** What the request's log line tells of its GraphQL operation. */
export class OperationFacts {
  operationName?: string;
  operationType?: string;
  /** The extensions.code of each error in the response, once each. */
  errorCodes?: string[];
}

// A symbol, so the facts ride along in any process's context type; Apollo Server's per-operation copy of the
// context (Object.assign) carries own enumerable symbol properties too.
const FACTS = Symbol('storefront.operationFacts');

/** Gives a request's context the place requestLogPlugin fills in (the HTTP host calls this on every context it makes). */
export function attachOperationFacts(context: object): OperationFacts {
  const facts = new OperationFacts();
  Object.defineProperty(context, FACTS, { value: facts, enumerable: true });
  return facts;
}

function operationFactsOf(context: object): OperationFacts | undefined {
  const facts: unknown = Reflect.get(context, FACTS);
  return facts instanceof OperationFacts ? facts : undefined;
}

/** Client-chosen names are logged, not trusted: a name longer than any real one is cut. */
const MAX_LOGGED_NAME = 200;

/** Notes the operation's name and type and the response's error codes for the request's log line. */
export function requestLogPlugin<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue, request }) {
      const facts = operationFactsOf(contextValue);
      if (!facts) return;
      // What the client asked for, until (or in case it never) resolves to an operation of the document.
      if (typeof request.operationName === 'string') facts.operationName = request.operationName.slice(0, MAX_LOGGED_NAME);
      return {
        async didResolveOperation({ operationName, operation }) {
          facts.operationName = operationName ?? undefined;
          facts.operationType = operation?.operation;
        },
        async willSendResponse({ response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const codes = new Set((result.errors ?? []).map((error) => String(error.extensions?.code ?? 'UNKNOWN')));
          if (codes.size) facts.errorCodes = [...codes];
        },
      };
    },
  };
}

/**
 * The request's line: how it was answered, its operation as far as it got, and the process's own `fields`
 * (the router's subgraph fetches). `requestLogger` is the request's, which carries requestId and traceId.
 */
export function logGraphQLRequest(
  requestLogger: Logger,
  answer: { method: string; status: number; seconds: number },
  operation: OperationFacts | undefined,
  fields?: () => Record<string, unknown>,
): void {
  // Quiet processes (LOG_LEVEL=warn, benchmarks) skip building the line at all.
  if (!requestLogger.isLevelEnabled('info')) return;
  let extra: Record<string, unknown> = {};
  // This runs in the response's 'finish' handler, where a throw would take the process down.
  try {
    extra = fields?.() ?? {};
  } catch (error) {
    requestLogger.warn({ err: error }, 'request log fields failed');
  }
  const { operationName, operationType, errorCodes } = operation ?? {};
  requestLogger.info(
    {
      method: answer.method,
      status: answer.status,
      durationMs: Math.round(answer.seconds * 10_000) / 10,
      ...(operationName ? { operationName } : {}),
      ...(operationType ? { operationType } : {}),
      ...(errorCodes ? { errorCodes } : {}),
      ...extra,
    },
    'graphql request',
  );
}
