import type http from 'node:http';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { requestIdFrom, sendJson, type HttpRefusal, type IncomingRequest, type RouteHandler } from '@storefront/http-host';
import { newTraceId, type Logger } from '@storefront/telemetry';
import { SESSION_OPERATIONS, type SessionOperation } from './operations.ts';

/*
 * The browser's session endpoint: /session/sign-up, /session/sign-in, /session/refresh, /session/sign-out.
 *
 * Accounts' signUp/logIn/refreshSession answer an access token and a refresh token. A web page must not be
 * able to read the refresh token (an XSS would steal a 30-day session), so the browser never sees it: these
 * routes run accounts' mutations through the router itself, put the refresh token in an HttpOnly cookie and
 * answer only the short-lived access token, which the app keeps in memory. Refreshing rotates the cookie, as
 * accounts requires (a refresh token is single use; presenting a used one revokes the session).
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict and Path=/session (sent to nothing else, by no
 * cross-site request), Secure outside development and test. Every route is POST with a JSON body, which a
 * cross-site form cannot send without a CORS preflight, so no other site can sign a visitor in or out.
 */

export const SESSION_PREFIX = '/session/';
export const REFRESH_COOKIE = 'storefront_refresh';
const MAX_BODY_BYTES = 16 * 1024;

/** What a GraphQL execution inside the router answered. */
export interface ExecutedOperation {
  status: number;
  result: { data?: Record<string, unknown> | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
}

export interface SessionRoutesOptions {
  /** Runs one operation through the router (authorization, plans, subgraphs) for the given request. */
  execute(operation: { query: string; variables: Record<string, unknown> }, request: IncomingRequest): Promise<ExecutedOperation>;
  /** The router's admission (rate limits), as for /graphql: a refusal is answered as is. */
  admit?(request: IncomingRequest, req: http.IncomingMessage): Promise<HttpRefusal | undefined>;
  /** Secure cookies (HTTPS in front of the router): outside development and test. */
  secureCookies: boolean;
  /** How long the browser keeps the cookie; accounts decides how long the token inside is valid. */
  cookieMaxAgeSeconds?: number;
  logger: Logger;
}

/** The JSON every route answers: the signed-in session, or why not. */
export interface SessionResponse {
  session: { accessToken: string; expiresAt: string; user: { id: string; name: string; email: string | null; roles: string[] | null } } | null;
  /** accounts' InputErrors (path, code, message), e.g. ALREADY_EXISTS on email. */
  errors: { path: string[]; code: string; message: string }[];
}

interface SessionPayload {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: string | null;
  user: { id: string; name: string; email: string | null; roles: string[] | null } | null;
  errors: { path: string[]; code: string; message: string }[];
}

export function createSessionRoutes(options: SessionRoutesOptions): Record<string, RouteHandler> {
  const maxAge = options.cookieMaxAgeSeconds ?? 30 * 24 * 3600;
  const cookie = (value: string, age: number) =>
    `${REFRESH_COOKIE}=${value}; Path=${SESSION_PREFIX.slice(0, -1)}; HttpOnly; SameSite=Strict; Max-Age=${age}${options.secureCookies ? '; Secure' : ''}`;

  const route =
    (operation: SessionOperation, variablesOf: (body: Record<string, unknown>, refreshToken: string | undefined) => Record<string, unknown> | undefined): RouteHandler =>
    async (req, res) => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('cache-control', 'no-store');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendJson(res, 405, httpErrorBody(ErrorCode.BAD_REQUEST, 'Use POST', requestId));
        return;
      }
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        sendJson(res, 415, httpErrorBody(ErrorCode.BAD_REQUEST, 'Send a JSON body (content-type: application/json)', requestId));
        return;
      }
      const text = await readSmallBody(req);
      if (text === undefined) {
        sendJson(res, 413, httpErrorBody(ErrorCode.PAYLOAD_TOO_LARGE, 'Body too large', requestId));
        return;
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = undefined;
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        sendJson(res, 400, httpErrorBody(ErrorCode.BAD_REQUEST, 'The body must be a JSON object', requestId));
        return;
      }
      const request: IncomingRequest = { requestId, traceId: newTraceId(), headers: req.headers, remoteAddress: req.socket.remoteAddress, logger: options.logger.child({ requestId }), viewer: null };
      const refusal = await options.admit?.(request, req);
      if (refusal) {
        for (const [name, value] of Object.entries(refusal.headers ?? {})) res.setHeader(name, value);
        sendJson(res, refusal.status, httpErrorBody(refusal.code, refusal.message, requestId));
        return;
      }
      const refreshToken = cookieValue(req.headers.cookie, REFRESH_COOKIE);
      const variables = variablesOf(body as Record<string, unknown>, refreshToken);
      if (!variables) {
        // Nothing to refresh or end: no cookie. Make sure none lingers.
        res.setHeader('set-cookie', cookie('', 0));
        sendJson(res, 200, JSON.stringify({ session: null, errors: [] } satisfies SessionResponse));
        return;
      }
      const executed = await options.execute({ query: operation.query, variables }, request);
      const payload = executed.result.data?.[operation.field] as SessionPayload | undefined;
      if (!payload) {
        // A GraphQL error (TOO_MANY_ATTEMPTS, SUBGRAPH_UNAVAILABLE, …): passed on, with an HTTP status that says it.
        const errors = executed.result.errors ?? [];
        const throttled = errors.find((error) => error.extensions?.code === ErrorCode.TOO_MANY_ATTEMPTS);
        const retryAfter = throttled?.extensions?.retryAfterSeconds;
        if (typeof retryAfter === 'number') res.setHeader('retry-after', String(Math.ceil(retryAfter)));
        const status = throttled ? 429 : executed.status === 200 ? 503 : executed.status;
        sendJson(res, status, JSON.stringify({ errors }));
        return;
      }
      if (operation.field === 'logOut') {
        res.setHeader('set-cookie', cookie('', 0));
        sendJson(res, 200, JSON.stringify({ session: null, errors: payload.errors } satisfies SessionResponse));
        return;
      }
      if (payload.refreshToken && payload.accessToken && payload.expiresAt && payload.user) {
        res.setHeader('set-cookie', cookie(payload.refreshToken, maxAge));
        const session = { accessToken: payload.accessToken, expiresAt: payload.expiresAt, user: payload.user };
        sendJson(res, 200, JSON.stringify({ session, errors: payload.errors } satisfies SessionResponse));
        return;
      }
      // Refused (wrong password, a used or expired refresh token): a refresh cookie that failed is worthless.
      if (operation.field === 'refreshSession') res.setHeader('set-cookie', cookie('', 0));
      sendJson(res, 200, JSON.stringify({ session: null, errors: payload.errors } satisfies SessionResponse));
    };

  const text = (body: Record<string, unknown>, key: string) => (typeof body[key] === 'string' ? body[key] : '');
  return {
    [`${SESSION_PREFIX}sign-up`]: route(SESSION_OPERATIONS.signUp, (body) => ({
      input: { email: text(body, 'email'), password: text(body, 'password'), name: text(body, 'name') },
    })),
    [`${SESSION_PREFIX}sign-in`]: route(SESSION_OPERATIONS.logIn, (body) => ({ input: { email: text(body, 'email'), password: text(body, 'password') } })),
    [`${SESSION_PREFIX}refresh`]: route(SESSION_OPERATIONS.refreshSession, (_body, refreshToken) => (refreshToken ? { refreshToken } : undefined)),
    [`${SESSION_PREFIX}sign-out`]: route(SESSION_OPERATIONS.logOut, (_body, refreshToken) => (refreshToken ? { refreshToken } : undefined)),
  };
}

function readSmallBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || undefined;
  }
  return undefined;
}
