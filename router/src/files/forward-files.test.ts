import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@storefront/telemetry';
import { compose } from '@storefront/schema';
import { testRouterConfig } from '../test-config.ts';
import { startRouter, type RunningRouter } from '../router.ts';

/*
 * /files/<subgraph>/<rest> through a real router to a real HTTP server standing in for a subgraph's file
 * routes, found through the supergraph's routing URL (or SUBGRAPH_<NAME>_URL) like GraphQL traffic.
 */

const silent = createLogger({ service: 'files-test', level: 'silent' });
const LIMIT = 64 * 1024;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

interface FileServer {
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** Serves GET /files/* (a body naming the path), PUT /files/uploads/* (counts the body), PUT /files/locked/* (403 at once). */
async function fileServer(): Promise<FileServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes: 0 };
    seen.push(entry);
    if (req.method === 'PUT' && req.url?.startsWith('/files/locked/')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
      return;
    }
    req.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
    });
    req.on('end', () => {
      if (req.method === 'PUT') {
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: entry.bytes }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-file': 'yes', 'set-cookie': 'tracking=1' });
      // Written in pieces: the router must stream, not expect one chunk.
      for (let i = 0; i < 100; i += 1) res.write(`chunk ${i} of ${req.url}\n`);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

let storage: FileServer;
let override: FileServer;
let router: RunningRouter;
let workdir: string;

beforeAll(async () => {
  storage = await fileServer();
  override = await fileServer();
  // A port nothing listens on: bind one, then close it.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const downPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const result = compose([
    { name: 'storage', url: `${storage.origin}/graphql`, sdl: `${LINK} type Query { files: [String!]! }` },
    { name: 'archive', url: `http://127.0.0.1:1/graphql`, sdl: `${LINK} type Query { archived: [String!]! }` },
    { name: 'gone', url: `http://127.0.0.1:${downPort}/graphql`, sdl: `${LINK} type Query { lost: [String!]! }` },
  ]);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  workdir = await mkdtemp(path.join(tmpdir(), 'files-test-'));
  const supergraphPath = path.join(workdir, 'supergraph.graphql');
  await writeFile(supergraphPath, result.supergraphSdl);
  const config = testRouterConfig(supergraphPath, {
    // SUBGRAPH_ARCHIVE_URL wins over the supergraph's URL, for files as for GraphQL.
    subgraphUrls: { archive: `${override.origin}/graphql` },
    filesMaxBodyBytes: LIMIT,
  });
  router = await startRouter(config, silent);
  while (!router.isLoaded()) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  await router?.close();
  await storage?.close();
  await override?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

const routerOrigin = () => new URL(router.url).origin;

/** A raw request, so paths reach the router exactly as written (fetch would normalise dot segments). */
function rawRequest(method: string, requestPath: string, options: { headers?: http.OutgoingHttpHeaders; body?: (req: http.ClientRequest) => void } = {}) {
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = http.request(`${routerOrigin()}${requestPath}`, { method, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('error', (error) => resolve({ error: error.message }));
    if (options.body) options.body(req);
    else req.end();
  });
}

it('forwards a download with its query string, streaming the answer back, without credentials', async () => {
  const response = await fetch(`${routerOrigin()}/files/storage/invoices/a%20b.pdf?expires=123&signature=abc`, {
    headers: { authorization: 'Bearer secret-token', cookie: 'session=1', 'x-request-id': 'req-files-1', range: 'bytes=0-10' },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text.split('\n')).toHaveLength(101);
  expect(text).toContain('chunk 99 of /files/invoices/a%20b.pdf?expires=123&signature=abc');
  expect(response.headers.get('x-file')).toBe('yes');
  expect(response.headers.get('set-cookie')).toBeNull();
  const seen = storage.seen.at(-1)!;
  expect(seen).toMatchObject({ method: 'GET', url: '/files/invoices/a%20b.pdf?expires=123&signature=abc' });
  expect(seen.headers.authorization).toBeUndefined();
  expect(seen.headers.cookie).toBeUndefined();
  expect(seen.headers['x-request-id']).toBe('req-files-1');
  expect(seen.headers.range).toBe('bytes=0-10');
});

it('forwards to the routing URL the router was configured with', async () => {
  const response = await fetch(`${routerOrigin()}/files/archive/old.csv`);
  expect(response.status).toBe(200);
  expect(override.seen.at(-1)?.url).toBe('/files/old.csv');
});

it('streams an upload through, and passes the subgraph status on', async () => {
  const body = Buffer.alloc(LIMIT, 7);
  const response = await fetch(`${routerOrigin()}/files/storage/uploads/import.csv?signature=s`, {
    method: 'PUT',
    headers: { 'content-type': 'text/csv' },
    body,
  });
  expect(response.status).toBe(201);
  expect(await response.json()).toEqual({ stored: LIMIT });
  expect(storage.seen.at(-1)?.headers['content-type']).toBe('text/csv');

  const refused = await fetch(`${routerOrigin()}/files/storage/locked/x.csv`, { method: 'PUT', body: Buffer.alloc(1000) });
  expect(refused.status).toBe(403);
  expect(await refused.json()).toEqual({ error: 'bad signature' });
});

it('refuses an upload over the limit, declared or streamed', async () => {
  const declared = await rawRequest('PUT', '/files/storage/uploads/big.csv', { headers: { 'content-length': String(LIMIT + 1) }, body: (req) => req.end() });
  expect(declared).toMatchObject({ status: 413 });
  expect(JSON.parse((declared as { body: string }).body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

  const before = storage.seen.length;
  const streamed = await rawRequest('PUT', '/files/storage/uploads/chunked.csv', {
    headers: { 'transfer-encoding': 'chunked' },
    body: (req) => {
      for (let i = 0; i < 4; i += 1) req.write(Buffer.alloc(LIMIT / 2));
      req.end();
    },
  });
  // Either the 413 arrives or the connection is cut while still sending: never a stored file.
  if ('status' in streamed) expect(streamed.status).toBe(413);
  const received = storage.seen.slice(before);
  expect(received.every((entry) => entry.bytes <= LIMIT)).toBe(true);
});

it('answers 404 for unknown subgraphs and paths that are not files', async () => {
  for (const requestPath of ['/files/nobody/x.pdf', '/files/storage', '/files/storage/', '/files/storage/%2e%2e/graphql', '/files/storage/../graphql', '/files/Storage/x']) {
    const response = await rawRequest('GET', requestPath);
    expect({ requestPath, status: 'status' in response ? response.status : response.error }).toEqual({ requestPath, status: 404 });
  }
  expect(storage.seen.some((entry) => !entry.url.startsWith('/files/'))).toBe(false);
});

it('answers 405 for other methods and 502 when the subgraph is down', async () => {
  const post = await fetch(`${routerOrigin()}/files/storage/x.pdf`, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD, PUT');
  const down = await fetch(`${routerOrigin()}/files/gone/x.pdf`);
  expect(down.status).toBe(502);
  expect(((await down.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('SUBGRAPH_UNAVAILABLE');
});
