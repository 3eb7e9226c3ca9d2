import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { GRAPHQL_PATH } from '@storefront/http-host';
import { AuthenticationError, type Viewer } from '@storefront/identity';
import { type Logger } from '@storefront/telemetry';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RouterRequestContext } from '../subgraph-fetches.ts';
import { isRefusal, type OperationAcceptance } from './operation-acceptance.ts';
import { accessTokenExpiry, SessionEnd } from './session-expiry.ts';
import type { SubscriptionLimits } from './subscription-limits.ts';
import type { SubscriptionMetrics } from './subscription-metrics.ts';
import { SlowSubscriber } from './shared-subscriptions.ts';
import { stoppable } from './stoppable.ts';
import type { SubscriptionService, SubscriptionSession } from './subscription-service.ts';

/*
 * Clients' subscriptions over WebSocket with the `graphql-transport-ws` protocol (graphql-ws; Apollo Sandbox,
 * Apollo Client's GraphQLWsLink, urql), on the router's own HTTP server at /graphql. The client is
 * authenticated when it connects, with the same access-token check as a query: `connection_init`'s payload
 * `{ authorization: "Bearer <token>" }` (what browsers can send), else the upgrade request's Authorization
 * header. A bad token closes the connection with 4401; its expiry ends every subscription on it with an
 * UNAUTHENTICATED error, then closes it with 4401. Each `subscribe` is accepted as a query would be
 * (operation-acceptance.ts: persisted queries, safelist, validation, depth and cost limits), its refusal sent
 * as the operation's `error` message with the query's error codes.
 */

export const UNAUTHORIZED_CLOSE = 4401;
export const TOO_MANY_CLOSE = 4429;
const GOING_AWAY = 1001;
/** A client that stopped reading its subscriptions (1008 Policy Violation, with that reason). */
export const SLOW_CONSUMER_CLOSE = 1008;

interface Connection {
  socket: WebSocket;
  viewer: Viewer | null;
  end: SessionEnd;
  context: RouterRequestContext;
  release?: () => void;
}

export interface WebSocketTransportOptions {
  server: http.Server;
  service: SubscriptionService;
  acceptance: OperationAcceptance;
  /** The router's access-token check (the same function queries use). */
  authenticate: (authorization: string | undefined) => Promise<Viewer | null>;
  /** The request context a subscription's subgraph calls carry (request id, trace id, client address). */
  contextOf: (request: http.IncomingMessage, viewer: Viewer | null) => RouterRequestContext;
  /** The client's address as the router resolves it (behind trusted proxies), for per-IP limits. */
  clientAddress: (request: http.IncomingMessage) => string;
  limits: SubscriptionLimits;
  metrics: SubscriptionMetrics;
  logger: Logger;
  /** Server pings; a client that does not answer is dropped (graphql-ws closes it). */
  keepAliveMs?: number;
  /** Bytes that may wait in a connection's send buffer before the client is dropped as too slow. */
  maxBufferedBytes?: number;
}

export interface WebSocketTransport {
  /** Ends every subscription with a reason, then closes every connection (1001 Going Away). */
  close(): Promise<void>;
}

function asExecutionResult(result: FormattedExecutionResult): ExecutionResult {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: errors.map((error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions })) } : rest;
}

async function* withGraphQLErrors(results: AsyncGenerator<FormattedExecutionResult>, tooSlow: () => boolean, dropSlow: () => void): AsyncGenerator<ExecutionResult> {
  // Returning this generator early (the client completed) returns the inner one, which leaves the shared stream.
  try {
    for await (const result of results) {
      // ws buffers whatever is sent: a client that stops reading is dropped instead of growing the router.
      if (tooSlow()) return;
      yield asExecutionResult(result);
    }
  } catch (error) {
    // graphql-ws waits for each message to be written before it asks for the next, so a client that stopped
    // reading leaves its deliveries queued: past the queue's limit it is dropped, not buffered further.
    if (!(error instanceof SlowSubscriber)) throw error;
    dropSlow();
  } finally {
    await results.return(undefined);
  }
}

function closeSoon(socket: WebSocket, code: number, reason: string): void {
  // After the subscriptions' last messages, which are written before the close frame in this order anyway.
  setImmediate(() => socket.close(code, reason));
}

export function serveWebSocketSubscriptions(options: WebSocketTransportOptions): WebSocketTransport {
  const { server, service, limits, metrics, logger } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const connections = new Map<object, Connection>();

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '/').split('?', 1)[0] !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  const disposable = useServer<Record<string, unknown> | undefined, { connection?: Connection }>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const given = ctx.connectionParams?.authorization;
        const authorization = typeof given === 'string' && given ? given : request.headers.authorization;
        let viewer: Viewer | null;
        try {
          viewer = await options.authenticate(authorization);
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          socket.close(UNAUTHORIZED_CLOSE, error.message.slice(0, 120));
          return false;
        }
        const release = limits.admitConnection(viewer, options.clientAddress(request));
        if (typeof release === 'string') {
          metrics.ended('limit');
          socket.close(TOO_MANY_CLOSE, release.slice(0, 120));
          return false;
        }
        const end = new SessionEnd(viewer ? accessTokenExpiry(authorization) : undefined, (error, reason) => {
          metrics.ended(reason);
          closeSoon(socket, reason === 'token_expired' ? UNAUTHORIZED_CLOSE : GOING_AWAY, String(error.message).slice(0, 120));
        });
        const connection: Connection = { socket, viewer, end, context: options.contextOf(request, viewer), release };
        ctx.extra.connection = connection;
        connections.set(ctx.extra, connection);
        metrics.connectionOpened('ws');
        return true;
      },
      onClose: (ctx) => {
        const connection = ctx.extra.connection;
        if (!connection) return;
        connection.end.dispose();
        connection.release?.();
        connections.delete(ctx.extra);
        metrics.connectionClosed('ws');
      },
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has registered this subscription's id already: it counts itself.
        if (Object.keys(ctx.subscriptions).length > limits.perConnection) {
          metrics.ended('limit');
          return [new GraphQLError(`At most ${limits.perConnection} subscriptions per connection`, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
        }
        const schema = service.schema();
        if (!schema) return [new GraphQLError('No supergraph is loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
        const accepted = await options.acceptance.accept(schema, payload);
        if (isRefusal(accepted)) return accepted.errors.map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
        // Returned arguments are run as they are: graphql-ws neither parses nor validates them again.
        return { schema, document: accepted.document, operationName: accepted.operationName, variableValues: accepted.variables, contextValue: ctx.extra.connection ?? null };
      },
      execute: () => ({ errors: [new GraphQLError('Send queries and mutations over HTTP; this connection carries subscriptions.', { extensions: { code: 'OPERATION_NOT_SUPPORTED' } })] }),
      subscribe: async (args: ExecutionArgs) => {
        const connection = args.contextValue as Connection | null;
        if (!connection) return { errors: [new GraphQLError('Not connected', { extensions: { code: 'UNAUTHENTICATED' } })] };
        let dropped = false;
        const dropSlow = () => {
          if (dropped) return;
          dropped = true;
          metrics.ended('slow_consumer');
          logger.info({ transport: 'ws' }, 'dropped a subscriber that stopped reading');
          // The close frame waits behind what is buffered; ws gives up on the handshake after 30 s.
          connection.socket.close(SLOW_CONSUMER_CLOSE, 'SLOW_CONSUMER: the client stopped reading its subscriptions');
        };
        const session: SubscriptionSession = { transport: 'ws', viewer: connection.viewer, context: connection.context, ended: connection.end.ended, slow: dropSlow };
        const outcome = await service.start({
          document: args.document,
          operationName: args.operationName ?? undefined,
          variables: args.variableValues ?? undefined,
          session,
        });
        // graphql-ws serializes errors with toJSON(): they go out as GraphQLErrors, formatted as given.
        if (!(Symbol.asyncIterator in outcome)) return asExecutionResult(outcome);
        const tooSlow = () => {
          if (connection.socket.bufferedAmount <= maxBufferedBytes) return false;
          dropSlow();
          return true;
        };
        // graphql-ws ends it with return(): passed on to the outcome at once, not after the next event.
        return stoppable(withGraphQLErrors(outcome, tooSlow, dropSlow), () => void outcome.return(undefined));
      },
    },
    wss,
    options.keepAliveMs ?? 15_000,
  );

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        server.off('upgrade', onUpgrade);
        for (const connection of connections.values()) connection.end.end();
        // Let the subscriptions write their last message before the sockets go.
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (const client of wss.clients) client.close(GOING_AWAY, 'The router is shutting down');
        await disposable.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        logger.debug('websocket subscriptions closed');
      })();
      return closing;
    },
  };
}
