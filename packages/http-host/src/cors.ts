import type http from 'node:http';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';

/**
 * Which browser origins may call a GraphQL endpoint from another origin (Apollo Sandbox on
 * studio.apollographql.com, a frontend on its own host). Every other origin's preflight is refused, so a
 * browser never sends it the request; servers and curl, which send no preflight, are not affected.
 */
export interface CorsOptions {
  /**
   * Exact origins (`scheme://host[:port]`, as browsers send them in the Origin header) that may call with
   * credentials. `*` lets any other origin call too, without credentials (bearer tokens still work: they are
   * a header, not a credential in the CORS sense). Empty: no cross-origin call is allowed.
   */
  allowedOrigins: readonly string[];
  /** Request headers a cross-origin call may send beyond the CORS-safelisted ones. Default CORS_ALLOWED_HEADERS. */
  allowedHeaders?: readonly string[];
  /** Response headers a cross-origin caller may read beyond the safelisted ones. Default CORS_EXPOSED_HEADERS. */
  exposedHeaders?: readonly string[];
  /** How long a browser may reuse a preflight's answer. Default 600 s (Chrome caps it at 7200). */
  maxAgeSeconds?: number;
}

/**
 * What GraphQL clients send: JSON bodies and bearer tokens, Apollo's CSRF-prevention headers (which force a
 * preflight, so the CSRF check and CORS together hold), the request id, W3C trace context from instrumented
 * frontends, and the client name and version Apollo clients and Sandbox add.
 */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
  'apollographql-client-name',
  'apollographql-client-version',
  'traceparent',
  'tracestate',
] as const;

/** The request id (to quote when reporting a problem) and Retry-After of a 429 or 503. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after'] as const;

export const CORS_ALLOWED_METHODS = ['GET', 'POST'] as const;

/** The `*` entry of allowedOrigins: any origin, never with credentials. */
export const ANY_ORIGIN = '*';

export type CorsOutcome = 'answered' | 'continue';

/** Applies a CORS policy to one request: answers preflights itself, decorates the response of any other. */
export type CorsHandler = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string) => CorsOutcome;

/** Adds `value` to a response's Vary header without dropping what is already there. */
export function appendVary(res: http.ServerResponse, value: string): void {
  const current = res.getHeader('vary');
  const listed = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (listed.some((entry) => entry === '*' || entry.toLowerCase() === value.toLowerCase())) return;
  res.setHeader('vary', [...listed, value].join(', '));
}

/** True for the `scheme://host[:port]` form browsers send, so a listed origin can be compared as a string. */
export function isSerializedOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

export function createCorsHandler(options: CorsOptions): CorsHandler {
  const listed = new Set(options.allowedOrigins.filter((origin) => origin !== ANY_ORIGIN));
  const anyOrigin = options.allowedOrigins.includes(ANY_ORIGIN);
  const allowHeaders = (options.allowedHeaders ?? CORS_ALLOWED_HEADERS).join(', ');
  const exposeHeaders = (options.exposedHeaders ?? CORS_EXPOSED_HEADERS).join(', ');
  const maxAge = String(options.maxAgeSeconds ?? 600);
  const allowMethods = CORS_ALLOWED_METHODS.join(', ');

  return (req, res, requestId) => {
    const origin = req.headers.origin;
    // Every answer depends on the Origin, whether or not it is allowed: caches must keep them apart.
    appendVary(res, 'Origin');
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    if (origin === undefined) return 'continue';
    const credentials = listed.has(origin);
    const allowed = credentials || anyOrigin;
    if (preflight && !allowed) {
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(httpErrorBody(ErrorCode.CORS_ORIGIN_NOT_ALLOWED, `Cross-origin requests from ${origin} are not allowed`, requestId));
      return 'answered';
    }
    if (!allowed) return 'continue';
    // A listed origin is echoed (credentials need an exact origin); the wildcard is answered as `*`.
    res.setHeader('access-control-allow-origin', credentials ? origin : ANY_ORIGIN);
    if (credentials) res.setHeader('access-control-allow-credentials', 'true');
    if (!preflight) {
      res.setHeader('access-control-expose-headers', exposeHeaders);
      return 'continue';
    }
    res.setHeader('access-control-allow-methods', allowMethods);
    res.setHeader('access-control-allow-headers', allowHeaders);
    res.setHeader('access-control-max-age', maxAge);
    // Chrome's Private Network Access: the hosted Sandbox (a public site) calling a router on localhost asks this.
    if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('access-control-allow-private-network', 'true');
    res.statusCode = 204;
    res.end();
    return 'answered';
  };
}
