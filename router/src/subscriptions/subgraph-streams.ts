import { AsyncQueue } from '@storefront/subscriptions';
import { type RequestContext } from '@storefront/http-host';
import { viewerKey } from '@storefront/identity';
import { type Logger } from '@storefront/telemetry';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SubgraphIdentity } from '../auth/index.ts';
import { isObject } from '../execution/data.ts';
import { ExecutionErrorCode } from '../execution/errors.ts';
import type { SubgraphFetchRequest, SubgraphFetchResult } from '../execution/plan-executor.ts';

/*
 * The router's leg of a subscription: the primary fetch of a Subscription plan node, sent to the owning
 * subgraph over WebSocket (graphql-ws, `graphql-transport-ws`) at the subgraph's own /graphql. The connection
 * opens with the router's signed internal identity for that subgraph in `connection_init`, exactly the token an
 * HTTP call carries, so the subgraph knows who the subscription acts for and that the router vouches for it.
 *
 * One connection per (subgraph URL, identity): every stream of one viewer (and every anonymous or public
 * stream) to one subgraph is multiplexed on it. It opens with the first stream and closes with the last; a
 * connection ending (a subgraph replica going away) ends exactly the streams it carried, each with
 * SUBGRAPH_UNAVAILABLE, and the next stream opens a new one.
 */

/** Events a slow client may leave waiting before its subscription is ended (they are not buffered further). */
const BACKLOG = 32;

export interface SubgraphStreamsOptions {
  identity: SubgraphIdentity;
  logger: Logger;
  /** Server-to-subgraph keep-alive: a silent subgraph connection is noticed within about twice this. */
  keepAliveMs?: number;
}

function wsUrl(url: URL): string {
  const target = new URL(url);
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  return target.toString();
}

function endedError(serviceName: string, reason: string): GraphQLFormattedError {
  return { message: `${serviceName} ended the subscription: ${reason}`, extensions: { code: ExecutionErrorCode.SUBGRAPH_UNAVAILABLE, serviceName } };
}

function describeClose(error: unknown): string {
  if (isObject(error) && typeof error.code === 'number') {
    const reason = typeof error.reason === 'string' && error.reason ? error.reason : 'connection closed';
    return `${reason} (${error.code})`;
  }
  if (Array.isArray(error)) return error.map((item: unknown) => (isObject(item) && typeof item.message === 'string' ? item.message : String(item))).join('; ');
  return error instanceof Error ? error.message : 'connection lost';
}

export class SubgraphStreams {
  private urls = new Map<string, URL>();
  /** The connection of each (URL, identity), while it carries streams. */
  private readonly clients = new Map<string, Client>();
  private ownConnections = 0;

  constructor(private readonly options: SubgraphStreamsOptions) {}

  /** Where each subgraph is served, for the supergraph now loaded (the same URLs HTTP calls use). */
  useUrls(urls: ReadonlyMap<string, URL>): void {
    this.urls = new Map(urls);
  }

  /** Connections open now (for tests and metrics). */
  get connections(): number {
    return this.clients.size;
  }

  private clientFor(serviceName: string, url: URL, context: RequestContext, ownConnection: boolean): Client {
    const key = `${url.href}\0${viewerKey(context.viewer)}${ownConnection ? `\0${++this.ownConnections}` : ''}`;
    const existing = this.clients.get(key);
    if (existing) return existing;
    const client = createClient({
      url: wsUrl(url),
      webSocketImpl: WebSocket,
      // Opens with its first stream and closes with its last.
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      keepAlive: this.options.keepAliveMs ?? 15_000,
      // Read at every (re)connect: the identity is minted afresh (it lives 60 s).
      connectionParams: () => ({ authorization: this.options.identity(serviceName, context) }),
    });
    client.on('closed', () => {
      if (this.clients.get(key) === client) this.clients.delete(key);
    });
    this.clients.set(key, client);
    return client;
  }

  /**
   * The events of one subgraph subscription, as the executor's fetch results. It ends when the subgraph
   * completes it; a refusal or a lost connection becomes one last result with errors (never a silent end).
   * `ownConnection` gives it a connection of its own (sharing off: one connection per client subscription).
   */
  subscribe(request: SubgraphFetchRequest, context: RequestContext, { ownConnection = false }: { ownConnection?: boolean } = {}): AsyncIterableIterator<SubgraphFetchResult> {
    const { serviceName } = request;
    const url = this.urls.get(serviceName);
    // Filled in below; the queue's end releases whatever was opened by then.
    const opened: { dispose?: () => void } = {};
    const queue = new AsyncQueue<SubgraphFetchResult>(
      BACKLOG,
      () => new Error('slow consumer'),
      () => opened.dispose?.(),
    );
    if (!url) {
      queue.push({ data: null, errors: [endedError(serviceName, 'no routing URL')] });
      queue.end();
      return queue;
    }
    opened.dispose = this.clientFor(serviceName, url, context, ownConnection).subscribe(
      { query: request.query, variables: request.variables, ...(request.operationName ? { operationName: request.operationName } : {}) },
      {
        next: (result) => queue.push({ data: isObject(result.data) ? result.data : null, ...(result.errors ? { errors: result.errors } : {}) }),
        error: (error) => {
          // An array is the subgraph's GraphQL errors (its refusal); anything else, the connection.
          const errors = Array.isArray(error)
            ? (error as GraphQLFormattedError[]).map((item) => ({ ...item, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', ...item.extensions, serviceName } }))
            : [endedError(serviceName, describeClose(error))];
          queue.push({ data: null, errors });
          queue.end();
        },
        complete: () => queue.end(),
      },
    );
    return queue;
  }

  /** Closes every subgraph connection (their client subscriptions are ended by the router first). */
  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }
}
