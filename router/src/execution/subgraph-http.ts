import { Pool } from 'undici';

/**
 * HTTP to the subgraphs on undici's own API: one kept-alive connection pool per subgraph origin, the body read
 * once as text and parsed once. Node's global `fetch` is the same undici underneath, but wraps every response
 * in WHATWG streams and Headers objects; under a fan-out of a dozen calls per client request that wrapping
 * was the router's largest single cost.
 */

export interface SubgraphHttpOptions {
  /** Connections per subgraph origin; requests beyond them queue in the pool. */
  connections: number;
  /** Deadline for one call, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** How long an idle connection is kept for reuse (the subgraphs' keep-alive is longer). */
  keepAliveMs: number;
}

export const DEFAULT_SUBGRAPH_HTTP: SubgraphHttpOptions = { connections: 128, timeoutMs: 10_000, keepAliveMs: 30_000 };

/** What the executor needs of a subgraph's answer: status, the headers it reads, and the body's text. */
export interface SubgraphHttpResponse {
  status: number;
  header(name: string): string | undefined;
  text: string;
}

/** Why a call produced no answer at all: the kind decides the client-facing error code. */
export class SubgraphTransportError extends Error {
  override readonly name = 'SubgraphTransportError';
  constructor(
    readonly kind: 'timeout' | 'unavailable',
    message: string,
    options?: { cause?: unknown },
    /** The connection was closed under the request (a kept-alive socket the subgraph had just closed). */
    readonly socketClosed = false,
  ) {
    super(message, options);
  }
}

const SOCKET_CLOSED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function transportError(error: unknown, url: URL, timeoutMs: number): SubgraphTransportError {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || name === 'TimeoutError' || name === 'AbortError') {
    return new SubgraphTransportError('timeout', `no answer from ${url.host} within ${timeoutMs} ms`, { cause: error });
  }
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return new SubgraphTransportError('unavailable', `could not reach ${url.host}: ${reason}`, { cause: error }, typeof code === 'string' && SOCKET_CLOSED_CODES.has(code));
}

/** The connection pools of one router: one per subgraph origin, created on first use, closed together. */
export class SubgraphHttp {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: SubgraphHttpOptions = DEFAULT_SUBGRAPH_HTTP) {}

  private poolFor(url: URL): Pool {
    let pool = this.pools.get(url.origin);
    if (!pool) {
      pool = new Pool(url.origin, {
        connections: this.options.connections,
        keepAliveTimeout: this.options.keepAliveMs,
        // A subgraph closing an idle connection under us must not cost a request: undici retries idempotent
        // requests only, and a POST is not one, so keep our side's idle time well under the subgraphs' 65 s.
        keepAliveMaxTimeout: this.options.keepAliveMs,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        connectTimeout: Math.min(this.options.timeoutMs, 5_000),
      });
      this.pools.set(url.origin, pool);
    }
    return pool;
  }

  /**
   * POSTs `body` to `url`. Resolves with any HTTP answer; rejects only with a SubgraphTransportError. With
   * `retrySafe` (a query, which changes nothing), a call whose kept-alive connection the subgraph closed just
   * as it was sent goes once more on a fresh one: the subgraph never saw it.
   */
  async post(url: URL, headers: Record<string, string>, body: string, timeoutMs = this.options.timeoutMs, retrySafe = false): Promise<SubgraphHttpResponse> {
    try {
      return await this.postOnce(url, headers, body, timeoutMs);
    } catch (error) {
      if (!retrySafe || !(error instanceof SubgraphTransportError) || !error.socketClosed) throw error;
      return this.postOnce(url, headers, body, timeoutMs);
    }
  }

  private async postOnce(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SubgraphHttpResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.poolFor(url).request({ method: 'POST', path: url.pathname + url.search, headers, body, signal });
      const text = await response.body.text();
      const responseHeaders = response.headers;
      return {
        status: response.statusCode,
        header: (name) => {
          const value = responseHeaders[name];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        text,
      };
    } catch (error) {
      throw transportError(error, url, timeoutMs);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => pool.destroy())));
  }
}
