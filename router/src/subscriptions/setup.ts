import type http from 'node:http';
import type { Viewer } from '@storefront/identity';
import type { Logger, Registry } from '@storefront/telemetry';
import type { SubgraphIdentity } from '../auth/index.ts';
import type { FederationEngine } from '../execution/engine.ts';
import { OperationAcceptance, type OperationAcceptanceOptions } from './operation-acceptance.ts';
import type { SubgraphCaller } from '../execution/subgraph-caller.ts';
import type { RouterRequestContext } from '../subgraph-fetches.ts';
import { httpSubscriptionTransports, type HttpTransports } from './http-transports.ts';
import { SubgraphStreams } from './subgraph-streams.ts';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionLimits, type SubscriptionLimitSettings } from './subscription-limits.ts';
import { createSubscriptionMetrics } from './subscription-metrics.ts';
import { SubscriptionService } from './subscription-service.ts';
import { serveWebSocketSubscriptions, type WebSocketTransport } from './websocket-transport.ts';

export interface SubscriptionsSetup {
  engine: FederationEngine;
  caller: SubgraphCaller;
  identity: SubgraphIdentity;
  subgraphUrls: Readonly<Record<string, string>>;
  authenticate: (authorization: string | undefined) => Promise<Viewer | null>;
  contextOf: (request: http.IncomingMessage, viewer: Viewer | null) => RouterRequestContext;
  clientAddress: (request: http.IncomingMessage) => string;
  registry: Registry;
  /** What decides which operations run (safelist, persisted queries, depth and cost limits), as for queries. */
  acceptance: OperationAcceptanceOptions;
  limits?: Partial<SubscriptionLimitSettings>;
  logger: Logger;
}

export interface RouterSubscriptions {
  /** The HTTP host's takeOver hook: subscriptions over SSE and multipart HTTP (http-transports.ts). */
  takeOver: HttpTransports['takeOver'];
  /** Serves the client transports on the router's HTTP server. */
  listen(server: http.Server): void;
  /** Ends every subscription with a reason and closes the subgraph connections. Safe twice. */
  close(): Promise<void>;
}

/**
 * The router's subscriptions: made before the first supergraph loads (the service follows every load), over
 * WebSocket once the HTTP server listens, over SSE and multipart HTTP through the host's takeOver hook.
 */
export function setUpSubscriptions(setup: SubscriptionsSetup): RouterSubscriptions {
  const metrics = createSubscriptionMetrics(setup.registry);
  const streams = new SubgraphStreams({ identity: setup.identity, logger: setup.logger });
  const settings = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...setup.limits };
  const service = new SubscriptionService({
    engine: setup.engine,
    caller: setup.caller,
    streams,
    subgraphUrls: setup.subgraphUrls,
    metrics,
    logger: setup.logger,
    sharing: settings.sharing,
    memberBacklog: settings.slowConsumerBacklog,
  });
  const acceptance = new OperationAcceptance(setup.acceptance);
  const limits = new SubscriptionLimits(settings);
  const http = httpSubscriptionTransports({
    service,
    acceptance,
    contextOf: setup.contextOf,
    clientAddress: setup.clientAddress,
    limits,
    metrics,
    logger: setup.logger,
  });
  let websocket: WebSocketTransport | undefined;
  let closing: Promise<void> | undefined;
  return {
    takeOver: (request, req, res, params) => http.takeOver(request, req, res, params),
    listen(server) {
      websocket = serveWebSocketSubscriptions({
        server,
        service,
        acceptance,
        authenticate: setup.authenticate,
        contextOf: setup.contextOf,
        clientAddress: setup.clientAddress,
        limits,
        metrics,
        logger: setup.logger,
        keepAliveMs: settings.keepAliveMs,
      });
    },
    close() {
      closing ??= (async () => {
        await Promise.all([websocket?.close(), http.close()]);
        await streams.close();
      })();
      return closing;
    },
  };
}
