export { FederationEngine, type EngineOptions, type EngineRequestContext } from './engine.ts';
export { SubgraphCaller, type SubgraphCallerOptions } from './subgraph-caller.ts';
export { DEFAULT_SUBGRAPH_HTTP, SubgraphHttp, type SubgraphHttpOptions } from './subgraph-http.ts';
export { ExecutionErrorCode } from './errors.ts';

/**
 * Whether a client's Accept header takes incremental delivery as Apollo Client sends it
 * (`multipart/mixed;deferSpec=20220824, application/json`); a multipart type naming another spec does not count.
 */
export function acceptsIncremental(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return value
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .some((part) => part.startsWith('multipart/mixed') && (!part.includes('deferspec=') || /deferspec="?20220824"?/.test(part)));
}
