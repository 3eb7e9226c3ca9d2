import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { context as otelContext, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { appendVary, createCorsHandler, type CorsOptions } from './cors.ts';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import type { Logger } from '@storefront/telemetry';
import { AuthenticationError } from '@storefront/identity';
import { createHttpMetrics, metricsHandler, type HttpMetrics, type Registry } from '@storefront/telemetry';
import { OVERSIZED_BODY_DRAIN, readBoundedBody, type DrainBounds } from './request-body.ts';
import { attachOperationFacts, logGraphQLRequest, type OperationFacts } from './request-log.ts';
import { MAX_JSON_DEPTH, postedRequestProblem, searchRequestProblem } from './request-checks.ts';
import { activeTraceId, newTraceId, storefrontTracer, traceIdFromTraceparent } from '@storefront/telemetry';
import type { Viewer } from '@storefront/identity';

/** What a GraphQL process knows about an incoming request before GraphQL runs. */
export interface IncomingRequest {
  requestId: string;
  /**
   * The W3C trace id this request belongs to: the server span's when tracing is on, else the caller's
   * traceparent's, else a new one. Every log line of the request carries it (with requestId).
   */
  traceId: string;
  headers: http.IncomingHttpHeaders;
  /** The connected peer's address (a proxy's, when there is one in front: the router resolves the client's). */
  remoteAddress: string | undefined;
  logger: Logger;
  viewer: Viewer | null;
}

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export interface GraphQLHttpHostOptions<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  logger: Logger;
  context: (request: IncomingRequest) => Promise<Context>;
  maxBodyBytes: number;
  /**
   * How deeply a GraphQL request's JSON may nest (the request object is level 1); deeper ones get 400
   * BAD_REQUEST before anything recursive looks at them. Default MAX_JSON_DEPTH (64).
   */
  maxJsonDepth?: number;
  /**
   * How much of a body over maxBodyBytes is read and discarded before the 413 is sent, so that a client still
   * sending receives it rather than a connection reset. Default OVERSIZED_BODY_DRAIN (16 MB, 5 s).
   */
  oversizedBodyDrain?: DrainBounds;
  /** Extra exact-path routes such as /health; the GraphQL endpoint is always /graphql. */
  routes?: Record<string, RouteHandler>;
  /**
   * Routes for every path under a prefix ending in '/', e.g. '/files/' for downloads whose names vary; an
   * exact route wins over a prefix, and the longest matching prefix wins. Metrics label them `<prefix>*`.
   */
  prefixRoutes?: Record<string, RouteHandler>;
  /** How long shutdown waits for in-flight requests before cutting connections. */
  shutdownGraceMs?: number;
  /**
   * Whether GraphQL can be served right now. The router says no until a supergraph is loaded; requests then
   * get 503 SERVICE_UNAVAILABLE at once instead of waiting. Apollo must have been started (or be starting).
   */
  acceptingGraphQL?: () => boolean;
  /**
   * Who a GraphQL request acts for, decided before its body is read: the router verifies the client's access
   * token, subgraphs the router's signed internal identity token. Throwing AuthenticationError answers 401
   * UNAUTHENTICATED with its message. Without it every request is anonymous.
   */
  authenticate?: (req: http.IncomingMessage) => Promise<Viewer | null>;
  /**
   * The last word before the body is read, once the caller is known (the router's rate limits): answer a
   * refusal to turn the request away with that status, code and headers; answer nothing to let it through.
   */
  admit?: (request: IncomingRequest, req: http.IncomingMessage) => Promise<HttpRefusal | undefined>;
  /**
   * The rest of an incremental response (`@defer`), when the request's execution left one in its context:
   * the host writes multipart/mixed, the initial payload first, then each of these as it comes.
   */
  incrementalDelivery?: (context: Context) => AsyncIterable<unknown> | undefined;
  /**
   * Takes a GraphQL request over before Apollo Server sees it (the router's subscriptions over SSE and multipart
   * HTTP), once it is authenticated, admitted and its body or query string read: resolve true when it answered
   * the request itself, false to let Apollo Server answer.
   */
  takeOver?: (request: IncomingRequest, req: http.IncomingMessage, res: http.ServerResponse, params: { body: unknown; search: string }) => Promise<boolean>;
  /**
   * The process's Prometheus registry: the host serves it at /metrics and counts every request it answers
   * in it (http_server_requests_total, http_server_request_duration_seconds by route and status).
   */
  metrics?: Registry;
  /**
   * Cross-origin access to /graphql for browsers: preflights are answered before anything else (no token, rate
   * limit or supergraph needed), and responses to allowed origins carry the CORS headers. Absent: no CORS
   * handling at all (subgraphs, which only the router calls).
   */
  cors?: CorsOptions;
  /**
   * More fields for the one info line logged per GraphQL request (beside method, status, durationMs, the
   * operation and the request logger's requestId and traceId), read from the request's context once the
   * response is done: the router's subgraph fetches. Not called for requests turned away before a context.
   */
  requestLogFields?: (context: Context) => Record<string, unknown>;
}

/** A request turned away before GraphQL runs, e.g. 429 RATE_LIMITED with a Retry-After header. */
export interface HttpRefusal {
  status: number;
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
}

export interface RunningHttpServer {
  readonly url: string;
  readonly port: number;
  readonly server: http.Server;
  /** Stops accepting requests and lets in-flight ones finish. Safe to call twice. Apollo is the caller's to stop. */
  close(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';
export const METRICS_PATH = '/metrics';
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Keeps a caller's request id when it is well-formed so logs join up across processes. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/(.+\+)?json\b/i.test(contentType ?? '');
}

export function sendJson(res: http.ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(body);
}

async function writeGraphQLResponse(res: http.ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  res.statusCode = response.status ?? 200;
  for (const [name, value] of response.headers) {
    if (name === 'vary') appendVary(res, value);
    else res.setHeader(name, value);
  }
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

const PART_HEADER = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';

/**
 * An incremental response (`@defer`) as multipart/mixed (deferSpec=20220824): the initial payload Apollo made,
 * with `hasNext: true`, then each subsequent payload as it comes, each part after a `---` boundary.
 */
async function writeIncrementalResponse(res: http.ServerResponse, initial: string, rest: AsyncIterable<unknown>): Promise<void> {
  const body = initial.trimEnd();
  res.statusCode = 200;
  res.setHeader('content-type', 'multipart/mixed; boundary="-"; deferSpec=20220824');
  res.setHeader('cache-control', 'no-store');
  res.write(`\r\n---${PART_HEADER}${body.endsWith('}') ? `${body.slice(0, -1)},"hasNext":true}` : body}\r\n---`);
  for await (const payload of rest) {
    if (res.destroyed) break;
    res.write(`${PART_HEADER}${JSON.stringify(payload)}\r\n---`);
  }
  res.end('--\r\n');
}

/**
 * A minimal HTTP host for an Apollo Server (call `apollo.start()` first, or start it in the background and
 * gate requests with `acceptingGraphQL`): node:http, one GraphQL endpoint, a few plain routes. It turns
 * transport-level mistakes (oversized or malformed bodies) into GraphQL-shaped errors with stable codes.
 */
export async function startGraphQLHttpServer<Context extends BaseContext>(
  options: GraphQLHttpHostOptions<Context>,
  listen: { port: number; host: string },
): Promise<RunningHttpServer> {
  const { apollo, logger, maxBodyBytes, routes = {}, shutdownGraceMs = 10_000, acceptingGraphQL = () => true } = options;
  const { maxJsonDepth = MAX_JSON_DEPTH, oversizedBodyDrain = OVERSIZED_BODY_DRAIN } = options;
  const authenticate = options.authenticate ?? (async () => null);
  const cors = options.cors && createCorsHandler(options.cors);

  /** What a GraphQL request's log line needs from inside it: the context it ran with and its operation. */
  interface Ran {
    context?: Context;
    operation?: OperationFacts;
  }

  async function handleGraphQL(req: http.IncomingMessage, res: http.ServerResponse, request: IncomingRequest, ran: Ran) {
    if (cors?.(req, res, request.requestId) === 'answered') return;
    if (!acceptingGraphQL()) {
      res.setHeader('retry-after', '1');
      sendJson(res, 503, httpErrorBody(ErrorCode.SERVICE_UNAVAILABLE, 'No supergraph is loaded yet', request.requestId));
      return;
    }
    let viewer: Viewer | null;
    try {
      viewer = await authenticate(req);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      sendJson(res, 401, httpErrorBody(ErrorCode.UNAUTHENTICATED, error.message, request.requestId));
      return;
    }
    const refusal = await options.admit?.({ ...request, viewer }, req);
    if (refusal) {
      for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
      sendJson(res, refusal.status, httpErrorBody(refusal.code, refusal.message, request.requestId));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readBoundedBody(req, maxBodyBytes, oversizedBodyDrain);
      if (read.kind === 'aborted') {
        res.destroy();
        return;
      }
      if (read.kind === 'too-large') {
        res.setHeader('connection', 'close');
        sendJson(
          res,
          413,
          httpErrorBody(ErrorCode.PAYLOAD_TOO_LARGE, `Request body exceeds ${maxBodyBytes} bytes`, request.requestId),
        );
        return;
      }
      if (isJson(req.headers['content-type'])) {
        try {
          body = JSON.parse(read.text);
        } catch {
          sendJson(res, 400, httpErrorBody(ErrorCode.BAD_REQUEST, 'Request body is not valid JSON', request.requestId));
          return;
        }
      } else {
        body = read.text;
      }
    }
    // Mistakes Apollo Server would answer without a code (or not survive), refused here with one.
    const problem = req.method === 'POST' ? postedRequestProblem(body, maxJsonDepth) : searchRequestProblem(url.search, maxJsonDepth);
    if (problem) {
      sendJson(res, problem.status, httpErrorBody(problem.code, problem.message, request.requestId));
      return;
    }
    if (options.takeOver && (await options.takeOver({ ...request, viewer }, req, res, { body, search: url.search }))) return;
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let created: Context | undefined;
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body },
      context: async () => {
        created = await options.context({ ...request, viewer });
        ran.context = created;
        ran.operation = attachOperationFacts(created);
        return created;
      },
    });
    const rest = created && options.incrementalDelivery?.(created);
    if (rest && response.body.kind === 'complete' && (response.status ?? 200) === 200) await writeIncrementalResponse(res, response.body.string, rest);
    else await writeGraphQLResponse(res, response);
  }

  const allRoutes: Record<string, RouteHandler> = { ...routes };
  if (options.metrics) allRoutes[METRICS_PATH] ??= metricsHandler(options.metrics);
  const httpMetrics: HttpMetrics | undefined = options.metrics && createHttpMetrics(options.metrics);
  const prefixRoutes = options.prefixRoutes ?? {};
  for (const prefix of Object.keys(prefixRoutes)) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`Prefix route ${prefix} must start and end with '/'`);
  }
  // Longest first, so '/files/reports/' beats '/files/'.
  const prefixes = Object.keys(prefixRoutes).sort((a, b) => b.length - a.length);
  const tracer = storefrontTracer();
  let boundPort = listen.port;

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const prefix = allRoutes[path] ? undefined : prefixes.find((candidate) => path.startsWith(candidate));
    const ran: Ran = {};
    const route =
      path === GRAPHQL_PATH ? (q: typeof req, s: typeof res) => handleGraphQL(q, s, request, ran) : (allRoutes[path] ?? (prefix ? prefixRoutes[prefix] : undefined));
    // Unknown paths share one label: they are whatever scanners send. Prefix routes share theirs for the same reason.
    const routeLabel = route ? (prefix ? `${prefix}*` : path) : 'unmatched';
    const method = req.method?.toUpperCase() ?? 'GET';
    // Only GraphQL requests get a server span: probes and scrapes every few seconds would bury real traces.
    const parent = path === GRAPHQL_PATH ? propagation.extract(ROOT_CONTEXT, req.headers) : ROOT_CONTEXT;
    const span: Span | undefined =
      path === GRAPHQL_PATH
        ? tracer.startSpan(
            `${method} ${routeLabel}`,
            { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': routeLabel, 'url.path': path, 'server.port': boundPort } },
            parent,
          )
        : undefined;
    const spanContext = span ? trace.setSpan(parent, span) : parent;
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const traceId = activeTraceId(spanContext) ?? traceIdFromTraceparent(req.headers.traceparent) ?? newTraceId();
    res.setHeader('x-request-id', requestId);
    const request: IncomingRequest = {
      requestId,
      traceId,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      logger: logger.child({ requestId, traceId }),
      // Set per GraphQL request by `authenticate`; other routes act for nobody.
      viewer: null,
    };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      // A response that never finished was cut off (client gone, server closing): not a status the client saw.
      const status = res.writableFinished ? res.statusCode : 499;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpMetrics?.observe({ method, route: routeLabel, status, seconds });
      // One line per GraphQL request; probes, scrapes and downloads log nothing unless they fail.
      if (path === GRAPHQL_PATH) {
        const { context } = ran;
        const { requestLogFields } = options;
        const fields = context && requestLogFields ? () => requestLogFields(context) : undefined;
        logGraphQLRequest(request.logger, { method, status, seconds }, ran.operation, fields);
      }
      if (span) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
    if (!route) {
      sendJson(res, 404, httpErrorBody(ErrorCode.NOT_FOUND, `No route for ${path}`, requestId));
      return;
    }
    otelContext.with(spanContext, () => {
      Promise.resolve(route(req, res)).catch((error: unknown) => {
        request.logger.error({ err: error }, 'request failed outside GraphQL');
        if (!res.headersSent) {
          sendJson(res, 500, httpErrorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error', requestId));
        } else {
          res.destroy();
        }
      });
    });
  });
  // Longer than the router's client-side idle timeout, so a reused connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  boundPort = port;
  const displayHost = listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
      await closed;
      clearInterval(idleSweep);
      clearTimeout(deadline);
    })();
    return closing;
  };

  return { url: `http://${displayHost}:${port}${GRAPHQL_PATH}`, port, server, close };
}

/** A GET route answering JSON from a probe; the probe decides the status (e.g. 503 until ready). */
export function jsonProbe(probe: () => Promise<{ ok: boolean; details?: Record<string, unknown> }>): RouteHandler {
  return async (_req, res) => {
    const { ok, details } = await probe().catch((error: unknown) => ({
      ok: false,
      details: { error: error instanceof Error ? error.message : String(error) },
    }));
    sendJson(res, ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...details }));
  };
}
