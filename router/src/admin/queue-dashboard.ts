import type http from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { requestIdFrom, sendJson, type RouteHandler } from '@storefront/http-host';
import { AuthenticationError, type Viewer } from '@storefront/identity';
import { type Logger } from '@storefront/telemetry';
import { deadLetterQueueOf, type QueueConnection } from '@storefront/events';
import { openQueue, QueueAdmin } from '@storefront/events';
import type { Queue } from 'bullmq';
import { decodeJwt } from 'jose';

/*
 * bull-board, the BullMQ dashboard, at /admin/queues: admins only. The dashboard is a browser app that loads
 * its scripts and calls its JSON API with plain requests, which carry no Authorization header, so access is
 * by either of:
 *   - `Authorization: Bearer <access token>` (scripts, curl), or
 *   - the HttpOnly cookie set by `POST /admin/session` with `Authorization: Bearer <access token>`: the access
 *     token itself, scoped to /admin/queues, SameSite=Strict (no cross-site request carries it, so the
 *     dashboard's mutating API cannot be driven from another site), expiring with the token.
 *     `DELETE /admin/session` removes it.
 * Each request's token is verified exactly as the router verifies GraphQL requests, then must carry the
 * `admin` scope: 401 without a valid token, 403 with a non-admin one.
 */

export const DASHBOARD_PATH = '/admin/queues';
export const SESSION_PATH = '/admin/session';
export const SESSION_COOKIE = 'storefront_admin';
const ADMIN_SCOPE = 'admin';
/** How often the dashboard looks for queues that appeared in Redis (a newly deployed worker's). */
const QUEUE_REFRESH_MS = 30_000;

export interface QueueDashboardOptions {
  queues: QueueConnection;
  /** The router's access-token verification: null for no token, AuthenticationError for a bad one. */
  authenticate(authorization: string | undefined): Promise<Viewer | null>;
  /** Secure cookies outside development/test (HTTPS in front of the router). */
  secureCookies: boolean;
  logger: Logger;
}

export interface QueueDashboard {
  routes: Record<string, RouteHandler>;
  prefixRoutes: Record<string, RouteHandler>;
  close(): Promise<void>;
}

/** The node request listener an Express app is; bull-board types its router as `any`. */
type ExpressListener = (req: http.IncomingMessage, res: http.ServerResponse, next: (error?: unknown) => void) => void;

export function createQueueDashboard(options: QueueDashboardOptions): QueueDashboard {
  const admin = new QueueAdmin(options.queues);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'Storefront queues' } } });
  const app = serverAdapter.getRouter() as ExpressListener;
  const open = new Map<string, Queue>();
  let refreshedAt = 0;
  let refreshing: Promise<void> | undefined;

  /** Shows every work queue and, read-only, its dead letters (repaired with npm run dlq or the GraphQL mutations). */
  async function refreshQueues(): Promise<void> {
    const names = (await admin.queueNames()).flatMap((name) => [name, deadLetterQueueOf(name)]);
    for (const name of names) {
      if (open.has(name)) continue;
      // openQueue: on a Redis Cluster too (REDIS_CLUSTER_NODES), as the workers.
      const queue = openQueue(name, options.queues);
      open.set(name, queue);
      // Requeueing a dead letter puts it back on its work queue; bull-board's "retry" would not.
      board.addQueue(new BullMQAdapter(queue, { readOnlyMode: name.endsWith('.dead-letter') }));
    }
    refreshedAt = Date.now();
  }

  async function viewerOf(req: http.IncomingMessage): Promise<Viewer | null> {
    const header = req.headers.authorization;
    if (header) return options.authenticate(header);
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return token ? options.authenticate(`Bearer ${token}`) : null;
  }

  /** Answers 401/403 itself and returns undefined unless the caller is an admin. */
  async function requireAdmin(req: http.IncomingMessage, res: http.ServerResponse): Promise<Viewer | undefined> {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    let viewer: Viewer | null;
    try {
      viewer = await viewerOf(req);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      sendJson(res, 401, httpErrorBody(ErrorCode.UNAUTHENTICATED, error.message, requestId));
      return undefined;
    }
    if (!viewer) {
      res.setHeader('www-authenticate', 'Bearer');
      sendJson(res, 401, httpErrorBody(ErrorCode.UNAUTHENTICATED, `Sign in as an admin: send a Bearer token, or POST ${SESSION_PATH} with one first`, requestId));
      return undefined;
    }
    if (!viewer.scopes.includes(ADMIN_SCOPE)) {
      sendJson(res, 403, httpErrorBody(ErrorCode.FORBIDDEN, 'Admins only', requestId));
      return undefined;
    }
    return viewer;
  }

  const dashboard: RouteHandler = async (req, res) => {
    if (!(await requireAdmin(req, res))) return;
    if (Date.now() - refreshedAt > QUEUE_REFRESH_MS) {
      refreshing ??= refreshQueues().finally(() => {
        refreshing = undefined;
      });
      await refreshing;
    }
    const url = req.url ?? '/';
    // Mounted under DASHBOARD_PATH: the Express app sees the rest of the path, as app.use(path, …) would do.
    req.url = url.slice(DASHBOARD_PATH.length) || '/';
    if (!req.url.startsWith('/')) req.url = `/${req.url}`;
    await new Promise<void>((resolve, reject) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      app(req, res, (error?: unknown) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else {
          sendJson(res, 404, httpErrorBody(ErrorCode.NOT_FOUND, `No route for ${url.split('?', 1)[0]}`, requestIdFrom(req.headers['x-request-id'])));
          resolve();
        }
      });
    });
  };

  const session: RouteHandler = async (req, res) => {
    const method = req.method?.toUpperCase();
    const path = `${DASHBOARD_PATH}`;
    const secure = options.secureCookies ? '; Secure' : '';
    if (method === 'DELETE') {
      res.setHeader('set-cookie', `${SESSION_COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
      res.statusCode = 204;
      res.end();
      return;
    }
    if (method !== 'POST') {
      res.setHeader('allow', 'POST, DELETE');
      sendJson(res, 405, httpErrorBody(ErrorCode.BAD_REQUEST, `${method ?? 'GET'} is not allowed here`, requestIdFrom(req.headers['x-request-id'])));
      return;
    }
    // Only from the header: a session is never minted from a cookie, so it cannot outlive its token.
    if (!req.headers.authorization) {
      res.setHeader('www-authenticate', 'Bearer');
      sendJson(res, 401, httpErrorBody(ErrorCode.UNAUTHENTICATED, 'Send Authorization: Bearer <admin access token>', requestIdFrom(req.headers['x-request-id'])));
      return;
    }
    if (!(await requireAdmin(req, res))) return;
    const token = /^Bearer +(\S+)$/i.exec(req.headers.authorization.trim())?.[1] ?? '';
    const { exp } = decodeJwt(token);
    const maxAge = Math.max(0, Math.floor((exp ?? 0) - Date.now() / 1000));
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${token}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`);
    sendJson(res, 200, JSON.stringify({ dashboard: `${DASHBOARD_PATH}/`, expiresInSeconds: maxAge }));
  };

  return {
    routes: { [DASHBOARD_PATH]: dashboard, [SESSION_PATH]: session },
    prefixRoutes: { [`${DASHBOARD_PATH}/`]: dashboard },
    async close() {
      await refreshing?.catch(() => {});
      await Promise.all([...open.values()].map((queue) => queue.close()));
      await admin.close();
    },
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
