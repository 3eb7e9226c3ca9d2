import type http from 'node:http';
import type { IncomingRequest } from '@storefront/http-host';
import type { Viewer } from '@storefront/identity';
import type { Logger } from '@storefront/telemetry';
import type { FormattedExecutionResult } from 'graphql';
import type { RouterRequestContext } from '../subgraph-fetches.ts';
import { isRefusal, isSubscriptionSource, type AcceptedOperation, type OperationAcceptance, type OperationParams, type Refusal } from './operation-acceptance.ts';
import { accessTokenExpiry, SessionEnd } from './session-expiry.ts';
import { SlowSubscriber } from './shared-subscriptions.ts';
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
 * Queries and mutations with those Accept headers are Apollo Server's as usual. A subscription is accepted as a
 * query would be (operation-acceptance.ts: persisted queries, safelist, validation, depth and cost limits). The caller was authenticated by
 * the host (the Authorization header, as for queries); its token's expiry ends the stream with UNAUTHENTICATED.
 * A client that stops reading is dropped once `maxBufferedBytes` wait for it.
 */

export interface HttpTransportsOptions {
  service: SubscriptionService;
  acceptance: OperationAcceptance;
  contextOf: (request: http.IncomingMessage, viewer: Viewer | null) => RouterRequestContext;
  clientAddress: (request: http.IncomingMessage) => string;
  limits: SubscriptionLimits;
  metrics: SubscriptionMetrics;
  logger: Logger;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
}

function paramsOf(body: unknown, search: string): OperationParams | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    return { query, operationName, variables, extensions };
  }
  const params = new URLSearchParams(search);
  if (!params.has('query') && !params.has('extensions')) return undefined;
  const json = (name: string): unknown => (params.get(name) ? JSON.parse(params.get(name) as string) : undefined);
  try {
    return { query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined, variables: json('variables'), extensions: json('extensions') };
  } catch {
    // Apollo Server answers malformed parameters.
    return undefined;
  }
}

function transportOf(accept: string | undefined): Transport | undefined {
  const value = (accept ?? '').toLowerCase();
  if (value.includes('text/event-stream')) return 'sse';
  if (/multipart\/mixed[^,]*subscriptionspec/.test(value)) return 'multipart';
  return undefined;
}

function refuse(res: http.ServerResponse, refused: Refusal): void {
  res.statusCode = refused.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: refused.errors }));
}

/** How one transport writes a stream. */
interface StreamWriter {
  /** Sets the content type; returns what the stream opens with. */
  start(res: http.ServerResponse): string;
  result(result: FormattedExecutionResult): string;
  heartbeat: string;
  end(fatal?: FormattedExecutionResult['errors']): string;
}

/** A shared event's payload is one object for every subscriber of its group: serialized once for all of them. */
const serialized = new WeakMap<object, string>();
function jsonOf(result: FormattedExecutionResult): string {
  let json = serialized.get(result);
  if (json === undefined) serialized.set(result, (json = JSON.stringify(result)));
  return json;
}

const SSE: StreamWriter = {
  start: (res) => {
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('x-accel-buffering', 'no');
    return '';
  },
  result: (result) => `event: next\ndata: ${jsonOf(result)}\n\n`,
  heartbeat: ':\n\n',
  end: (fatal) => `${fatal ? `event: next\ndata: ${JSON.stringify({ errors: fatal })}\n\n` : ''}event: complete\ndata:\n\n`,
};

/*
 * A part ends where the next delimiter begins, so every part is written with the delimiter after it: a client
 * (Apollo Client's multipart reader) hands a part on as soon as it has read it, not when the next event or
 * heartbeat arrives. The stream opens with the first delimiter and ends by closing the last one.
 */
const PART = '\r\ncontent-type: application/json\r\n\r\n';
const DELIMITER = '\r\n--graphql';
const MULTIPART: StreamWriter = {
  start: (res) => {
    res.setHeader('content-type', 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    return DELIMITER;
  },
  result: (result) => `${PART}{"payload":${jsonOf(result)}}${DELIMITER}`,
  heartbeat: `${PART}{}${DELIMITER}`,
  end: (fatal) => `${fatal ? `${PART}${JSON.stringify({ payload: null, errors: fatal })}${DELIMITER}` : ''}--\r\n`,
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

  async function serve(transport: Transport, viewer: Viewer | null, req: http.IncomingMessage, res: http.ServerResponse, accepted: AcceptedOperation): Promise<void> {
    const writer = transport === 'sse' ? SSE : MULTIPART;
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
    let dropped = false;
    const dropSlow = () => {
      if (dropped) return;
      dropped = true;
      metrics.ended('slow_consumer');
      options.logger.info({ transport }, 'dropped a subscriber that stopped reading');
      res.destroy();
    };
    try {
      const outcome = await service.start({
        document: accepted.document,
        operationName: accepted.operationName,
        variables: accepted.variables,
        session: { transport, viewer, context: options.contextOf(req, viewer), ended: end.ended, slow: dropSlow },
      });
      res.statusCode = 200;
      res.setHeader('cache-control', 'no-store');
      const opening = writer.start(res);
      res.flushHeaders();
      if (opening) res.write(opening);
      if (!(Symbol.asyncIterator in outcome)) {
        res.end(writer.result(outcome) + writer.end());
        return;
      }
      // The client went away: stop the subscription (and its subgraph stream).
      res.once('close', () => void outcome.return(undefined));
      try {
        for await (const result of outcome) {
          if (res.destroyed) break;
          res.write(writer.result(result));
          if (res.writableLength > maxBufferedBytes) {
            dropSlow();
            break;
          }
        }
      } catch (error) {
        if (!(error instanceof SlowSubscriber)) throw error;
        dropSlow();
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
      if (!params) return false;
      const source = await options.acceptance.sourceOf(params);
      if (isRefusal(source)) {
        // Refused before its text is known to be a subscription. In safelist mode the refusal is the same for any
        // operation (and Apollo Server would not answer a stream-only Accept header); otherwise Apollo Server
        // answers what is not a subscription (it may know an APQ hash from its own in-process cache).
        const subscription = typeof params.query === 'string' && isSubscriptionSource(params.query, params.operationName);
        if (!subscription && !options.acceptance.safelistMode) return false;
        refuse(res, source);
        return true;
      }
      if (!isSubscriptionSource(source, params.operationName)) return false;
      const schema = service.schema();
      if (!schema) {
        refuse(res, { status: 503, errors: [{ message: 'No supergraph is loaded yet', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
        return true;
      }
      const accepted = options.acceptance.check(schema, source, params);
      if (isRefusal(accepted)) refuse(res, accepted);
      else await serve(transport, request.viewer, req, res, accepted);
      return true;
    },
    async close() {
      const entries = [...open];
      for (const entry of entries) entry.end.end();
      await Promise.all(entries.map((entry) => entry.done));
    },
  };
}
