import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { ErrorCode, httpErrorBody } from '@storefront/api-conventions';
import { requestIdFrom, sendJson, type RouteHandler } from '@storefront/http-host';
import { type Logger } from '@storefront/telemetry';

/*
 * Public file URLs go through the router: GET or PUT /files/<subgraph>/<rest> is forwarded to that subgraph's
 * /files/<rest>, streamed both ways. The signed URL's query string is the credential (the subgraph verifies
 * it over the public path), so the caller's Authorization header and cookies are never forwarded: a file URL
 * handed to a browser or a CLI must not be able to carry, or need, an access token.
 */

export const FILES_PREFIX = '/files/';

export interface FileForwardingOptions {
  /** The URL the router sends a subgraph's GraphQL to (only its origin is used), or undefined if unknown. */
  subgraphUrl(name: string): string | undefined;
  /** Largest PUT body forwarded; larger ones get 413. */
  maxBodyBytes: number;
  /** Longest silence on either connection before giving up (504 if nothing was answered yet). */
  idleTimeoutMs: number;
  logger: Logger;
}

/** What a download or upload needs; anything else (Authorization, Cookie, hop-by-hop headers) stays here. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'content-length',
  'content-type',
  'content-md5',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'range',
  'traceparent',
  'tracestate',
  'user-agent',
];

/** Connection-level headers (RFC 9110 §7.6.1) and cookies: the subgraph may not set cookies on the router's origin. */
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'set-cookie']);

const SUBGRAPH_NAME = /^[a-z][a-z0-9_-]*$/;

/** Counts bytes going through and fails the stream past `limit` (chunked uploads declare no length). */
class ByteLimit extends Transform {
  #seen = 0;
  exceeded = false;
  constructor(readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.#seen += chunk.length;
    if (this.#seen > this.limit) {
      this.exceeded = true;
      done(new Error(`body exceeds ${this.limit} bytes`));
    } else done(null, chunk);
  }
}

class UpstreamTimeout extends Error {}

export function forwardFiles(options: FileForwardingOptions): RouteHandler {
  return async (req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const fail = (status: number, code: ErrorCode, message: string) => {
      if (!res.headersSent) sendJson(res, status, httpErrorBody(code, message, requestId));
      else res.destroy();
    };
    const url = new URL(req.url ?? '/', 'http://router.invalid');
    const [, subgraph = '', ...rest] = url.pathname.slice(FILES_PREFIX.length - 1).split('/');
    const origin = SUBGRAPH_NAME.test(subgraph) ? originOf(options.subgraphUrl(subgraph)) : undefined;
    if (!origin || rest.length === 0 || rest.join('') === '') {
      fail(404, ErrorCode.NOT_FOUND, `No files at ${url.pathname}`);
      return;
    }
    const target = new URL(`${origin}${FILES_PREFIX}${rest.join('/')}${url.search}`);
    // Dot segments (also percent-encoded ones) are resolved by the URL parser: whatever results must still be
    // a file path, never the subgraph's /graphql or anything else beside /files/.
    if (!target.pathname.startsWith(FILES_PREFIX)) {
      fail(404, ErrorCode.NOT_FOUND, `No files at ${url.pathname}`);
      return;
    }
    const method = req.method?.toUpperCase() ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') {
      res.setHeader('allow', 'GET, HEAD, PUT');
      fail(405, ErrorCode.BAD_REQUEST, `${method} is not allowed on files`);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (method === 'PUT' && Number.isFinite(declared) && declared > options.maxBodyBytes) {
      res.setHeader('connection', 'close');
      fail(413, ErrorCode.PAYLOAD_TOO_LARGE, `File exceeds ${options.maxBodyBytes} bytes`);
      return;
    }

    const headers: http.OutgoingHttpHeaders = { 'x-request-id': requestId };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const upstream = (target.protocol === 'https:' ? https : http).request(target, { method, headers });
    upstream.setTimeout(options.idleTimeoutMs, () => upstream.destroy(new UpstreamTimeout()));
    // A client that goes away mid-transfer ends the subgraph's side too.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });

    const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    const limit = new ByteLimit(options.maxBodyBytes);
    if (method === 'PUT') {
      // Not awaited before the answer: a subgraph may refuse (a bad signature) without reading the body.
      pipeline(req, limit, upstream).catch(() => upstream.destroy());
    } else {
      upstream.end();
    }
    try {
      const response = await answered;
      res.statusCode = response.statusCode ?? 502;
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) res.setHeader(name, value);
      }
      res.setHeader('x-request-id', requestId);
      await pipeline(response, res);
    } catch (error) {
      upstream.destroy();
      if (limit.exceeded) {
        res.setHeader('connection', 'close');
        fail(413, ErrorCode.PAYLOAD_TOO_LARGE, `File exceeds ${options.maxBodyBytes} bytes`);
      } else if (error instanceof UpstreamTimeout) {
        fail(504, ErrorCode.SUBGRAPH_UNAVAILABLE, `${subgraph} did not answer in time`);
      } else if (res.headersSent || res.destroyed || req.destroyed) {
        // Cut off mid-transfer (by either side): too late for a status, the client sees a short response.
        res.destroy();
      } else {
        options.logger.warn({ err: error, subgraph, path: target.pathname, requestId }, 'file forwarding failed');
        fail(502, ErrorCode.SUBGRAPH_UNAVAILABLE, `${subgraph} is not reachable`);
      }
    }
  };
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
