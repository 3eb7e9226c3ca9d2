import { type RequestContext } from '@storefront/http-host';
import { createInternalIdentitySigner, INTERNAL_IDENTITY_TTL_SECONDS, viewerKey } from '@storefront/identity';
import type { KeyObject } from 'node:crypto';

/** A token is replaced once less than this is left of it: a call that starts must finish within its life. */
const RENEW_BEFORE_EXPIRY_MS = 20_000;
/** Viewers remembered; beyond it the least recently used one is forgotten (its next call signs again). */
const MAX_VIEWERS = 10_000;

/**
 * The `authorization` header value for a subgraph call: the router's signed statement of who the request
 * acts for, with that subgraph as the audience. A token says only who (user, roles, scopes) and for whom
 * (the audience), so it is minted once per viewer and subgraph and reused for most of its 60 s life, instead
 * of an Ed25519 signature per call; the request id travels in its own header.
 */
export function createSubgraphIdentity(privateKey: KeyObject, now: () => number = Date.now) {
  const signer = createInternalIdentitySigner({ privateKey });
  const lifetimeMs = INTERNAL_IDENTITY_TTL_SECONDS * 1_000;
  const tokens = new Map<string, { header: string; renewAt: number }>();
  return function authorizationFor(audience: string, context: Partial<RequestContext> | undefined): string {
    const viewer = context?.viewer ?? null;
    const key = `${audience}\0${viewerKey(viewer)}`;
    const at = now();
    const known = tokens.get(key);
    if (known && known.renewAt > at) {
      // Map order is insertion order: moving the entry to the end keeps the least recently used first.
      tokens.delete(key);
      tokens.set(key, known);
      return known.header;
    }
    const header = `Bearer ${signer.sign(audience, viewer, undefined, at)}`;
    tokens.delete(key);
    if (tokens.size >= MAX_VIEWERS) tokens.delete(tokens.keys().next().value as string);
    tokens.set(key, { header, renewAt: at + lifetimeMs - RENEW_BEFORE_EXPIRY_MS });
    return header;
  };
}

export type SubgraphIdentity = ReturnType<typeof createSubgraphIdentity>;
