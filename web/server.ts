/*
 * The shop in production: a small static service (`node web/dist-server/server.js` once built, compose's `web`, the
 * Kubernetes `web` Deployment) that serves the built app (web/dist, `npm run web:build`) and passes what belongs
 * to the router through to ROUTER_URL, so the app, its session cookie and its downloads share one origin:
 *   - /assets/*: Vite's content-hashed files, `Cache-Control: public, max-age=31536000, immutable`;
 *   - /graphql (incl. multipart @defer streams), /session/*, /files/*: proxied to the router, streamed both ways,
 *     with X-Forwarded-For appended (set the router's TRUSTED_PROXY_HOPS=1 behind it); WebSocket upgrades of
 *     /graphql (graphql-ws subscriptions, the notification bell) are tunnelled to the router the same way;
 *   - anything else: index.html (`no-cache`), so the app's own routes (/products/…) load on a reload.
 * /health and /ready answer for probes. PORT (default 8080), HOST, ROUTER_URL (default http://localhost:4000),
 * WEB_DIST (default web/dist).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const PROXIED = [/^\/graphql(\/|$|\?)/, /^\/session\//, /^\/files\//];
// Hop-by-hop headers are the connection's, not the message's (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export interface WebServerOptions {
  dist: string;
  routerUrl: string;
  port: number;
  host: string;
}

export function startWebServer(options: WebServerOptions): Promise<http.Server> {
  const router = new URL(options.routerUrl);
  const index = path.join(options.dist, 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run npm run web:build first`);

  const forwardedHeaders = (req: http.IncomingMessage): http.OutgoingHttpHeaders => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    const client = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
    headers.host = router.host;
    return headers;
  };

  const proxy = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = forwardedHeaders(req);
    const upstream = http.request({ hostname: router.hostname, port: router.port || 80, path: req.url, method: req.method, headers }, (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, out);
      // Streamed as it comes: @defer's multipart parts reach the browser one by one.
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'The router is not answering', extensions: { code: 'BAD_GATEWAY' } }] }));
      } else res.destroy();
    });
    req.pipe(upstream);
  };

  const serveFile = (res: http.ServerResponse, file: string, cacheControl: string, method: string) => {
    const { size } = statSync(file);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': cacheControl,
      'x-content-type-options': 'nosniff',
      ...(file === index ? { 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' } : {}),
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const pathname = decodeURIComponent(url.split('?', 1)[0] ?? '/');
    if (PROXIED.some((pattern) => pattern.test(url))) return proxy(req, res);
    if (pathname === '/health' || pathname === '/ready') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const file = path.normalize(path.join(options.dist, pathname));
    const inside = file.startsWith(options.dist + path.sep);
    if (inside && pathname.startsWith('/assets/') && existsSync(file) && statSync(file).isFile()) {
      return serveFile(res, file, 'public, max-age=31536000, immutable', method);
    }
    if (pathname.startsWith('/assets/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    // The app's own routes, and the HTML that names this build's hashed files: always revalidated.
    serveFile(res, index, 'no-cache', method);
  });
  // A WebSocket to /graphql: the same upgrade request goes to the router, and once it switches protocols the
  // two sockets are piped together; anything else, or a router that refuses, ends the client's socket.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!/^\/graphql(\/|$|\?)/.test(req.url ?? '')) return socket.destroy();
    const headers = { ...forwardedHeaders(req), connection: 'Upgrade', upgrade: req.headers.upgrade ?? 'websocket' };
    const upstream = http.request({ hostname: router.hostname, port: router.port || 80, path: req.url, method: 'GET', headers });
    upstream.on('upgrade', (answer, routerSocket, routerHead) => {
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (routerHead.length) socket.write(routerHead);
      if (head.length) routerSocket.write(head);
      routerSocket.pipe(socket).pipe(routerSocket);
      routerSocket.on('error', () => socket.destroy());
      socket.on('error', () => routerSocket.destroy());
    });
    upstream.on('response', (answer) => {
      // The router answered without upgrading (a refusal): pass its status on and close.
      socket.end(`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\nconnection: close\r\n\r\n`);
      answer.resume();
    });
    upstream.on('error', () => socket.destroy());
    upstream.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  // web/server.ts under tsx, web/dist-server/server.js once built (npm run build): the app is web/dist either way.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const webRoot = path.basename(here) === 'dist-server' ? path.dirname(here) : here;
  const dist = path.resolve(process.env.WEB_DIST ?? path.join(webRoot, 'dist'));
  const options = { dist, routerUrl: process.env.ROUTER_URL ?? 'http://localhost:4000', port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '0.0.0.0' };
  const server = await startWebServer(options);
  console.log(JSON.stringify({ level: 'info', service: 'web', msg: 'web listening', port: options.port, router: options.routerUrl }));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
