import { createInternalIdentitySigner, type RequestContext } from '@storefront/common';
import type { KeyObject } from 'node:crypto';

/**
 * The `authorization` header value for one subgraph call: the router's signed statement of who the request
 * acts for, with that subgraph as the audience. A request that calls one subgraph in several plan steps signs
 * once per subgraph; calls without a request context (gateway internals) go as anonymous.
 */
export function createSubgraphIdentity(privateKey: KeyObject) {
  const signer = createInternalIdentitySigner({ privateKey });
  const perRequest = new WeakMap<object, Map<string, string>>();
  return function authorizationFor(audience: string, context: Partial<RequestContext> | undefined): string {
    if (!context?.requestId) return `Bearer ${signer.sign(audience, null)}`;
    let tokens = perRequest.get(context);
    if (!tokens) perRequest.set(context, (tokens = new Map()));
    let token = tokens.get(audience);
    if (!token) tokens.set(audience, (token = signer.sign(audience, context.viewer ?? null, context.requestId)));
    return `Bearer ${token}`;
  };
}

export type SubgraphIdentity = ReturnType<typeof createSubgraphIdentity>;
