import { createHash } from 'node:crypto';
import { ErrorCode } from '@storefront/api-conventions';

/**
 * How deeply a GraphQL request's JSON may nest, counting the request object itself as level 1 (so its
 * variables' values start at level 3). Real variables stay far below this; a deeper request only exists to
 * make recursive code (variable coercion, hashing, logging, forwarding) run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

/** A request the host turns away before Apollo Server sees it. */
export interface RequestProblem {
  status: number;
  code: ErrorCode;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether arrays and objects in `value` nest more than `maxDepth` levels; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

const tooDeep = (maxDepth: number): RequestProblem => ({
  status: 400,
  code: ErrorCode.BAD_REQUEST,
  message: `The request nests arrays and objects more than ${maxDepth} levels deep`,
});

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Automatic persisted queries (extensions.persistedQuery) are checked here because Apollo Server's own checks
 * carry no code: a client would get INTERNAL_SERVER_ERROR for its own mistake. The hash must be a SHA-256 in
 * hex, and when the query comes with it, the query's (Apollo compares it exactly, so in lowercase).
 */
export function persistedQueryProblem(extensions: unknown, query: unknown): RequestProblem | undefined {
  if (!isRecord(extensions)) return undefined;
  const persisted = extensions.persistedQuery;
  if (persisted === undefined || persisted === null) return undefined;
  if (!isRecord(persisted) || persisted.version !== 1) {
    return {
      status: 400,
      code: ErrorCode.BAD_REQUEST,
      message: 'extensions.persistedQuery must be an object { version: 1, sha256Hash }; only version 1 is supported',
    };
  }
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    return { status: 400, code: ErrorCode.BAD_REQUEST, message: 'extensions.persistedQuery.sha256Hash must be a SHA-256 hash in hexadecimal (64 digits)' };
  }
  if (typeof query === 'string' && createHash('sha256').update(query).digest('hex') !== hash) {
    return {
      status: 400,
      code: ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
      message: 'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query (lowercase hexadecimal of its UTF-8 text)',
    };
  }
  return undefined;
}

/** What is wrong with a POSTed GraphQL request (or batch) that Apollo Server would not answer well, if anything. */
export function postedRequestProblem(body: unknown, maxDepth: number = MAX_JSON_DEPTH): RequestProblem | undefined {
  if (nestsDeeperThan(body, maxDepth)) return tooDeep(maxDepth);
  for (const request of Array.isArray(body) ? body : [body]) {
    const problem = isRecord(request) ? persistedQueryProblem(request.extensions, request.query) : undefined;
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The same for a GET request's search parameters. Parameters that are missing, repeated or not JSON are left
 * to Apollo Server, which refuses them with BAD_REQUEST itself.
 */
export function searchRequestProblem(search: string, maxDepth: number = MAX_JSON_DEPTH): RequestProblem | undefined {
  const params = new URLSearchParams(search);
  const once = (name: string) => {
    const values = params.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const parsed: Record<string, unknown> = {};
  for (const name of ['variables', 'extensions']) {
    const value = once(name);
    if (value === undefined) continue;
    try {
      parsed[name] = JSON.parse(value);
    } catch {
      // Apollo Server answers "contains invalid JSON".
    }
  }
  if (nestsDeeperThan(parsed, maxDepth)) return tooDeep(maxDepth);
  return persistedQueryProblem(parsed.extensions, once('query'));
}
