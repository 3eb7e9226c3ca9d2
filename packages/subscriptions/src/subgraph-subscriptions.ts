import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { subscribe, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GRAPHQL_PATH } from '@storefront/http-host';
import type { IncomingRequest } from '@storefront/http-host';
import { AuthenticationError, type InternalIdentityVerifier } from '@storefront/identity';
import type { Logger } from '@storefront/telemetry';
import type { Viewer } from '@storefront/identity';

/*
 * A subgraph's Subscription fields, served over WebSocket (graphql-ws, the `graphql-transport-ws` protocol) on
 * the subgraph's own HTTP server and path. Only the router connects: `connection_init` must carry the router's
 * signed internal identity for this subgraph (`{ authorization: "Bearer <token>" }`), checked exactly as on
 * HTTP calls, so reaching the port is still not enough to act as someone. The identity is checked once, when
 * the connection opens: the router opens one connection per viewer and subgraph, and ends it (and so every
 * subscription on it) when the client's own access token expires.
 */

/** WebSocket close code for a refused identity (graphql-ws uses 4403 Forbidden for a refused connection). */
export const IDENTITY_REFUSED = 4403;

interface ConnectionState {
  viewer: Viewer | null;
  requestId: string;
}

export interface SubgraphSubscriptionsOptions<Context> {
  server: http.Server;
  schema: GraphQLSchema;
  verifyIdentity: InternalIdentityVerifier;
  /** The same per-request context HTTP requests get, built once per subscription. */
  context: (request: IncomingRequest) => Context | Promise<Context>;
  logger: Logger;
  /** Server pings that keep idle connections through proxies, and detect dead peers. */
  keepAliveMs?: number;
}

export interface SubgraphSubscriptions {
  /** Completes every subscription and closes every connection (1001 Going Away). */
  close(): Promise<void>;
}

export function serveSubgraphSubscriptions<Context>(options: SubgraphSubscriptionsOptions<Context>): SubgraphSubscriptions {
  const { server, schema, verifyIdentity, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const states = new WeakMap<object, ConnectionState>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '/').split('?', 1)[0] !== GRAPHQL_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);
  const disposable = useServer(
    {
      schema,
      subscribe,
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        try {
          const identity = await verifyIdentity(typeof authorization === 'string' ? authorization : undefined);
          states.set(ctx.extra, { viewer: identity.viewer, requestId: identity.requestId ?? randomUUID() });
          return true;
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          ctx.extra.socket.close(IDENTITY_REFUSED, error.message.slice(0, 120));
          return false;
        }
      },
      context: async (ctx) => {
        const state = states.get(ctx.extra) ?? { viewer: null, requestId: randomUUID() };
        const traceId = randomUUID().replaceAll('-', '');
        return options.context({
          requestId: state.requestId,
          traceId,
          headers: ctx.extra.request.headers,
          remoteAddress: ctx.extra.request.socket.remoteAddress,
          logger: logger.child({ requestId: state.requestId, traceId, transport: 'ws' }),
          viewer: state.viewer,
        });
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
        for (const client of wss.clients) client.close(1001, 'The subgraph is shutting down');
        await disposable.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
  };
}
