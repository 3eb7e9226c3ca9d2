import { AsyncQueue } from '@storefront/common';
import { type RequestContext } from '@storefront/http-host';
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
 * One connection per subscription: identities differ per viewer, and a connection ending (a subgraph replica
 * going away) then ends exactly the streams it carried, each with SUBGRAPH_UNAVAILABLE.
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
  private readonly open = new Set<Client>();

  constructor(private readonly options: SubgraphStreamsOptions) {}

  /** Where each subgraph is served, for the supergraph now loaded (the same URLs HTTP calls use). */
  useUrls(urls: ReadonlyMap<string, URL>): void {
    this.urls = new Map(urls);
  }

  /**
   * The events of one subgraph subscription, as the executor's fetch results. It ends when the subgraph
   * completes it; a refusal or a lost connection becomes one last result with errors (never a silent end).
   */
  subscribe(request: SubgraphFetchRequest, context: RequestContext): AsyncIterableIterator<SubgraphFetchResult> {
    const { serviceName } = request;
    const url = this.urls.get(serviceName);
    // Filled in below; the queue's end releases whatever was opened by then.
    const opened: { client?: Client; dispose?: () => void } = {};
    const queue = new AsyncQueue<SubgraphFetchResult>(
      BACKLOG,
      () => new Error('slow consumer'),
      () => {
        opened.dispose?.();
        if (opened.client) {
          this.open.delete(opened.client);
          void opened.client.dispose();
        }
      },
    );
    if (!url) {
      queue.push({ data: null, errors: [endedError(serviceName, 'no routing URL')] });
      queue.end();
      return queue;
    }
    const client = createClient({
      url: wsUrl(url),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      keepAlive: this.options.keepAliveMs ?? 15_000,
      connectionParams: () => ({ authorization: this.options.identity(serviceName, context) }),
      onNonLazyError: (error) => {
        queue.push({ data: null, errors: [endedError(serviceName, describeClose(error))] });
        queue.end();
      },
    });
    opened.client = client;
    this.open.add(client);
    opened.dispose = client.subscribe(
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
    await Promise.all([...this.open].map((client) => client.dispose()));
    this.open.clear();
  }
}
