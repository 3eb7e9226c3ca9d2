import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { sendJson } from './http-host.ts';
import { metricsHandler, type Registry } from '@storefront/telemetry';

export interface OpsServerOptions {
  port: number;
  host?: string;
  /** Each dependency this process needs (database, redis…) and whether it answers; /ready is 200 when all do. */
  readiness: () => Promise<Record<string, boolean>>;
  registry: Registry;
}

export interface RunningOpsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * /health, /ready and /metrics for a process that serves no HTTP otherwise (the workers): /health says the
 * process is alive and checks nothing (a liveness probe that restarts pods must not fail on a database
 * outage); /ready checks the dependencies; /metrics is the registry.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<RunningOpsServer> {
  const metrics = metricsHandler(options.registry);
  let closing = false;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, httpErrorBody(ErrorCode.BAD_REQUEST, 'Only GET is served here'));
      } else if (path === '/health') {
        sendJson(res, 200, JSON.stringify({ status: 'ok' }));
      } else if (path === '/ready') {
        const checks = await options.readiness().catch((error: unknown) => ({ error: false, reason: String(error) }));
        const ok = !closing && Object.values(checks).every((value) => value === true);
        sendJson(res, ok ? 200 : 503, JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...checks, ...(closing ? { closing: true } : {}) }));
      } else if (path === '/metrics') {
        await metrics(req, res);
      } else {
        sendJson(res, 404, httpErrorBody(ErrorCode.NOT_FOUND, `No route for ${path}`));
      }
    };
    answer().catch(() => {
      if (!res.headersSent) sendJson(res, 500, httpErrorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port,
    url: `http://${options.host && options.host !== '0.0.0.0' ? options.host : 'localhost'}:${port}`,
    close() {
      closing = true;
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
