import type http from 'node:http';
import type { IncomingRequest, Logger, Viewer } from '@storefront/common';
import { GraphQLError, Kind, parse, validate, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import type { RouterRequestContext } from '../subgraph-fetches.ts';
import { accessTokenExpiry, SessionEnd } from './session-expiry.ts';
import type { SubscriptionLimits } from './subscription-limits.ts';
import type { SubscriptionMetrics, Transport } from './subscription-metrics.ts';
import type { SubscriptionService } from './subscription-service.ts';

/*
 * Subscriptions over plain HTTP at /graphql, one subscription per request, chosen by the Accept header:
 *
 * - Server-Sent Events, graphql-sse's "distinct connections" mode (`Accept: text/event-stream`): each result
 *   an `event: next` with the result as `data`, then `event: complete`; `:` comment lines keep it alive.
 * - Multipart HTTP (`Accept: multipart/mixed;subscriptionSpec=1.0`, what Apollo Client sends): each result a
 *   part `{"payload": <result>}` after a `--graphql` boundary, `{}` parts as heartbeats, a fatal error as
 *   `{"payload": null, "errors": [...]}`, then the closing boundary.
 *
 * Queries and mutations with those Accept headers are Apollo Server's as usual. The caller was authenticated by
 * the host (the Authorization header, as for queries); its token's expiry ends the stream with UNAUTHENTICATED.
 * A client that stops reading is dropped once `maxBufferedBytes` wait for it.
 */

export interface HttpTransportsOptions {
  service: SubscriptionService;
  contextOf: (request: http.IncomingMessage, viewer: Viewer | null) => RouterRequestContext;
  clientAddress: (request: http.IncomingMessage) => string;
  limits: SubscriptionLimits;
  metrics: SubscriptionMetrics;
  logger: Logger;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
}

interface Params {
  query: unknown;
  operationName: unknown;
  variables: unknown;
}

function paramsOf(body: unknown, search: string): Params | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { query, operationName, variables } = body as Record<string, unknown>;
    return { query, operationName, variables };
  }
  const params = new URLSearchParams(search);
  if (!params.has('query')) return undefined;
  let variables: unknown;
  try {
    variables = params.get('variables') ? JSON.parse(params.get('variables') as string) : undefined;
  } catch {
    return undefined;
  }
  return { query: params.get('query'), operationName: params.get('operationName') ?? undefined, variables };
}

function transportOf(accept: string | undefined): Transport | undefined {
  const value = (accept ?? '').toLowerCase();
  if (value.includes('text/event-stream')) return 'sse';
  if (/multipart\/mixed[^,]*subscriptionspec/.test(value)) return 'multipart';
  return undefined;
}

/** The subscription operation a request names, parsed; undefined for anything else (Apollo Server answers it). */
function subscriptionDocument(params: Params): DocumentNode | undefined {
  if (typeof params.query !== 'string' || !params.query.includes('subscription')) return undefined;
  let document: DocumentNode;
  try {
    document = parse(params.query, { maxTokens: 10_000 });
  } catch {
    return undefined;
  }
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const name = typeof params.operationName === 'string' ? params.operationName : undefined;
  const operation = name ? operations.find((candidate) => candidate.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
  return operation?.operation === 'subscription' ? document : undefined;
}

/** How one transport writes a stream. */
interface StreamWriter {
  start(res: http.ServerResponse): void;
  result(result: FormattedExecutionResult): string;
  heartbeat: string;
  end(fatal?: FormattedExecutionResult['errors']): string;
}

const SSE: StreamWriter = {
  start: (res) => {
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('x-accel-buffering', 'no');
  },
  result: (result) => `event: next\ndata: ${JSON.stringify(result)}\n\n`,
  heartbeat: ':\n\n',
  end: (fatal) => `${fatal ? `event: next\ndata: ${JSON.stringify({ errors: fatal })}\n\n` : ''}event: complete\ndata:\n\n`,
};

const MULTIPART: StreamWriter = {
  start: (res) => res.setHeader('content-type', 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'),
  result: (result) => `\r\n--graphql\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ payload: result })}`,
  heartbeat: '\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{}',
  end: (fatal) => `${fatal ? `\r\n--graphql\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ payload: null, errors: fatal })}` : ''}\r\n--graphql--\r\n`,
};

export interface HttpTransports {
  /** The host's takeOver hook: serves the request when it is a subscription over SSE or multipart HTTP. */
  takeOver(request: IncomingRequest, req: http.IncomingMessage, res: http.ServerResponse, params: { body: unknown; search: string }): Promise<boolean>;
  /** Ends every stream with a reason. */
  close(): Promise<void>;
}

export function httpSubscriptionTransports(options: HttpTransportsOptions): HttpTransports {
  const { service, limits, metrics } = options;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const open = new Set<{ end: SessionEnd; done: Promise<void> }>();

  async function serve(transport: Transport, viewer: Viewer | null, req: http.IncomingMessage, res: http.ServerResponse, document: DocumentNode, params: Params): Promise<void> {
    const writer = transport === 'sse' ? SSE : MULTIPART;
    const schema = service.schema();
    const validation = schema ? validate(schema, document) : [new GraphQLError('No supergraph is loaded yet', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
    if (validation.length) {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ errors: validation.map((error) => ({ message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...error.extensions } })) }));
      return;
    }
    const release = limits.admitConnection(viewer, options.clientAddress(req));
    if (typeof release === 'string') {
      metrics.ended('limit');
      res.statusCode = 429;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ errors: [{ message: release, extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] }));
      return;
    }
    const end = new SessionEnd(viewer ? accessTokenExpiry(req.headers.authorization) : undefined, (_error, reason) => metrics.ended(reason));
    metrics.connectionOpened(transport);
    let finish!: () => void;
    const entry = { end, done: new Promise<void>((resolve) => (finish = resolve)) };
    open.add(entry);
    const heartbeat = setInterval(() => res.write(writer.heartbeat), heartbeatMs);
    try {
      const outcome = await service.start({
        document,
        operationName: typeof params.operationName === 'string' ? params.operationName : undefined,
        variables: params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : undefined,
        session: { transport, viewer, context: options.contextOf(req, viewer), ended: end.ended },
      });
      res.statusCode = 200;
      res.setHeader('cache-control', 'no-store');
      writer.start(res);
      res.flushHeaders();
      if (!(Symbol.asyncIterator in outcome)) {
        res.end(writer.result(outcome) + writer.end());
        return;
      }
      // The client went away: stop the subscription (and its subgraph stream).
      res.once('close', () => void outcome.return(undefined));
      for await (const result of outcome) {
        if (res.destroyed) break;
        res.write(writer.result(result));
        if (res.writableLength > maxBufferedBytes) {
          metrics.ended('slow_consumer');
          options.logger.info({ transport }, 'dropped a subscriber that stopped reading');
          res.destroy();
          break;
        }
      }
      if (!res.destroyed) res.end(writer.end());
    } finally {
      clearInterval(heartbeat);
      end.dispose();
      release();
      metrics.connectionClosed(transport);
      open.delete(entry);
      finish();
    }
  }

  return {
    async takeOver(request, req, res, { body, search }) {
      const transport = transportOf(req.headers.accept);
      if (!transport || (req.method !== 'GET' && req.method !== 'POST')) return false;
      const params = paramsOf(body, search);
      const document = params && subscriptionDocument(params);
      if (!params || !document) return false;
      await serve(transport, request.viewer, req, res, document, params);
      return true;
    },
    async close() {
      const entries = [...open];
      for (const entry of entries) entry.end.end();
      await Promise.all(entries.map((entry) => entry.done));
    },
  };
}
